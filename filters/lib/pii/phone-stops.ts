// The digit runs (digit-runs.ts) the phone scan (detect-phone.ts) stops at: those not glued to
// what comes before them. A run right after a letter, a digit's '_' or '+', or after one of
// . - / , : that follows a digit ("PL61", "v2", "10.0.0.1", "2024-03-15") cannot start a
// number, and any stop inside it would be rejected and go on at its end; on numeric text
// (IBAN lists, addresses, logs) that is most runs. One pass over the run index with a table
// load and no branch per run keeps the others, so the scan does not stop at each of them.
import { DigitRuns } from "./digit-runs";
import { tick } from "./work";

// Per byte before a run: 1 = glues the run by itself (ASCII letter, digit, '_', '+'),
// 2 = glues it after a digit ('.', '-', '/', ',', ':').
const GLUE = new StaticArray<u8>(256);
for (let b = 0; b < 256; b++) {
  const alnum = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A);
  if (alnum || b == 0x5F || b == 0x2B) GLUE[b] = 1;
  else if (b == 0x2E || b == 0x2D || b == 0x2F || b == 0x2C || b == 0x3A) GLUE[b] = 2;
}

export class PhoneStops {
  /** Indices of the runs the phone scan stops at, increasing. */
  runs: StaticArray<i32> = new StaticArray<i32>(256);
  count: i32 = 0;

  build(ptr: usize, n: i32, index: DigitRuns): void {
    const rc = index.count;
    if (rc > this.runs.length) this.runs = new StaticArray<i32>(max(rc, this.runs.length << 1));
    const starts = changetype<usize>(index.starts);
    const out = changetype<usize>(this.runs);
    const glue = changetype<usize>(GLUE);
    let w = 0;
    let k = 0;
    // Runs at 0 or 1 read their bytes before with bounds (0 = no byte: not glued).
    while (k < rc) {
      const s = load<i32>(starts + (<usize>k << 2));
      if (s >= 2) break;
      tick(1);
      const p = s >= 1 ? <u32>load<u8>(ptr + <usize>(s - 1)) : 0;
      store<i32>(out + (<usize>w << 2), k);
      w += <i32>(load<u8>(glue + <usize>p) != 1);
      k++;
    }
    for (; k < rc; k++) {
      tick(1);
      const s = load<i32>(starts + (<usize>k << 2));
      const two = <u32>load<u16>(ptr + <usize>(s - 2)); // byte s-2 low, s-1 high
      const g = <u32>load<u8>(glue + <usize>(two >> 8));
      const glued = (g & 1) | ((g >> 1) & <u32>((two & 0xFF) - 0x30 < 10));
      store<i32>(out + (<usize>w << 2), k); // always written, kept only when w moves
      w += <i32>(glued ^ 1);
    }
    this.count = w;
  }
}

/** The stops of the current scan (scans do not nest). */
export const phoneStops = new PhoneStops();
