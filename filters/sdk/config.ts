// Plugin configuration as JSON. Envoy hands the bytes of a StringValue Any; anything else
// arrives as protobuf bytes and fails to parse here with a clear message.
import { BufferType, LogLevel } from "./types";
import { getBufferBytes, lastResult } from "./hostcalls";
import { wasmResultName } from "./types";
import { log } from "./log";
import { JsonValue, parseJsonAt } from "../lib/json";

/**
 * Reads and parses the plugin configuration. Only valid inside onConfigure (elsewhere Envoy
 * answers NotFound). Returns null after logging an error that names `what`, the reason and
 * the byte offset; the caller then returns false from onConfigure to reject the config.
 * An empty configuration gives an empty object unless `allowEmpty` is false.
 */
export function loadJsonConfig(configSize: u32, what: string = "plugin configuration", allowEmpty: bool = true): JsonValue | null {
  return loadJsonBuffer(BufferType.PluginConfiguration, configSize, what, allowEmpty);
}

/** Same for the VM configuration (readable at any time, typically in onVmStart). */
export function loadJsonVmConfig(configSize: u32, what: string = "VM configuration", allowEmpty: bool = true): JsonValue | null {
  return loadJsonBuffer(BufferType.VmConfiguration, configSize, what, allowEmpty);
}

function loadJsonBuffer(type: BufferType, size: u32, what: string, allowEmpty: bool): JsonValue | null {
  if (size == 0) {
    if (allowEmpty) return JsonValue.newObject();
    log(LogLevel.Error, what + ": missing (expected a JSON document)");
    return null;
  }
  const bytes = getBufferBytes(type, 0, size);
  if (bytes === null) {
    log(LogLevel.Error, what + ": cannot read it (" + wasmResultName(lastResult()) + ")");
    return null;
  }
  const result = parseJsonAt(bytes.ptr, bytes.len);
  bytes.free();
  if (!result.ok) {
    log(LogLevel.Error, what + ": invalid JSON: " + result.describe());
    return null;
  }
  return result.value;
}
