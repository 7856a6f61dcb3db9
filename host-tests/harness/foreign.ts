// Envoy's foreign functions (source/extensions/common/wasm/foreign.cc).
import { deflateSync, inflateSync } from "node:zlib";
import { WasmResult as R } from "./abi";
import type { HostContext } from "./context";
import { readProtoFields } from "./protobuf";

const dec = new TextDecoder();

/** Filter-state object factories Envoy registers (a sample of the stock ones). */
const FILTER_STATE_FACTORIES = new Set([
  "envoy.tcp_proxy.cluster",
  "envoy.network.upstream_server_name",
  "envoy.network.application_protocols",
  "envoy.network.upstream_subject_alt_names",
  "envoy.ratelimit.hits_addend",
  "envoy.string",
]);

export function callForeignFunction(ctx: HostContext, name: string, args: Uint8Array): number | Uint8Array {
  const stream = ctx.stream();
  switch (name) {
    case "clear_route_cache":
      if (stream) stream.cb.stream.filterStateMap.set("envoy.route_cache_cleared", new Uint8Array([1]));
      return new Uint8Array(0);
    case "set_envoy_filter_state": {
      const f = readProtoFields(args);
      if (!f) return R.BadArgument;
      const path = f.get(1);
      const value = f.get(2);
      if (!(path instanceof Uint8Array)) return R.BadArgument;
      const key = dec.decode(path);
      if (!FILTER_STATE_FACTORIES.has(key)) return R.NotFound;
      if (!stream) return R.NotFound;
      stream.cb.stream.filterStateMap.set(key, value instanceof Uint8Array ? value.slice() : new Uint8Array(0));
      return new Uint8Array(0);
    }
    case "declare_property": {
      const f = readProtoFields(args);
      if (!f || !(f.get(1) instanceof Uint8Array)) return R.BadArgument;
      const key = `declared.${dec.decode(f.get(1) as Uint8Array)}`;
      const declared = ctx.root as unknown as { declared?: Set<string> };
      declared.declared ??= new Set();
      if (declared.declared.has(key)) return R.BadArgument;
      declared.declared.add(key);
      return new Uint8Array(0);
    }
    case "compress":
      return new Uint8Array(deflateSync(args));
    case "uncompress":
      try {
        return new Uint8Array(inflateSync(args));
      } catch {
        return R.SerializationFailure;
      }
    default:
      return R.NotFound;
  }
}
