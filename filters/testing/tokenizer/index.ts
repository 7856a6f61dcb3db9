// Test and CLI entry for filters/lib/tokenizer: plain exports the host calls directly (parity
// tests, `tollgate count-tokens`), plus the SDK's proxy-wasm surface so the module passes the
// Envoy link check like every other dist/*.wasm. Its root context does nothing.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { countTokens, encodeTokens, tablesReady, ChatTokenCounter } from "../../lib/tokenizer";

class TokenizerRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("tokenizer", (contextId: u32): RootContext => new TokenizerRoot(contextId));

/** Raw bytes for the host to fill; release with tok_free. */
export function tok_alloc(len: usize): usize {
  return heap.alloc(max<usize>(len, 1));
}

export function tok_free(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

export function tok_ready(): bool {
  return tablesReady();
}

/** Token count of [ptr, ptr+len); encoding 0 = o200k_base, 1 = cl100k_base. */
export function tok_count(ptr: usize, len: usize, encoding: i32): i32 {
  return countTokens(ptr, len, encoding);
}

/** Ids of [ptr, ptr+len) as u32 into out (room for 3 x len); returns how many. */
export function tok_encode(ptr: usize, len: usize, encoding: i32, out: usize, outCap: usize): i32 {
  return encodeTokens(ptr, len, encoding, out, outCap);
}

// Chat requests arrive as a flat op list so the host does the JSON and this module exercises
// ChatTokenCounter exactly as a filter would: each op is one byte, followed by its byte-string
// arguments, each a u32 little-endian length and the bytes.
//   m message   f field(s)   n name(s)   t tool function(name, description)
//   p properties follow      q property(key, type, description)
//   e enum follows           i enum item(s)
const MAX_ARGS = 3;
const argPtr = new StaticArray<usize>(MAX_ARGS);
const argLen = new StaticArray<usize>(MAX_ARGS);

/** Prompt tokens of the op list at [ptr, ptr+len), or a negative error (-10: malformed list). */
export function tok_chat(ptr: usize, len: usize, encoding: i32): i32 {
  const counter = new ChatTokenCounter(encoding);
  const end = ptr + len;
  let p = ptr;
  while (p < end) {
    const op = load<u8>(p++);
    const nargs = op == 0x66 || op == 0x6e || op == 0x69 ? 1 : op == 0x74 ? 2 : op == 0x71 ? 3 : 0;
    for (let k = 0; k < nargs; k++) {
      if (end - p < 4) return -10;
      const n = <usize>load<u32>(p);
      p += 4;
      if (end - p < n) return -10;
      argPtr[k] = p;
      argLen[k] = n;
      p += n;
    }
    if (op == 0x6d) counter.message();
    else if (op == 0x66) counter.field(argPtr[0], argLen[0]);
    else if (op == 0x6e) counter.name(argPtr[0], argLen[0]);
    else if (op == 0x74) counter.toolFunction(argPtr[0], argLen[0], argPtr[1], argLen[1]);
    else if (op == 0x70) counter.toolProperties();
    else if (op == 0x71) counter.toolProperty(argPtr[0], argLen[0], argPtr[1], argLen[1], argPtr[2], argLen[2]);
    else if (op == 0x65) counter.toolEnum();
    else if (op == 0x69) counter.toolEnumItem(argPtr[0], argLen[0]);
    else return -10;
  }
  return counter.total();
}
