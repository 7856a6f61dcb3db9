// The `env` host functions, one per import, with Envoy's argument checks and result codes
// (proxy-wasm-cpp-host src/exports.cc + Envoy context.cc). Each acts on the effective context.
import { BufferType, MapType, WasmResult } from "./abi";
import type { HostContext } from "./context";
import { HostTrap } from "./errors";
import { byteStringToBytes, bytesToByteString, type HeaderMap } from "./header-map";
import { decodePairs, encodePairs } from "./pairs";
import { getProperty, setProperty } from "./properties";
import type { WasmVm } from "./vm";
import type { VmServices } from "./vm-runtime";

const R = WasmResult;

export function envImports(vm: WasmVm, rt: VmServices): Record<string, (...a: any[]) => any> {
  /** The context a hostcall acts on; throws if called with no context (start section, malloc). */
  const ctx = (): HostContext => {
    const id = vm.effectiveId(rt.isLive);
    const c = rt.contexts.get(id);
    if (!c) throw new HostTrap("hostcall without a context");
    return c;
  };
  const guard = <T extends (...a: any[]) => any>(name: string, fn: T): T =>
    ((...args: any[]) => {
      vm.checkRestricted("env", name);
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof RangeError) return R.InvalidMemoryAccess;
        throw e;
      }
    }) as T;

  const readPairs = (ptr: number, len: number): Array<[string, string]> =>
    len === 0 ? [] : decodePairs(vm.copyOut(ptr, len)).map(([k, v]) => [bytesToByteString(k), bytesToByteString(v)]);
  const mapPairsBytes = (m: HeaderMap | null): Uint8Array =>
    !m || m.size === 0 ? new Uint8Array(0) : encodePairs(m.pairs().map(([k, v]) => [byteStringToBytes(k), byteStringToBytes(v)] as [Uint8Array, Uint8Array]));
  const key = (ptr: number, len: number) => bytesToByteString(vm.bytes(ptr, len));

  const fns: Record<string, (...a: any[]) => any> = {
    proxy_log(level: number, ptr: number, len: number) {
      if (level > 5) return R.BadArgument;
      // Start functions and malloc log on the VM context (id 0), which has no plugin.
      rt.log(rt.contexts.get(vm.effectiveId(rt.isLive)) ?? null, level, vm.text(ptr, len));
      return R.Ok;
    },
    proxy_get_log_level(ret: number) {
      return vm.setU32(ret, rt.host.logLevel) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_current_time_nanoseconds(ret: number) {
      return vm.setU64(ret, rt.host.clock.nowNs()) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_tick_period_milliseconds(ms: number) {
      rt.setTickPeriod(ctx().root, ms >>> 0);
      return R.Ok;
    },
    proxy_get_status(retCode: number, retPtr: number, retLen: number) {
      const root = ctx().root;
      if (!vm.setU32(retCode, root.statusCode)) return R.InvalidMemoryAccess;
      return vm.writeResult(Buffer.from(root.statusMessage, "utf8"), retPtr, retLen);
    },

    // ---- buffers ----
    proxy_get_buffer_bytes(type: number, start: number, max: number, retPtr: number, retLen: number) {
      if (type >>> 0 > BufferType.CallData) return R.BadArgument;
      const b = ctx().getBuffer(type);
      if (!b) return R.NotFound;
      const data = b.bytes();
      start >>>= 0;
      max >>>= 0;
      const end = Math.min(data.length, start + max);
      const slice = start < end ? data.subarray(start, end) : new Uint8Array(0);
      return vm.writeResult(slice, retPtr, retLen);
    },
    proxy_get_buffer_status(type: number, retLen: number, retFlags: number) {
      if (type >>> 0 > BufferType.CallData) return R.BadArgument;
      const b = ctx().getBuffer(type);
      if (!b) return R.NotFound;
      if (!vm.setU32(retLen, b.bytes().length) || !vm.setU32(retFlags, 0)) return R.InvalidMemoryAccess;
      return R.Ok;
    },
    proxy_set_buffer_bytes(type: number, start: number, len: number, ptr: number, size: number) {
      if (type >>> 0 > BufferType.CallData) return R.BadArgument;
      const b = ctx().getBuffer(type);
      if (!b) return R.NotFound;
      if (!b.mutable) return R.BadArgument;
      return b.mutable.copyFrom(start >>> 0, len >>> 0, vm.copyOut(ptr, size));
    },

    // ---- header maps ----
    proxy_get_header_map_pairs(type: number, retPtr: number, retLen: number) {
      if (type >>> 0 > MapType.HttpCallResponseTrailers) return R.BadArgument;
      return vm.writeResult(mapPairsBytes(ctx().getConstMap(type)), retPtr, retLen);
    },
    proxy_set_header_map_pairs(type: number, ptr: number, len: number) {
      if (type >>> 0 > MapType.HttpCallResponseTrailers) return R.BadArgument;
      const m = ctx().getMap(type);
      if (!m) return R.BadArgument;
      const pairs = readPairs(ptr, len);
      m.clear();
      for (const [k, v] of pairs) m.add(k, v);
      return R.Ok;
    },
    proxy_get_header_map_size(type: number, ret: number) {
      if (type >>> 0 > MapType.HttpCallResponseTrailers) return R.BadArgument;
      const m = ctx().getMap(type);
      if (!m) return R.BadArgument;
      return vm.setU32(ret, m.byteSize()) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_header_map_value(type: number, kPtr: number, kLen: number, retPtr: number, retLen: number) {
      if (type >>> 0 > MapType.HttpCallResponseTrailers) return R.BadArgument;
      const c = ctx();
      const m = c.getConstMap(type);
      if (!m) {
        if (c.accessLogPhase) return vm.abi === "0.1.0" ? vm.writeResult(new Uint8Array(0), retPtr, retLen) : R.NotFound;
        return R.BadArgument;
      }
      const v = m.get(key(kPtr, kLen));
      if (v === undefined) return vm.abi === "0.1.0" ? vm.writeResult(new Uint8Array(0), retPtr, retLen) : R.NotFound;
      return vm.writeResult(byteStringToBytes(v), retPtr, retLen);
    },
    proxy_add_header_map_value(type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) {
      if (type >>> 0 > MapType.HttpCallResponseTrailers) return R.BadArgument;
      const m = ctx().getMap(type);
      if (!m) return R.BadArgument;
      m.add(key(kPtr, kLen), key(vPtr, vLen));
      return R.Ok;
    },
    proxy_replace_header_map_value(type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) {
      if (type >>> 0 > MapType.HttpCallResponseTrailers) return R.BadArgument;
      const m = ctx().getMap(type);
      if (!m) return R.BadArgument;
      m.set(key(kPtr, kLen), key(vPtr, vLen));
      return R.Ok;
    },
    proxy_remove_header_map_value(type: number, kPtr: number, kLen: number) {
      if (type >>> 0 > MapType.HttpCallResponseTrailers) return R.BadArgument;
      const m = ctx().getMap(type);
      if (!m) return R.BadArgument;
      m.remove(key(kPtr, kLen));
      return R.Ok;
    },

    // ---- properties ----
    proxy_get_property(pPtr: number, pLen: number, retPtr: number, retLen: number) {
      const { result, value } = getProperty(ctx(), rt, vm.copyOut(pPtr, pLen));
      if (result !== R.Ok) return result;
      return vm.writeResult(value!, retPtr, retLen);
    },
    proxy_set_property(pPtr: number, pLen: number, vPtr: number, vLen: number) {
      return setProperty(ctx(), vm.copyOut(pPtr, pLen), vm.copyOut(vPtr, vLen));
    },

    // ---- stream control ----
    proxy_continue_stream(type: number) {
      const s = ctx().stream();
      if (!s) return type > 3 ? R.BadArgument : type === 3 ? R.Unimplemented : R.Ok;
      return s.continueStream(type);
    },
    proxy_close_stream(type: number) {
      const s = ctx().stream();
      if (!s) return type > 3 ? R.BadArgument : R.Ok;
      return s.closeStream(type);
    },
    proxy_send_local_response(code: number, dPtr: number, dLen: number, bPtr: number, bLen: number, hPtr: number, hLen: number, grpc: number) {
      const c = ctx();
      const headers = readPairs(hPtr, hLen);
      const body = vm.copyOut(bPtr, bLen);
      const details = vm.text(dPtr, dLen);
      const s = c.stream();
      if (s) s.sendLocalResponse(code >>> 0, body, headers, grpc | 0, details);
      // cpp-host stops the next iteration whatever the context: the current callback's status is forced.
      vm.stopNextIteration = true;
      return R.Ok;
    },

    // ---- shared data and queues ----
    proxy_get_shared_data(kPtr: number, kLen: number, retPtr: number, retLen: number, retCas: number) {
      const key = vm.text(kPtr, kLen);
      const e = rt.host.sharedData.get(vm.vmId, key);
      let result: number;
      if (!e) result = R.NotFound;
      else if (!vm.setU32(retCas, e.cas)) result = R.InvalidMemoryAccess;
      else result = vm.writeResult(e.value, retPtr, retLen);
      rt.host.sharedData.afterGet?.(vm.vmId, key, vm.worker);
      return result;
    },
    proxy_set_shared_data(kPtr: number, kLen: number, vPtr: number, vLen: number, cas: number) {
      return rt.host.sharedData.set(vm.vmId, vm.text(kPtr, kLen), vm.copyOut(vPtr, vLen), cas >>> 0);
    },
    proxy_register_shared_queue(nPtr: number, nLen: number, ret: number) {
      const root = ctx().root;
      const token = rt.registerQueue(root, vm.text(nPtr, nLen));
      return vm.setU32(ret, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue(vmPtr: number, vmLen: number, nPtr: number, nLen: number, ret: number) {
      const vmId = vmLen === 0 ? vm.vmId : vm.text(vmPtr, vmLen);
      const token = rt.host.queues.resolve(vmId, vm.text(nPtr, nLen));
      if (token === undefined) return R.NotFound;
      return vm.setU32(ret, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue(token: number, ptr: number, len: number) {
      return rt.host.queues.enqueue(token >>> 0, vm.copyOut(ptr, len));
    },
    proxy_dequeue_shared_queue(token: number, retPtr: number, retLen: number) {
      const r = rt.host.queues.dequeue(token >>> 0);
      if (typeof r === "number") return r;
      return vm.writeResult(r, retPtr, retLen);
    },

    // ---- metrics ----
    proxy_define_metric(type: number, nPtr: number, nLen: number, ret: number) {
      if (type >>> 0 > 2) return R.BadArgument;
      const id = rt.defineMetric(type as 0 | 1 | 2, vm.text(nPtr, nLen), rt.contexts.get(vm.effectiveId(rt.isLive))?.plugin.name ?? "");
      return vm.setU32(ret, id) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_increment_metric(id: number, delta: bigint) {
      return rt.incrementMetric(id >>> 0, BigInt.asIntN(64, delta));
    },
    proxy_record_metric(id: number, value: bigint) {
      return rt.recordMetric(id >>> 0, BigInt.asUintN(64, value));
    },
    proxy_get_metric(id: number, ret: number) {
      const r = rt.getMetric(id >>> 0);
      if (typeof r === "number") return r;
      return vm.setU64(ret, r.value) ? R.Ok : R.InvalidMemoryAccess;
    },

    // ---- callouts ----
    proxy_http_call(uPtr: number, uLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number, tPtr: number, tLen: number, timeout: number, retToken: number) {
      const root = ctx().root;
      const r = rt.httpCall(root, vm.text(uPtr, uLen), readPairs(hPtr, hLen), vm.copyOut(bPtr, bLen), readPairs(tPtr, tLen), timeout | 0);
      if (typeof r !== "object") return r;
      return vm.setU32(retToken, r.token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_grpc_call(sPtr: number, sLen: number, svPtr: number, svLen: number, mPtr: number, mLen: number, mdPtr: number, mdLen: number, msgPtr: number, msgLen: number, timeout: number, retToken: number) {
      const root = ctx().root;
      const r = rt.grpcCall(root, vm.copyOut(sPtr, sLen), vm.text(svPtr, svLen), vm.text(mPtr, mLen), readPairs(mdPtr, mdLen), vm.copyOut(msgPtr, msgLen), timeout >>> 0);
      if (typeof r !== "object") return r;
      return vm.setU32(retToken, r.token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_grpc_stream(sPtr: number, sLen: number, svPtr: number, svLen: number, mPtr: number, mLen: number, mdPtr: number, mdLen: number, retToken: number) {
      const root = ctx().root;
      const r = rt.grpcStream(root, vm.copyOut(sPtr, sLen), vm.text(svPtr, svLen), vm.text(mPtr, mLen), readPairs(mdPtr, mdLen));
      if (typeof r !== "object") return r;
      return vm.setU32(retToken, r.token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_grpc_send(token: number, ptr: number, len: number, end: number) {
      return rt.grpcSend(ctx().root, token >>> 0, vm.copyOut(ptr, len), end !== 0);
    },
    proxy_grpc_cancel(token: number) {
      return rt.grpcCancel(ctx().root, token >>> 0);
    },
    proxy_grpc_close(token: number) {
      return rt.grpcClose(ctx().root, token >>> 0);
    },

    // ---- misc ----
    proxy_set_effective_context(id: number) {
      if (!rt.contexts.has(id >>> 0)) return R.BadArgument;
      vm.effectiveContextId = id >>> 0;
      return R.Ok;
    },
    proxy_done() {
      const root = ctx().root;
      return rt.done(root);
    },
    proxy_call_foreign_function(nPtr: number, nLen: number, aPtr: number, aLen: number, retPtr: number, retLen: number) {
      // Foreign functions run on the real current context, not the effective one (Envoy foreign.cc).
      const real = rt.contexts.get(vm.currentContextId);
      if (!real) return R.NotFound;
      const r = rt.foreign(real, vm.text(nPtr, nLen), vm.copyOut(aPtr, aLen));
      if (typeof r === "number") return r;
      return vm.writeResult(r, retPtr, retLen);
    },

    // ---- Envoy extras and ABI 0.1.0 ----
    envoy_resolve_dns() {
      return R.Unimplemented;
    },
    pthread_equal(a: number, b: number) {
      return a === b ? 1 : 0;
    },
    emscripten_notify_memory_growth() {
      // Memory views are re-read on every access; nothing to refresh.
    },
    proxy_get_configuration(retPtr: number, retLen: number) {
      const b = ctx().root.getBuffer(BufferType.PluginConfiguration) ?? ctx().root.getBuffer(BufferType.VmConfiguration);
      return vm.writeResult(b ? b.bytes() : new Uint8Array(0), retPtr, retLen);
    },
    proxy_continue_request() {
      return ctx().stream()?.continueStream(0) ?? R.Ok;
    },
    proxy_continue_response() {
      return ctx().stream()?.continueStream(1) ?? R.Ok;
    },
    proxy_clear_route_cache() {
      return R.Ok;
    },
  };

  const out: Record<string, (...a: any[]) => any> = {};
  const env = { vm, rt, ctx };
  for (const [name, fn] of Object.entries(fns)) out[name] = guard(name, rt.host.profile.hostcall(name, fn, env));
  return out;
}
