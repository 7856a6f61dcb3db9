// One whole JSON document (a request body, a non-streamed response, one streamed event): its
// text parts (lib/pii/text-parts) decoded, scanned, their entities replaced per the policy, and
// the JSON rewritten with valid escaping. In a reply, placeholders are restored first.
import { ByteBuffer } from "../lib/bytes";
import { PiiAction } from "../lib/pii/actions";
import { Findings } from "../lib/pii/findings";
import { decodePart, JsonRewriter } from "../lib/pii/json-rewrite";
import { Restorer } from "../lib/pii/restore";
import { ScanConfig, scanText } from "../lib/pii/scan";
import { findTextParts, TextParts } from "../lib/pii/text-parts";
import { Operation, Provider } from "../lib/providers/types";
import { PiiPolicy } from "./policy";

export const DOC_UNCHANGED: i32 = 0;
export const DOC_REWRITTEN: i32 = 1;
/** An entity whose action is block: the caller refuses the request (blockedType says which). */
export const DOC_BLOCKED: i32 = 2;
/** Not JSON the text-part table knows: left as it is. */
export const DOC_UNREADABLE: i32 = 3;

const parts = new TextParts();
const found = new Findings();
const decoded = new ByteBuffer(64 << 20, 4096);
const replaced = new ByteBuffer(64 << 20, 4096);
const restored = new ByteBuffer(64 << 20, 4096);

export class DocumentRedactor {
  readonly rewriter: JsonRewriter = new JsonRewriter(256 << 20);
  blockedType: i32 = 0;

  constructor(private scan: ScanConfig, private policy: PiiPolicy) {}

  /** Scans and rewrites [ptr, +len); on DOC_REWRITTEN the new document is `rewriter.out`. */
  run(provider: Provider, operation: Operation, response: bool, ptr: usize, len: usize): i32 {
    this.blockedType = 0;
    const r = findTextParts(provider, operation, response, ptr, len, parts);
    if (r < 0) return DOC_UNREADABLE;
    if (parts.count == 0) return DOC_UNCHANGED;
    const policy = this.policy;
    policy.direction = response ? 1 : 0;
    const restoring = response && policy.vault.size > 0;
    this.rewriter.begin(ptr, len, parts);
    let changed = false;
    for (let i = 0; i < parts.count; i++) {
      decoded.clear();
      const cap = decoded.max;
      if (!decoded.reserve(parts.partEnd(i) - parts.partStart(i))) return DOC_UNREADABLE;
      const n = decodePart(ptr, parts, i, decoded.ptr, cap);
      if (n < 0) return DOC_UNREADABLE;
      decoded.length = <usize>n;
      // Entities the model wrote itself are replaced first; the originals a placeholder stands
      // for are put back after, so they are not taken for new entities.
      scanText(decoded.ptr, decoded.length, this.scan, found);
      let text = decoded;
      if (found.count > 0) {
        if (!response) {
          for (let k = 0; k < found.count; k++) {
            if (policy.actionFor(unchecked(found.type[k]), unchecked(found.subtype[k])) == PiiAction.Block) {
              this.blockedType = unchecked(found.type[k]);
              policy.count(this.blockedType, PiiAction.Block);
              return DOC_BLOCKED;
            }
          }
        }
        replaced.clear();
        let pos = 0;
        for (let k = 0; k < found.count; k++) {
          const s = unchecked(found.start[k]);
          const e = unchecked(found.end[k]);
          replaced.append(decoded.ptr + <usize>pos, <usize>(s - pos));
          policy.write(unchecked(found.type[k]), unchecked(found.subtype[k]), decoded.ptr + <usize>s, <usize>(e - s), replaced);
          pos = e;
        }
        replaced.append(decoded.ptr + <usize>pos, decoded.length - <usize>pos);
        text = replaced;
      }
      if (restoring) {
        restored.clear();
        const restorer = new Restorer(policy.vault);
        restorer.push(text.ptr, text.length, restored);
        restorer.flush(restored);
        if (restorer.restored > 0) {
          policy.countRestored(restorer.restored);
          text = restored;
        }
      }
      if (text === decoded) continue;
      if (!this.rewriter.replace(i, text.ptr, text.length)) return DOC_UNREADABLE;
      changed = true;
    }
    if (!changed) return DOC_UNCHANGED;
    return this.rewriter.finish() ? DOC_REWRITTEN : DOC_UNREADABLE;
  }
}
