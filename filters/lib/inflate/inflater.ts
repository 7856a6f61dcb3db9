// Streaming decompressor for `content-encoding: gzip` (RFC 1952) and `deflate` (RFC 1950 zlib
// wrapper, or raw RFC 1951 when the first two bytes are not a valid zlib header).
//
// Use: push(ptr, len) one compressed chunk (read in place, never copied: it must stay valid
// until next() returns NEED_MORE), then call next() until it returns INFLATE_NEED_MORE; each
// INFLATE_DATA makes [outPtr, outPtr+outLen) the next decompressed span, valid until the next
// call. After the last chunk, finish() and drain next() to INFLATE_END (or an error).
// Input may be cut anywhere: every state consumes bits only once all it needs are present.
// Memory: a 32 KiB window (spans point into it) plus small code tables; output past
// maxOutputBytes stops with INFLATE_ERR_LIMIT after exactly maxOutputBytes were emitted.
// Errors are sticky; nothing traps on input.
import { crc32Update } from "../bytes";

export const INFLATE_NEED_MORE: i32 = 0;
export const INFLATE_DATA: i32 = 1;
export const INFLATE_END: i32 = 2;
/** Not a valid gzip / zlib / deflate stream. */
export const INFLATE_ERR_MALFORMED: i32 = -1;
/** More than maxOutputBytes would come out (a decompression bomb, or a limit set too low). */
export const INFLATE_ERR_LIMIT: i32 = -2;
/** finish() came before the stream's end. */
export const INFLATE_ERR_TRUNCATED: i32 = -3;
/** CRC-32 / ISIZE (gzip), Adler-32 (zlib) or header CRC (gzip FHCRC) mismatch. */
export const INFLATE_ERR_CHECKSUM: i32 = -4;
/** push() before the previous chunk was drained, or after finish(). */
export const INFLATE_ERR_BUSY: i32 = -5;

/** gzip if the stream starts 1f 8b, else zlib if the header is valid, else raw deflate. */
export const INFLATE_FORMAT_AUTO: i32 = 0;
export const INFLATE_FORMAT_GZIP: i32 = 1;
/** zlib, or raw deflate when the first two bytes are not a zlib header (content-encoding: deflate). */
export const INFLATE_FORMAT_ZLIB: i32 = 2;
export const INFLATE_FORMAT_RAW: i32 = 3;

const WSIZE: usize = 32768;
const WMASK: usize = WSIZE - 1;
const FULL: i32 = 100;

const S_DETECT = 0;
const S_GZ_HEAD = 1;
const S_GZ_XLEN = 2;
const S_GZ_EXTRA = 3;
const S_GZ_NAME = 4;
const S_GZ_COMMENT = 5;
const S_GZ_HCRC = 6;
const S_BLOCK = 7;
const S_STORED_LEN = 8;
const S_STORED_COPY = 9;
const S_TABLE_COUNTS = 10;
const S_CL_LENS = 11;
const S_CODE_LENS = 12;
const S_CODES = 13;
const S_LEN_EXT = 14;
const S_DIST = 15;
const S_DIST_EXT = 16;
const S_COPY = 17;
const S_TRAILER = 18;
const S_MEMBER = 19;
const S_DONE = 20;

const KIND_GZIP = 1;
const KIND_ZLIB = 2;
const KIND_RAW = 3;

