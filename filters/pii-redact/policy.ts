// What the filter does with each entity it finds: the configured action for its type (or, for
// custom patterns and word lists, for its pattern), applied through lib/pii/actions, and counted
// per direction, type and action for the filter state and metrics. Values are never kept beyond
// the request's own vault (tokenise) and never reported.
import { ByteBuffer } from "../lib/bytes";
import { HmacSha256 } from "../lib/crypto";
import { PiiAction, writeReplacement } from "../lib/pii/actions";
import { PiiType, PII_TYPE_MAX } from "../lib/pii/findings";
import { ReplacementPolicy } from "../lib/pii/stream-redact";
import { Vault } from "../lib/pii/vault";
import { PiiConfig } from "./config";
import { MapType, getHeaderMapValueBytes } from "../sdk";

export const ACTION_COUNT: i32 = 6;

export class PiiPolicy extends ReplacementPolicy {
  /** counts[(direction * (PII_TYPE_MAX + 1) + type) * ACTION_COUNT + action] */
  counts: StaticArray<i32> = new StaticArray<i32>(2 * (PII_TYPE_MAX + 1) * ACTION_COUNT);
  /** 0 request, 1 response. */
  direction: i32 = 0;
  vault: Vault = new Vault();
  private scratch: ByteBuffer = new ByteBuffer(1 << 16, 256);

  constructor(
    private config: PiiConfig,
    private hmac: HmacSha256 | null,
    private tenant: ArrayBuffer,
    /** Custom subtype id → action (patterns and word lists), -1 when not custom. */
    private subtypeActions: Map<i32, i32>,
  ) {
    super();
  }

  /** Pseudonyms are scoped to the tenant named by this request header ("" = one tenant). */
  setTenant(header: string): void {
    if (header.length == 0) return;
    const v = getHeaderMapValueBytes(MapType.HttpRequestHeaders, header);
    if (v !== null) this.tenant = v.takeArrayBuffer();
  }

  actionFor(type: i32, subtype: i32): i32 {
    if ((type == PiiType.Custom || type == PiiType.Word) && this.subtypeActions.has(subtype)) return this.subtypeActions.get(subtype);
    return type >= 0 && type <= PII_TYPE_MAX ? unchecked(this.config.action[type]) : PiiAction.Redact;
  }

  write(type: i32, subtype: i32, ptr: usize, len: usize, out: ByteBuffer): bool {
    let action = this.actionFor(type, subtype);
    // A reply cannot be refused once it has started: an entity the policy blocks is redacted.
    // A placeholder means something only to the model: an entity the model wrote itself (not
    // one it got as a placeholder) is redacted in the reply rather than tokenised.
    if (action == PiiAction.Block || (this.direction == 1 && action == PiiAction.Tokenise)) action = PiiAction.Redact;
    this.count(type, action);
    return writeReplacement(<PiiAction>action, type, ptr, len, out, this.hmac, changetype<usize>(this.tenant), <usize>this.tenant.byteLength, this.vault, this.scratch);
  }

  count(type: i32, action: i32): void {
    const i = (this.direction * (PII_TYPE_MAX + 1) + type) * ACTION_COUNT + action;
    unchecked(this.counts[i] = unchecked(this.counts[i]) + 1);
  }

  /** Placeholders put back in the reply (counted under type 0). */
  restoredCount: i32 = 0;

  countRestored(n: i32): void {
    this.restoredCount += n;
  }

  countOf(direction: i32, type: i32, action: i32): i32 {
    return unchecked(this.counts[(direction * (PII_TYPE_MAX + 1) + type) * ACTION_COUNT + action]);
  }
}
