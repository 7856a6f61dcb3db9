// WASI preview1 as proxy-wasm-cpp-host provides it (include/proxy-wasm/exports.h, src/exports.cc):
// stdout/stderr go to the log, no filesystem, environment from vm_config.environment_variables.
import { WasiErrno as E } from "./abi";
import type { WasmVm } from "./vm";
import type { VmServices } from "./vm-runtime";

export function wasiImports(vm: WasmVm, rt: VmServices): Record<string, (...a: any[]) => any> {
  const enc = new TextEncoder();
  const envBlock = (): Uint8Array[] => Object.entries(rt.environment()).map(([k, v]) => enc.encode(`${k}=${v}\0`));
  const guard = (name: string, fn: (...a: any[]) => any) => (...args: any[]) => {
    vm.checkRestricted("wasi_snapshot_preview1", name);
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof RangeError) return E.FAULT;
      throw e;
    }
  };
  const fns: Record<string, (...a: any[]) => any> = {
    fd_write(fd: number, iovs: number, n: number, retWritten: number) {
      if (fd !== 1 && fd !== 2) return E.BADF;
      const view = vm.view();
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < n; i++) {
        const p = view.getUint32(iovs + i * 8, true);
        const l = view.getUint32(iovs + i * 8 + 4, true);
        parts.push(vm.copyOut(p, l));
        total += l;
      }
      let text = new TextDecoder().decode(Buffer.concat(parts));
      if (text.endsWith("\n")) text = text.slice(0, -1);
      // cpp-host writevImpl logs only `if (written)`: an empty write leaves no line.
      if (total > 0) rt.log(rt.contexts.get(vm.effectiveId(rt.isLive)) ?? null, fd === 1 ? 2 : 4, text);
      vm.setU32(retWritten, total);
      return E.SUCCESS;
    },
    fd_read: () => E.NOSYS,
    // These report through ContextBase::error, which Envoy's Context logs at trace only.
    fd_seek: () => {
      rt.log(null, 0, "wasi_unstable fd_seek");
      return E.SUCCESS;
    },
    fd_close: () => {
      rt.log(null, 0, "wasi_unstable fd_close");
      return E.SUCCESS;
    },
    fd_fdstat_get(fd: number, ptr: number) {
      if (fd !== 1 && fd !== 2) return E.BADF;
      const b = vm.bytes(ptr, 24);
      b.fill(0);
      b[0] = 4; // filetype: character device
      vm.view().setBigUint64(ptr + 8, 64n, true); // rights_base: fd_write
      return E.SUCCESS;
    },
    fd_fdstat_set_flags: () => E.NOSYS,
    fd_prestat_get: () => E.BADF,
    fd_prestat_dir_name: () => E.NOSYS,
    path_open: () => E.NOENT,
    fd_filestat_get: () => E.BADF,
    path_filestat_get: () => E.NOTSUP,
    environ_sizes_get(retCount: number, retSize: number) {
      const block = envBlock();
      vm.setU32(retCount, block.length);
      vm.setU32(retSize, block.reduce((a, b) => a + b.length, 0));
      return E.SUCCESS;
    },
    environ_get(ptrs: number, buf: number) {
      let p = buf;
      envBlock().forEach((entry, i) => {
        vm.setU32(ptrs + i * 4, p);
        vm.bytes(p, entry.length).set(entry);
        p += entry.length;
      });
      return E.SUCCESS;
    },
    args_sizes_get(retCount: number, retSize: number) {
      vm.setU32(retCount, 0);
      vm.setU32(retSize, 0);
      return E.SUCCESS;
    },
    args_get: () => E.SUCCESS,
    clock_time_get(id: number, _precision: bigint, ret: number) {
      if (id === 0) vm.setU64(ret, rt.host.clock.nowNs());
      else if (id === 1) vm.setU64(ret, rt.host.clock.monotonicNs());
      else return E.NOTSUP;
      return E.SUCCESS;
    },
    clock_res_get(id: number, ret: number) {
      if (id !== 0 && id !== 1) return E.NOTSUP;
      vm.setU64(ret, 1n);
      return E.SUCCESS;
    },
    random_get(buf: number, len: number) {
      if (len > 65536) return E.INVAL;
      crypto.getRandomValues(vm.bytes(buf, len));
      return E.SUCCESS;
    },
    sched_yield: () => E.SUCCESS,
    poll_oneoff(_in: number, _out: number, _n: number, ret: number) {
      vm.setU32(ret, 0);
      return E.SUCCESS;
    },
    proc_exit(_code: number) {
      // cpp-host only reports it through Context::error (Envoy: trace); the guest keeps running.
      rt.log(null, 0, "wasi_unstable proc_exit");
    },
  };
  const out: Record<string, (...a: any[]) => any> = {};
  for (const [n, f] of Object.entries(fns)) out[n] = guard(n, f);
  return out;
}
