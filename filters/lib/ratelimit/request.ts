// Writer for envoy.service.ratelimit.v3.RateLimitRequest, straight into one buffer. Output is
// canonical proto3 (minimal varints, fields in number order, zero scalars omitted), which is
// what protobufjs and the C++/Go runtimes emit, so bytes can be compared in tests.
//
// A descriptor's length is only known at endDescriptor: its body is written after a 5-byte
// gap (enough for any length under the 1 GiB cap) and moved back once, by the few bytes the
// real varint does not use. Every byte is therefore copied at most once more, never per level.
import { ByteBuffer } from "../bytes/buffer";
import { storeVarint, lenFieldSize, varintFieldSize } from "./wire";

// Keys (field << 3 | wire type) of the fields written.
const REQ_DOMAIN: u8 = 0x0a; // RateLimitRequest.domain = 1, string
const REQ_DESCRIPTOR: u8 = 0x12; // RateLimitRequest.descriptors = 2, message
const REQ_HITS: u8 = 0x18; // RateLimitRequest.hits_addend = 3, uint32
const DESC_ENTRY: u8 = 0x0a; // RateLimitDescriptor.entries = 1, message
const DESC_LIMIT: u8 = 0x12; // RateLimitDescriptor.limit = 2, RateLimitOverride
const DESC_HITS: u8 = 0x1a; // RateLimitDescriptor.hits_addend = 3, UInt64Value
const ENTRY_KEY: u8 = 0x0a; // Entry.key = 1
const ENTRY_VALUE: u8 = 0x12; // Entry.value = 2
const OVERRIDE_RPU: u8 = 0x08; // RateLimitOverride.requests_per_unit = 1
const OVERRIDE_UNIT: u8 = 0x10; // RateLimitOverride.unit = 2
const WRAPPER_VALUE: u8 = 0x08; // google.protobuf.UInt64Value.value = 1

const LEN_GAP: usize = 5;

/** Enum values go on the wire as int64: a negative one is a 10-byte varint. */
function enumBits(v: i32): u64 {
  return <u64><i64>v;
}

export class RateLimitRequestWriter {
  private buf: ByteBuffer;
  private ok: bool = true;
  private finished: bool = false;
  private inDescriptor: bool = false;
  private bodyStart: usize = 0;
  private hasLimit: bool = false;
  private limitRpu: u32 = 0;
  private limitUnit: i32 = 0;
  private hasDescHits: bool = false;
  private descHits: u64 = 0;
  private hits: u32 = 0;

  /** maxBytes caps the encoded request; passing it makes finish() fail rather than grow. */
  constructor(maxBytes: usize = 1 << 20) {
    this.buf = new ByteBuffer(maxBytes, 256);
  }

  /** Start of the encoded message (valid until the next reset). */
  get ptr(): usize { return this.buf.ptr; }
  get length(): usize { return this.buf.length; }

  /** Starts a request for the domain at [domainPtr, +domainLen). */
  reset(domainPtr: usize, domainLen: usize): void {
    this.clear();
    if (domainLen > 0 && this.room(lenFieldSize(domainLen))) this.putBytes(REQ_DOMAIN, domainPtr, domainLen);
  }

  resetString(domain: string): void {
    this.clear();
    const n = <usize>String.UTF8.byteLength(domain);
    if (n > 0 && this.room(lenFieldSize(n))) this.putString(REQ_DOMAIN, domain, n);
  }

  beginDescriptor(): void {
    if (!this.ok) return;
    if (this.inDescriptor || this.finished || !this.room(1 + LEN_GAP)) {
      this.ok = false;
      return;
    }
    this.put(REQ_DESCRIPTOR);
    this.buf.length += LEN_GAP;
    this.bodyStart = this.buf.length;
    this.inDescriptor = true;
    this.hasLimit = false;
    this.hasDescHits = false;
  }

  /** Appends an entry; key and value bytes are copied now, so they may be freed after. */
  entry(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): void {
    if (!this.ok) return;
    if (!this.inDescriptor) {
      this.ok = false;
      return;
    }
    const size = (keyLen > 0 ? lenFieldSize(keyLen) : 0) + (valueLen > 0 ? lenFieldSize(valueLen) : 0);
    if (!this.room(lenFieldSize(size))) return;
    this.putLen(DESC_ENTRY, size);
    if (keyLen > 0) this.putBytes(ENTRY_KEY, keyPtr, keyLen);
    if (valueLen > 0) this.putBytes(ENTRY_VALUE, valuePtr, valueLen);
  }