// RFC 1951 3.2.5: length codes 257..285 and distance codes 0..29.
const LEN_BASE = memory.data<u16>([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LEN_EXTRA = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = memory.data<u16>([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = memory.data<u8>([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
// RFC 1951 3.2.7: order of the code length code lengths.
const CL_ORDER = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

export class Inflater {
  /** The span made available by the last INFLATE_DATA. */
  outPtr: usize = 0;
  outLen: usize = 0;
  /** Decompressed bytes emitted so far. */
  totalOut: u64 = 0;
  readonly maxOutput: u64;
  readonly format: i32;

  private window: usize;
  private wpos: usize = 0;
  private ckPos: usize = 0;

  private chunk: usize = 0;
  private chunkLen: usize = 0;
  private pos: usize = 0;
  private finished: bool = false;
  private err: i32 = 0;

  private bitbuf: u64 = 0;
  private bitcnt: u32 = 0;

  private state: i32 = S_DETECT;
  private kind: i32 = 0;
  private last: bool = false;
  private idx: i32 = 0;
  private flags: u32 = 0;
  private hcrc: u32 = 0;
  private skip: u32 = 0;
  private check: u32 = 0;
  private streamOut: u64 = 0;

  private remain: u32 = 0;
  private nlit: i32 = 0;
  private ndist: i32 = 0;
  private ncl: i32 = 0;
  private pendSym: i32 = -1;
  private sym: i32 = 0;
  private copyLen: u32 = 0;
  private dist: u32 = 0;

  private lens: StaticArray<u8> = new StaticArray<u8>(320);
  private offs: StaticArray<u16> = new StaticArray<u16>(16);
  private litCount: StaticArray<u16> = new StaticArray<u16>(16);
  private litSym: StaticArray<u16> = new StaticArray<u16>(288);
  private distCount: StaticArray<u16> = new StaticArray<u16>(16);
  private distSym: StaticArray<u16> = new StaticArray<u16>(32);
  private clCount: StaticArray<u16> = new StaticArray<u16>(16);
  private clSym: StaticArray<u16> = new StaticArray<u16>(19);
  private byteScratch: StaticArray<u8> = new StaticArray<u8>(1);
  private windowBuf: ArrayBuffer;

  constructor(maxOutputBytes: u64, format: i32 = INFLATE_FORMAT_AUTO) {
    this.maxOutput = maxOutputBytes;
    this.format = format;
    this.windowBuf = new ArrayBuffer(<i32>WSIZE);
    this.window = changetype<usize>(this.windowBuf);
  }

  /** Feeds the next compressed chunk: INFLATE_NEED_MORE (accepted) or INFLATE_ERR_BUSY. */
  push(ptr: usize, len: usize): i32 {
    if (this.state == S_DONE || this.err != 0) return INFLATE_NEED_MORE;
    if (this.pos < this.chunkLen || this.finished) return INFLATE_ERR_BUSY;
    this.chunk = ptr;
    this.chunkLen = len;
    this.pos = 0;
    return INFLATE_NEED_MORE;
  }

  /** No more input: next() then ends the stream (INFLATE_END) or reports it truncated. */
  finish(): void { this.finished = true; }

  get done(): bool { return this.state == S_DONE; }

  /** INFLATE_DATA (a span in outPtr/outLen), INFLATE_NEED_MORE, INFLATE_END or an error. */
  next(): i32 {
    this.outLen = 0;
    if (this.err != 0) return this.err;
    if (this.wpos == WSIZE) this.wpos = 0;
    const start = this.wpos;
    this.ckPos = start;
    let st = this.run();
    this.sumTo();
    const n = this.wpos - start;
    if (st < 0) this.err = st;
    if (n > 0) {
      this.outPtr = this.window + start;
      this.outLen = n;
      return INFLATE_DATA;
    }
    if (st == FULL) return INFLATE_NEED_MORE; // unreachable: FULL always follows output
    return st;
  }

  // ---- bits ------------------------------------------------------------------------------------

  @inline private need(n: u32): bool {
    while (this.bitcnt < n) {
      if (this.pos >= this.chunkLen) return false;
      this.bitbuf |= (<u64>load<u8>(this.chunk + this.pos)) << this.bitcnt;
      this.pos++;
      this.bitcnt += 8;
    }
    return true;
  }

  @inline private take(n: u32): u32 {
    const v = <u32>(this.bitbuf & ((<u64>1 << n) - 1));
    this.bitbuf >>= n;
    this.bitcnt -= n;
    return v;
  }

  @inline private starve(): i32 {
    return this.finished ? INFLATE_ERR_TRUNCATED : INFLATE_NEED_MORE;
  }

  private sumTo(): void {
    const n = this.wpos - this.ckPos;
    if (n == 0) return;
    const p = this.window + this.ckPos;
    if (this.kind == KIND_GZIP) this.check = crc32Update(this.check, p, n);
    else if (this.kind == KIND_ZLIB) this.check = adler32Update(this.check, p, n);
    this.ckPos = this.wpos;
  }

  /** A gzip header byte (8 bits must be available), folded into the header CRC. */
  private headerByte(): u32 {
    const b = this.take(8);
    const s = changetype<usize>(this.byteScratch);
    store<u8>(s, <u8>b);
    this.hcrc = crc32Update(this.hcrc, s, 1);
    return b;
  }

  // ---- Huffman ---------------------------------------------------------------------------------

  /** Canonical code from lengths; returns the unused code space (<0: over-subscribed). */
  private build(lens: usize, n: i32, count: usize, sym: usize): i32 {
    for (let i = 0; i < 16; i++) store<u16>(count + (<usize>i << 1), 0);
    for (let s = 0; s < n; s++) {
      const l = <usize>load<u8>(lens + s);
      store<u16>(count + (l << 1), load<u16>(count + (l << 1)) + 1);
    }
    let left: i32 = 1;
    for (let l = 1; l < 16; l++) {
      left <<= 1;
      left -= <i32>load<u16>(count + (<usize>l << 1));
      if (left < 0) return left;
    }
    const offs = changetype<usize>(this.offs);
    store<u16>(offs + 2, 0);
    for (let l = 1; l < 15; l++) {
      store<u16>(offs + (<usize>(l + 1) << 1), load<u16>(offs + (<usize>l << 1)) + load<u16>(count + (<usize>l << 1)));
    }
    for (let s = 0; s < n; s++) {
      const l = <usize>load<u8>(lens + s);
      if (l == 0) continue;
      const o = load<u16>(offs + (l << 1));
      store<u16>(sym + (<usize>o << 1), <u16>s);
      store<u16>(offs + (l << 1), o + 1);
    }
    return left;
  }

  /** Incomplete codes are accepted only as a single one-bit code (or none, for distances). */
  private acceptable(left: i32, count: usize, n: i32): bool {
    if (left < 0) return false;
    if (left == 0) return true;
    let used: i32 = 0;
    for (let l = 1; l < 16; l++) used += <i32>load<u16>(count + (<usize>l << 1));
    return used <= 1;
  }

  /** A symbol, -2 when more input is needed (nothing consumed), -1 for an unused code. */
  private decode(count: usize, sym: usize): i32 {
    this.need(15);
    const avail = this.bitcnt;
    const bits = this.bitbuf;
    let code: i32 = 0, first: i32 = 0, index: i32 = 0;
    for (let l: u32 = 1; l < 16; l++) {
      if (l > avail) return -2;
      code |= <i32>((bits >> (l - 1)) & 1);
      const c = <i32>load<u16>(count + (<usize>l << 1));
      if (code - first < c) {
        this.take(l);
        return <i32>load<u16>(sym + (<usize>(index + code - first) << 1));
      }
      index += c;
      first = (first + c) << 1;
      code <<= 1;
    }
    return -1;
  }

  private fixedTables(): void {
    const lens = changetype<usize>(this.lens);
    memory.fill(lens, 8, 144);
    memory.fill(lens + 144, 9, 112);
    memory.fill(lens + 256, 7, 24);
    memory.fill(lens + 280, 8, 8);
    this.build(lens, 288, changetype<usize>(this.litCount), changetype<usize>(this.litSym));
    memory.fill(lens, 5, 30);
    this.build(lens, 30, changetype<usize>(this.distCount), changetype<usize>(this.distSym));
  }

  private blockEnd(): void {
    if (!this.last) { this.state = S_BLOCK; return; }
    this.take(this.bitcnt & 7);
    if (this.kind == KIND_RAW) this.state = S_DONE;
    else { this.state = S_TRAILER; this.idx = 0; }
  }

  private startGzip(): void {
    this.kind = KIND_GZIP;
    this.state = S_GZ_HEAD;
    this.idx = 0;
    this.hcrc = 0;
    this.check = 0;
    this.streamOut = 0;
  }

  private gzipField(): void {
    const f = this.flags;
    if (this.idx < 1 && (f & 4)) { this.idx = 1; this.state = S_GZ_XLEN; return; }
    if (this.idx < 2 && (f & 8)) { this.idx = 2; this.state = S_GZ_NAME; return; }
    if (this.idx < 3 && (f & 16)) { this.idx = 3; this.state = S_GZ_COMMENT; return; }
    if (this.idx < 4 && (f & 2)) { this.idx = 4; this.state = S_GZ_HCRC; return; }
    this.state = S_BLOCK;
  }

  // ---- the machine -----------------------------------------------------------------------------

  private run(): i32 {
    const win = this.window;
    while (true) {
      switch (this.state) {
        case S_DETECT: {
          if (this.format == INFLATE_FORMAT_GZIP) { this.startGzip(); break; }
          if (this.format == INFLATE_FORMAT_RAW) { this.kind = KIND_RAW; this.state = S_BLOCK; break; }
          if (!this.need(16)) return this.starve();
          const b0 = <u32>(this.bitbuf & 0xFF);
          const b1 = <u32>((this.bitbuf >> 8) & 0xFF);
          if (this.format == INFLATE_FORMAT_AUTO && b0 == 0x1F && b1 == 0x8B) { this.startGzip(); break; }
          if ((b0 & 0x0F) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0) {
            if (b1 & 0x20) return INFLATE_ERR_MALFORMED; // preset dictionary: not for HTTP
            this.take(16);
            this.kind = KIND_ZLIB;
            this.check = 1;
          } else {
            this.kind = KIND_RAW;
          }
          this.streamOut = 0;
          this.state = S_BLOCK;
          break;
        }
        case S_GZ_HEAD: {
          while (this.idx < 10) {
            if (!this.need(8)) return this.starve();
            const b = this.headerByte();
            const i = this.idx;
            if ((i == 0 && b != 0x1F) || (i == 1 && b != 0x8B) || (i == 2 && b != 8)) return INFLATE_ERR_MALFORMED;
            if (i == 3) {
              if (b & 0xE0) return INFLATE_ERR_MALFORMED;
              this.flags = b;
            }
            this.idx++;
          }
          this.idx = 0;
          this.gzipField();
          break;
        }
        case S_GZ_XLEN: {
          if (!this.need(16)) return this.starve();
          const lo = this.headerByte();
          this.skip = lo | (this.headerByte() << 8);
          this.state = S_GZ_EXTRA;
          break;
        }
        case S_GZ_EXTRA: {
          while (this.skip > 0) {
            if (!this.need(8)) return this.starve();
            this.headerByte();
            this.skip--;
          }
          this.gzipField();
          break;
        }
        case S_GZ_NAME:
        case S_GZ_COMMENT: {
          while (true) {
            if (!this.need(8)) return this.starve();
            if (this.headerByte() == 0) break;
          }
          this.gzipField();
          break;
        }
        case S_GZ_HCRC: {
          if (!this.need(16)) return this.starve();
          const want = this.hcrc & 0xFFFF;
          if (this.take(16) != want) return INFLATE_ERR_CHECKSUM;
          this.gzipField();
          break;
        }
        case S_BLOCK: {
          if (!this.need(3)) return this.starve();
          this.last = this.take(1) != 0;
          const type = this.take(2);
          if (type == 0) { this.take(this.bitcnt & 7); this.state = S_STORED_LEN; }
          else if (type == 1) { this.fixedTables(); this.state = S_CODES; }
          else if (type == 2) { this.state = S_TABLE_COUNTS; }
          else return INFLATE_ERR_MALFORMED;
          break;
        }
        case S_STORED_LEN: {
          if (!this.need(32)) return this.starve();
          const len = this.take(16);
          const nlen = this.take(16);
          if (len != (~nlen & 0xFFFF)) return INFLATE_ERR_MALFORMED;
          this.remain = len;
          if (len == 0) this.blockEnd(); else this.state = S_STORED_COPY;
          break;
        }
        case S_STORED_COPY: {
          while (this.remain > 0) {
            if (this.wpos == WSIZE) return FULL;
            if (this.totalOut >= this.maxOutput) return INFLATE_ERR_LIMIT;
            if (this.bitcnt >= 8) {
              store<u8>(win + this.wpos, <u8>this.take(8));
              this.wpos++; this.remain--; this.totalOut++; this.streamOut++;
              continue;
            }
            if (this.pos >= this.chunkLen) return this.starve();
            let n = <usize>this.remain;
            n = min(n, WSIZE - this.wpos);
            n = min(n, this.chunkLen - this.pos);
            const room = this.maxOutput - this.totalOut;
            if (<u64>n > room) n = <usize>room;
            memory.copy(win + this.wpos, this.chunk + this.pos, n);
            this.pos += n; this.wpos += n; this.remain -= <u32>n;
            this.totalOut += n; this.streamOut += n;
          }
          this.blockEnd();
          break;
        }
        case S_TABLE_COUNTS: {
          if (!this.need(14)) return this.starve();
          this.nlit = <i32>this.take(5) + 257;
          this.ndist = <i32>this.take(5) + 1;
          this.ncl = <i32>this.take(4) + 4;
          if (this.nlit > 286 || this.ndist > 30) return INFLATE_ERR_MALFORMED;
          this.idx = 0;
          this.state = S_CL_LENS;
          break;
        }
        case S_CL_LENS: {
          const lens = changetype<usize>(this.lens);
          while (this.idx < 19) {
            let v: u32 = 0;
            if (this.idx < this.ncl) {
              if (!this.need(3)) return this.starve();
              v = this.take(3);
            }
            store<u8>(lens + <usize>load<u8>(CL_ORDER + this.idx), <u8>v);
            this.idx++;
          }
          if (this.build(lens, 19, changetype<usize>(this.clCount), changetype<usize>(this.clSym)) != 0) return INFLATE_ERR_MALFORMED;
          this.idx = 0;
          this.pendSym = -1;
          this.state = S_CODE_LENS;
          break;
        }
        case S_CODE_LENS: {
          const lens = changetype<usize>(this.lens);
          const total = this.nlit + this.ndist;
          while (this.idx < total) {
            if (this.pendSym < 0) {
              const s = this.decode(changetype<usize>(this.clCount), changetype<usize>(this.clSym));
              if (s == -2) return this.starve();
              if (s < 0) return INFLATE_ERR_MALFORMED;
              if (s < 16) { store<u8>(lens + this.idx, <u8>s); this.idx++; continue; }
              this.pendSym = s;
            }
            const s = this.pendSym;
            let rep: i32, val: u8 = 0;
            if (s == 16) {
              if (this.idx == 0) return INFLATE_ERR_MALFORMED;
              if (!this.need(2)) return this.starve();
              rep = 3 + <i32>this.take(2);
              val = load<u8>(lens + this.idx - 1);
            } else if (s == 17) {
              if (!this.need(3)) return this.starve();
              rep = 3 + <i32>this.take(3);
            } else {
              if (!this.need(7)) return this.starve();
              rep = 11 + <i32>this.take(7);
            }
            if (this.idx + rep > total) return INFLATE_ERR_MALFORMED;
            memory.fill(lens + this.idx, val, rep);
            this.idx += rep;
            this.pendSym = -1;
          }
          if (load<u8>(lens + 256) == 0) return INFLATE_ERR_MALFORMED;
          const lc = changetype<usize>(this.litCount);
          if (!this.acceptable(this.build(lens, this.nlit, lc, changetype<usize>(this.litSym)), lc, this.nlit)) return INFLATE_ERR_MALFORMED;
          const dc = changetype<usize>(this.distCount);
          if (!this.acceptable(this.build(lens + this.nlit, this.ndist, dc, changetype<usize>(this.distSym)), dc, this.ndist)) return INFLATE_ERR_MALFORMED;
          this.state = S_CODES;
          break;
        }
        case S_CODES: {
          const lc = changetype<usize>(this.litCount);
          const ls = changetype<usize>(this.litSym);
          while (true) {
            if (this.wpos == WSIZE) return FULL;
            const s = this.decode(lc, ls);
            if (s == -2) return this.starve();
            if (s < 0) return INFLATE_ERR_MALFORMED;
            if (s < 256) {
              if (this.totalOut >= this.maxOutput) {
                // Put the symbol back is impossible once decoded: stop for good.
                return INFLATE_ERR_LIMIT;
              }
              store<u8>(win + this.wpos, <u8>s);
              this.wpos++; this.totalOut++; this.streamOut++;
              continue;
            }
            if (s == 256) { this.blockEnd(); break; }
            if (s > 285) return INFLATE_ERR_MALFORMED;
            this.sym = s - 257;
            this.state = S_LEN_EXT;
            break;
          }
          break;
        }
        case S_LEN_EXT: {
          const eb = <u32>load<u8>(LEN_EXTRA + this.sym);
          if (!this.need(eb)) return this.starve();
          this.copyLen = <u32>load<u16>(LEN_BASE + (<usize>this.sym << 1)) + this.take(eb);
          this.state = S_DIST;
          break;
        }
        case S_DIST: {
          const s = this.decode(changetype<usize>(this.distCount), changetype<usize>(this.distSym));
          if (s == -2) return this.starve();
          if (s < 0 || s > 29) return INFLATE_ERR_MALFORMED;
          this.sym = s;
          this.state = S_DIST_EXT;
          break;
        }
        case S_DIST_EXT: {
          const eb = <u32>load<u8>(DIST_EXTRA + this.sym);
          if (!this.need(eb)) return this.starve();
          this.dist = <u32>load<u16>(DIST_BASE + (<usize>this.sym << 1)) + this.take(eb);
          if (<u64>this.dist > this.streamOut) return INFLATE_ERR_MALFORMED;
          this.state = S_COPY;
          break;
        }
        case S_COPY: {
          const d = <usize>this.dist;
          while (this.copyLen > 0) {
            if (this.wpos == WSIZE) return FULL;
            if (this.totalOut >= this.maxOutput) return INFLATE_ERR_LIMIT;
            let n = min<usize>(<usize>this.copyLen, WSIZE - this.wpos);
            const room = this.maxOutput - this.totalOut;
            if (<u64>n > room) n = <usize>room;
            let src = (this.wpos + WSIZE - d) & WMASK;
            let dst = win + this.wpos;
            if (d >= n && src + n <= WSIZE) {
              memory.copy(dst, win + src, n);
            } else {
              for (let k: usize = 0; k < n; k++) {
                store<u8>(dst + k, load<u8>(win + src));
                src = (src + 1) & WMASK;
              }
            }
            this.wpos += n; this.copyLen -= <u32>n;
            this.totalOut += n; this.streamOut += n;
          }
          this.state = S_CODES;
          break;
        }
        case S_TRAILER: {
          this.sumTo();
          if (this.kind == KIND_ZLIB) {
            if (!this.need(32)) return this.starve();
            const v = bswap<u32>(this.take(32));
            if (v != this.check) return INFLATE_ERR_CHECKSUM;
            this.state = S_DONE;
            break;
          }
          if (this.idx == 0) {
            if (!this.need(32)) return this.starve();
            if (this.take(32) != this.check) return INFLATE_ERR_CHECKSUM;
            this.idx = 1;
          }
          if (!this.need(32)) return this.starve();
          if (this.take(32) != <u32>this.streamOut) return INFLATE_ERR_CHECKSUM;
          this.state = S_MEMBER;
          break;
        }
        case S_MEMBER: {
          // Another gzip member may follow (RFC 1952 2.2); anything else after a member is ignored.
          if (!this.need(16)) {
            if (this.bitcnt == 0 && this.finished) { this.state = S_DONE; break; }
            return this.starve() == INFLATE_ERR_TRUNCATED ? this.endWithGarbage() : INFLATE_NEED_MORE;
          }
          if ((this.bitbuf & 0xFFFF) == 0x8B1F) { this.startGzip(); break; }
          this.state = S_DONE;
          break;
        }
        default:
          return INFLATE_END;
      }
    }
    return INFLATE_END;
  }

  private endWithGarbage(): i32 {
    this.state = S_DONE;
    return INFLATE_END;
  }
}

/** Adler-32 (RFC 1950 8.2) continued over [ptr, ptr+len); start from 1. */
export function adler32Update(adler: u32, ptr: usize, len: usize): u32 {
  let a = adler & 0xFFFF;
  let b = adler >>> 16;
  let i: usize = 0;
  while (i < len) {
    const end = min<usize>(len, i + 5552);
    for (; i < end; i++) {
      a += <u32>load<u8>(ptr + i);
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}
