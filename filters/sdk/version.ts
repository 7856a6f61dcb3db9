// Which release and which sources this module was built from, reported once per root context at
// vm start (at its first configure on hosts without vm start): an info log line, the first line
// the module writes, and a gauge an operator reads from Envoy's admin endpoint or Prometheus:
//   tollgate.build_info.module=.<module>;version=.<version>;build=.<hash[0:12]>;  = 1
// Why a gauge and not filter state: filter state would cost a hostcall on every request of every
// filter, shared data is invisible outside the VM, while a stat is one define at start and sits
// next to the filters' other stats (the Prometheus "build_info" convention).
//
// The stamp is written into the compiled module by scripts/build.mjs (scripts/version.mjs): the
// literal below keeps its marker, and the characters after it become "<module> <version> <hash>"
// padded with spaces. A module never stamped (test fixtures, a bare asc build) reports nothing.
import { Gauge, taggedMetricName } from "./metrics";
import { log } from "./log";
import { LogLevel } from "./types";

// One literal, not a concatenation: the build finds it by its UTF-16 bytes.
const STAMP = "tollgate-stamp:################################################################################################################################################################";
const MARKER_LENGTH = 15; // "tollgate-stamp:"

let parsed = false;
let stampModule = "";
let stampVersion = "";
let stampHash = "";

function parse(): void {
  if (parsed) return;
  parsed = true;
  const text = STAMP.substring(MARKER_LENGTH).trimEnd();
  if (text.length == 0 || text.charCodeAt(0) == 0x23) return; // '#': never stamped
  const parts = text.split(" ");
  if (parts.length != 3) return;
  stampModule = parts[0];
  stampVersion = parts[1];
  stampHash = parts[2];
}

/** "" when the module carries no stamp. */
export function moduleVersion(): string {
  parse();
  return stampVersion;
}

/** Hex SHA-256 of the module's sources, "" when unstamped. */
export function moduleBuildHash(): string {
  parse();
  return stampHash;
}

// Root contexts that have announced. Envoy and Kong call proxy_on_vm_start first; APISIX never
// calls it, so proxy_on_configure announces for a root that has not yet. One entry per root
// context the VM ever had (one per plugin configuration update): a handful of u32s.
const announced = new Set<u32>();

/**
 * The log line and the build_info gauge for one root context, once: called from
 * proxy_on_vm_start and again from proxy_on_configure for hosts without vm start.
 */
export function announceVersion(contextId: u32, rootId: string): void {
  if (announced.has(contextId)) return;
  announced.add(contextId);
  parse();
  if (stampHash.length == 0) return;
  log(LogLevel.Info, "tollgate: " + rootId + " " + stampVersion + " (module " + stampModule +
    ", build " + stampHash + ")");
  // One gauge per module, not per root: a bundle's roots set the same one, and the name stays
  // the same on hosts where plugin_root_id is not the configured root id (Kong: a number).
  const short = stampHash.length > 12 ? stampHash.substring(0, 12) : stampHash;
  new Gauge(taggedMetricName("tollgate.build_info",
    ["module", stampModule, "version", stampVersion, "build", short])).set(1);
}