  /** entry() for strings (configuration-time values); written as UTF-8. */
  entryString(key: string, value: string): void {
    if (!this.ok) return;
    if (!this.inDescriptor) {
      this.ok = false;
      return;
    }
    const kn = <usize>String.UTF8.byteLength(key);
    const vn = <usize>String.UTF8.byteLength(value);
    const size = (kn > 0 ? lenFieldSize(kn) : 0) + (vn > 0 ? lenFieldSize(vn) : 0);
    if (!this.room(lenFieldSize(size))) return;
    this.putLen(DESC_ENTRY, size);
    if (kn > 0) this.putString(ENTRY_KEY, key, kn);
    if (vn > 0) this.putString(ENTRY_VALUE, value, vn);
  }

  /** The descriptor's limit override (unit: envoy.type.v3.RateLimitUnit). Last call wins. */
  descriptorLimit(requestsPerUnit: u32, unit: i32): void {
    this.hasLimit = true;
    this.limitRpu = requestsPerUnit;
    this.limitUnit = unit;
  }

  /** The descriptor's own hits_addend (a wrapper: 0 is sent, as "set to 0"). Last call wins. */
  descriptorHitsAddend(v: u64): void {
    this.hasDescHits = true;
    this.descHits = v;
  }

  endDescriptor(): void {
    if (!this.ok) return;
    if (!this.inDescriptor) {
      this.ok = false;
      return;
    }
    // Fields 2 and 3 follow the entries whatever order the calls came in.
    if (this.hasLimit) {
      const size = varintFieldSize(<u64>this.limitRpu) + varintFieldSize(enumBits(this.limitUnit));
      if (!this.room(lenFieldSize(size))) return;
      this.putLen(DESC_LIMIT, size);
      if (this.limitRpu != 0) this.putVarint(OVERRIDE_RPU, <u64>this.limitRpu);
      if (this.limitUnit != 0) this.putVarint(OVERRIDE_UNIT, enumBits(this.limitUnit));
    }
    if (this.hasDescHits) {
      const size = varintFieldSize(this.descHits);
      if (!this.room(lenFieldSize(size))) return;
      this.putLen(DESC_HITS, size);
      if (this.descHits != 0) this.putVarint(WRAPPER_VALUE, this.descHits);
    }
    const bodyLen = this.buf.length - this.bodyStart;
    const lenAt = this.bodyStart - LEN_GAP;
    const after = storeVarint(this.buf.ptr + lenAt, <u64>bodyLen);
    const shift = this.buf.ptr + this.bodyStart - after;
    if (shift > 0) memory.copy(after, this.buf.ptr + this.bodyStart, bodyLen);
    this.buf.length -= shift;
    this.inDescriptor = false;
  }

  /** The request-level hits_addend; 0 (the default) is omitted, and means 1 to the service. */
  hitsAddend(v: u32): void {
    this.hits = v;
  }

  /** Completes the message; false when a call was out of order or the size cap was reached. */
  finish(): bool {
    if (!this.ok || this.finished) return this.ok;
    if (this.inDescriptor) {
      this.ok = false;
      return false;
    }
    if (this.hits != 0 && this.room(varintFieldSize(<u64>this.hits))) this.putVarint(REQ_HITS, <u64>this.hits);
    this.finished = this.ok;
    return this.ok;
  }

  private clear(): void {
    this.buf.clear();
    this.ok = true;
    this.finished = false;
    this.inDescriptor = false;
    this.hits = 0;
  }

  /** Ensures n more bytes fit; failure is sticky. */
  private room(n: usize): bool {
    if (!this.buf.reserve(n)) this.ok = false;
    return this.ok;
  }

  // The put* helpers assume room() succeeded for everything they write.
  private put(b: u8): void {
    store<u8>(this.buf.ptr + this.buf.length, b);
    this.buf.length++;
  }

  private putLen(key: u8, len: usize): void {
    this.put(key);
    this.buf.length = storeVarint(this.buf.ptr + this.buf.length, <u64>len) - this.buf.ptr;
  }

  private putVarint(key: u8, v: u64): void {
    this.put(key);
    this.buf.length = storeVarint(this.buf.ptr + this.buf.length, v) - this.buf.ptr;
  }

  private putBytes(key: u8, ptr: usize, len: usize): void {
    this.putLen(key, len);
    memory.copy(this.buf.ptr + this.buf.length, ptr, len);
    this.buf.length += len;
  }

  private putString(key: u8, s: string, utf8Len: usize): void {
    this.putLen(key, utf8Len);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.buf.ptr + this.buf.length);
    this.buf.length += utf8Len;
  }
}
