// Startup as Envoy runs it (digest §10 "Start", "Sharing"; cpp-host WasmBase::start,
// ContextBase::onStart/onConfigure; Envoy wasm.cc createWasm/canary): a canary clone per plugin on
// the main thread, then per worker `_initialize` -> create(root, 0) -> vm_start -> configure;
// false or a trap rejects the configuration; VMs are shared by (vm_id, vm config, code).
import { afterEach, describe, expect, it } from "vitest";
import type { WasmFilterConfig } from "./harness/api";
import { ConfigRejectedError } from "./harness/index";
import type { EnvoyHost } from "./harness/host";
import { wat } from "./fixtures/wat/compile";
import { closeProbeHosts, emptyExchange, probeFilter, probeLines, probeValues, trackedHost } from "./support/probe";

afterEach(closeProbeHosts);

const start = (filters: WasmFilterConfig[], workers = 1): Promise<EnvoyHost> => trackedHost(filters, { workers });

const probe = probeFilter;

const get = (worker?: number) => emptyExchange("/s", worker);

// Logs one fixed word per lifecycle step, checking the ids Envoy passes: the root is context 1
// of a fresh VM and its parent is 0; vm_start and configure get the root id.
const LIFECYCLE_WAT = `
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (data (i32.const 1024) "init")
  (data (i32.const 1032) "create-root-1")
  (data (i32.const 1048) "create-other")
  (data (i32.const 1064) "vm_start-1")
  (data (i32.const 1080) "configure-1")
  (data (i32.const 1096) "bad-id")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  (func (export "_initialize") (drop (call $log (i32.const 2) (i32.const 1024) (i32.const 4))))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (if (i32.and (i32.eq (local.get $ctx) (i32.const 1)) (i32.eqz (local.get $parent)))
      (then (drop (call $log (i32.const 2) (i32.const 1032) (i32.const 13))))
      (else (drop (call $log (i32.const 2) (i32.const 1048) (i32.const 12))))))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (if (i32.eq (local.get $root) (i32.const 1))
      (then (drop (call $log (i32.const 2) (i32.const 1064) (i32.const 10))))
      (else (drop (call $log (i32.const 2) (i32.const 1096) (i32.const 6)))))
    (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (if (i32.eq (local.get $root) (i32.const 1))
      (then (drop (call $log (i32.const 2) (i32.const 1080) (i32.const 11))))
      (else (drop (call $log (i32.const 2) (i32.const 1096) (i32.const 6)))))
    (i32.const 1)))
`;

describe("start sequence", () => {
  it("runs _initialize -> create(root, 0) -> vm_start -> configure on the canary and on every worker", async () => {
    const host = await start([{ name: "life", rootId: "life", vmId: "life", code: wat(LIFECYCLE_WAT) }], 3);
    const byWorker = new Map<number, string[]>();
    for (const l of host.logs) byWorker.set(l.worker ?? -99, [...(byWorker.get(l.worker ?? -99) ?? []), l.message]);
    // Envoy's main thread runs the canary (worker -1 here) before the workers get their clones,
    // each a fresh instance, so every one repeats the whole sequence with root id 1.
    const sequence = ["init", "create-root-1", "vm_start-1", "configure-1"];
    expect([...byWorker.keys()]).toEqual([-1, 0, 1, 2]);
    for (const w of [-1, 0, 1, 2]) expect(byWorker.get(w)).toEqual(sequence);
  });

  it("calls vm_start once per plugin per VM plus once per plugin for the canary", async () => {
    const host = await start([probe("a", "vm-a", {}), probe("b", "vm-b", {})], 2);
    const starts = probeLines(host.logs, "on_vm_start", "enter");
    // 2 plugins x (2 workers + 1 canary).
    expect(starts).toHaveLength(6);
    expect(host.logs.filter((l) => l.message.startsWith("probe on_vm_start enter") && l.filter === "a")).toHaveLength(3);
    expect(host.logs.filter((l) => l.message.startsWith("probe on_configure enter") && l.filter === "b")).toHaveLength(3);
  });
});

