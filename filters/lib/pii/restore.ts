// Puts the originals back into a reply, as text streams in: `<EMAIL_1>` becomes the value the
// vault holds for it, even when the placeholder arrives split across chunks or events. Works on
// decoded text of one channel (a choice, a content block); holds back at most an unfinished
// placeholder (PLACEHOLDER_MAX bytes) and emits everything else at once.
import { ByteBuffer } from "../bytes";
import { PLACEHOLDER_MAX, Vault } from "./vault";

export class Restorer {
  private pending: ByteBuffer = new ByteBuffer(PLACEHOLDER_MAX, PLACEHOLDER_MAX);
  restored: i32 = 0;

  constructor(private vault: Vault) {}

  /** Bytes held back right now (a possible placeholder start). */
  get held(): usize { return this.pending.length; }

  push(ptr: usize, len: usize, out: ByteBuffer): void {
    for (let i: usize = 0; i < len; i++) {
      const c = load<u8>(ptr + i);
      const p = this.pending;
      if (p.length == 0) {
        if (c == 0x3c) p.appendByte(c);
        else out.appendByte(c);
        continue;
      }
      if (c == 0x3e) {
        p.appendByte(c);
        this.complete(out);
        continue;
      }
      if (!placeholderByte(c) || p.length + 1 >= PLACEHOLDER_MAX) {
        // Not a placeholder after all: release what was held, then look at c afresh.
        out.append(p.ptr, p.length);
        p.clear();
        if (c == 0x3c) p.appendByte(c);
        else out.appendByte(c);
        continue;
      }
      p.appendByte(c);
    }
  }

  /** End of the channel: anything held is plain text. */
  flush(out: ByteBuffer): void {
    out.append(this.pending.ptr, this.pending.length);
    this.pending.clear();
  }

  private complete(out: ByteBuffer): void {
    const p = this.pending;
    const entry = this.vault.lookup(p.ptr + 1, p.length - 2);
    if (entry >= 0) {
      this.vault.writeValue(entry, out);
      this.restored++;
    } else {
      out.append(p.ptr, p.length);
    }
    p.clear();
  }
}

/** Bytes a placeholder's name and number are made of: A-Z, 0-9, `_`. */
function placeholderByte(c: u8): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f;
}