describe("rejected configurations", () => {
  async function rejection(filters: WasmFilterConfig[]): Promise<ConfigRejectedError> {
    const err = await trackedHost(filters, { workers: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigRejectedError);
    return err as ConfigRejectedError;
  }

  it("rejects the filter when on_vm_start returns false", async () => {
    const err = await rejection([probe("ok", "vm-ok", {}), probe("starter", "vm-s", {}, { vmConfiguration: JSON.stringify({ on_vm_start: { ops: [], return: false } }) })]);
    // Envoy names the failing filter ("Unable to create Wasm HTTP filter <name>").
    expect(err.filter).toBe("starter");
    expect(err.message).toContain("starter");
  });

  it("rejects the filter when on_configure returns false", async () => {
    const err = await rejection([probe("cfg", "vm-c", { on_configure: { ops: [], return: false } })]);
    expect(err.filter).toBe("cfg");
  });

  it("rejects the filter when on_configure traps", async () => {
    const err = await rejection([probe("trapper", "vm-t", { on_configure: [{ op: "trap" }] })]);
    expect(err.filter).toBe("trapper");
    expect(err.reason).toMatch(/proxy_on_configure/);
  });

  it("accepts a configuration whose callbacks return true", async () => {
    const host = await start([probe("fine", "vm-f", { on_configure: { ops: [], return: true } })], 2);
    expect(host.rootsOf("fine")).toHaveLength(2);
  });
});

describe("configuration buffers", () => {
  it("serves the plugin configuration only inside on_configure and the VM configuration anytime", async () => {
    const vmConfiguration = JSON.stringify({
      on_vm_start: [
        { op: "get_buffer", buffer: "plugin_configuration" },
        { op: "get_buffer", buffer: "vm_configuration", len: 2 },
      ],
    });
    const script = {
      on_configure: [
        { op: "get_buffer", buffer: "plugin_configuration", len: 2 },
        { op: "get_buffer", buffer: "vm_configuration", len: 2 },
      ],
      on_request_headers: [
        { op: "get_buffer", buffer: "plugin_configuration" },
        { op: "get_buffer_status", buffer: "plugin_configuration" },
        { op: "get_buffer", buffer: "vm_configuration", len: 2 },
      ],
      on_log: [{ op: "get_buffer", buffer: "plugin_configuration" }],
    };
    const host = await start([probe("cfg", "vm-cfg", script, { vmConfiguration })]);
    const r = await host.exchange(get());

    // Envoy keeps the plugin configuration in temp_plugin_ only while onConfigure runs.
    const worker0 = host.logs.filter((l) => l.worker === 0);
    expect(probeValues(worker0, "on_vm_start", "get_buffer")).toEqual([{ result: "NotFound" }, { result: "Ok", len: 2, text: "{\"" }]);
    expect(probeValues(worker0, "on_configure", "get_buffer")).toEqual([{ result: "Ok", len: 2, text: "{\"" }, { result: "Ok", len: 2, text: "{\"" }]);
    expect(probeValues(r.logs, "on_request_headers", "get_buffer")).toEqual([{ result: "NotFound" }, { result: "Ok", len: 2, text: "{\"" }]);
    expect(probeValues(r.logs, "on_request_headers", "get_buffer_status")).toEqual([{ result: "NotFound" }]);
    expect(probeValues(r.logs, "on_log", "get_buffer")).toEqual([{ result: "NotFound" }]);
  });
});

describe("VM sharing", () => {
  const ids = (host: EnvoyHost, filter: string, callback: string) =>
    host.logs.filter((l) => l.filter === filter && l.worker !== -1 && l.message.startsWith(`probe ${callback} enter`)).map((l) => JSON.parse(l.message.split(" enter ")[1]).context);

  it("runs plugins with the same vm_id, vm configuration and code in one VM per worker, each with its own root", async () => {
    const host = await start(
      [
        probe("first", "shared", { on_configure: [{ op: "get_buffer", buffer: "plugin_configuration", start: 2, len: 12 }] }),
        probe("second", "shared", { log_callbacks: true, on_configure: [{ op: "get_buffer", buffer: "plugin_configuration", start: 2, len: 12 }] }),
      ],
      2,
    );
    expect(host.vmsOn(0)).toHaveLength(1);
    expect(host.vmsOn(1)).toHaveLength(1);
    // Context ids are per VM: the second plugin's root is the shared VM's context 2.
    expect(host.rootsOf("first").map((r) => r.id)).toEqual([1, 1]);
    expect(host.rootsOf("second").map((r) => r.id)).toEqual([2, 2]);
    expect(ids(host, "first", "on_configure")).toEqual([1, 1]);
    expect(ids(host, "second", "on_configure")).toEqual([2, 2]);
    // Each root reads its own plugin configuration.
    const configs = probeLines(host.logs, "on_configure", "get_buffer").filter((l) => l.value.result === "Ok");
    expect(configs.map((l) => l.value.text)).toEqual(["on_configure", "log_callback", "on_configure", "log_callback", "on_configure", "log_callback"]);
    expect(host.logs.filter((l) => l.message.includes("on_configure get_buffer")).map((l) => l.filter)).toEqual(["first", "second", "first", "second", "first", "second"]);

    // One stream through both filters allocates consecutive context ids in the same VM.
    const r = await host.exchange(get(0));
    const streamCtx = r.logs.filter((l) => l.message.startsWith("probe on_request_headers enter")).map((l) => [l.filter, JSON.parse(l.message.split(" enter ")[1]).context]);
    expect(streamCtx).toEqual([["first", 3], ["second", 4]]);
  });

  it("gives plugins with different vm_ids separate VMs", async () => {
    const host = await start([probe("a", "vm-one", {}), probe("b", "vm-two", {})], 2);
    expect(host.vmsOn(0)).toHaveLength(2);
    expect(host.rootsOf("a").map((r) => r.id)).toEqual([1, 1]);
    expect(host.rootsOf("b").map((r) => r.id)).toEqual([1, 1]);
  });

  it("gives plugins with the same vm_id but different vm configuration separate VMs", async () => {
    // The VM key hashes vm_id, vm configuration and code together.
    const host = await start([probe("a", "same", {}, { vmConfiguration: "{}" }), probe("b", "same", {}, { vmConfiguration: "{ }" })]);
    expect(host.vmsOn(0)).toHaveLength(2);
    expect(host.rootsOf("b")[0].id).toBe(1);
  });

  it("answers plugin_name, plugin_root_id and plugin_vm_id per root, in the root and in streams", async () => {
    const ops = [
      { op: "get_property", path: ["plugin_name"] },
      { op: "get_property", path: ["plugin_root_id"] },
      { op: "get_property", path: ["plugin_vm_id"] },
    ];
    const script = { on_configure: ops, on_request_headers: ops };
    const host = await start([probe("alpha", "vm-x", script), probe("beta", "vm-x", script), probe("gamma", "vm-y", script)]);
    const texts = (logs: typeof host.logs, cb: string, filter: string) =>
      logs.filter((l) => l.filter === filter && l.worker === 0 && l.message.startsWith(`probe ${cb} get_property`)).map((l) => JSON.parse(l.message.split(" get_property ")[1]).text);
    expect(texts(host.logs, "on_configure", "alpha")).toEqual(["alpha", "probe", "vm-x"]);
    expect(texts(host.logs, "on_configure", "beta")).toEqual(["beta", "probe", "vm-x"]);
    expect(texts(host.logs, "on_configure", "gamma")).toEqual(["gamma", "probe", "vm-y"]);
    const r = await host.exchange(get());
    expect(texts(r.logs, "on_request_headers", "beta")).toEqual(["beta", "probe", "vm-x"]);
    expect(texts(r.logs, "on_request_headers", "gamma")).toEqual(["gamma", "probe", "vm-y"]);
  });
});
