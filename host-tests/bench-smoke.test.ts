// The bench's report shape, from a quick run of the host suite. Timing values are never asserted:
// they depend on the machine and on whatever else runs beside the tests.
import { describe, expect, it } from "vitest";
import { QUICK_OPTIONS, discoverSuites, passthroughChain, runSuites, selectCases, type BenchReport, type Suite } from "./bench/framework";
import { main, parseArgs } from "./bench/main";
import { formatReport } from "./bench/report";
import { suite as hostSuite } from "./bench/suites/host";

const CALLBACKS = [
  "proxy_on_context_create", "proxy_on_request_headers", "proxy_on_request_body",
  "proxy_on_response_headers", "proxy_on_response_body", "proxy_on_log", "proxy_on_done", "proxy_on_delete",
];

const finite = (n: unknown) => typeof n === "number" && Number.isFinite(n);

describe("bench", () => {
  let report: BenchReport;

  it("runs the host suite in quick mode", async () => {
    report = await runSuites([hostSuite], QUICK_OPTIONS);
    expect(report.suites.map((s) => s.name)).toEqual(["host"]);
    expect(report.suites[0].cases.map((c) => c.name)).toEqual(hostSuite.cases.map((c) => c.name));
  });

  it("reports medians for every callback each case exercised, and finite ratios", () => {
    for (const c of report.suites[0].cases) {
      expect(c.iterations).toBeGreaterThanOrEqual(QUICK_OPTIONS.minIterations);
      expect(c.callbacks.map((cb) => cb.callback)).toEqual(CALLBACKS);
      for (const row of [c.total, ...c.callbacks]) {
        expect(finite(row.medianNs) && row.medianNs >= 0).toBe(true);
        expect(row.p90Ns).toBeGreaterThanOrEqual(row.medianNs);
        expect(finite(row.ratio)).toBe(true);
        expect(row.samples).toBeGreaterThan(0);
      }
      const sse = c.workload!.name === "sse-64";
      const body = c.callbacks.find((cb) => cb.callback === "proxy_on_response_body")!;
      expect(body.perIteration).toBe(sse ? 260 : 1);
      expect(finite(body.mbPerS)).toBe(true);
      expect(finite(c.total.mbPerS)).toBe(true);
      expect(c.total.unit).toBe("exchange");
      expect(c.modules.length).toBe(1);
      expect(c.modules[0].bytes).toBeGreaterThan(0);
    }
  });

  it("divides each case by the pass-through case on the same workload, whose ratio is 1", () => {
    const cases = report.suites[0].cases;
    for (const c of cases) {
      expect(c.baseline).toBe(`passthrough/${c.workload!.name}`);
      expect(cases.some((b) => b.name === c.baseline)).toBe(true);
      if (c.isBaseline) {
        expect(c.total.ratio).toBe(1);
        for (const cb of c.callbacks) expect(cb.ratio).toBe(1);
      }
    }
    expect(cases.filter((c) => c.isBaseline).map((c) => c.name)).toEqual(["passthrough/sse-64", "passthrough/json", "passthrough/json-9k-request"]);
  });

  it("reports each module's size once", () => {
    expect(report.modules.map((m) => m.file).sort()).toEqual(["dist/passthrough.wasm", "dist/probe.wasm"]);
    for (const m of report.modules) expect(m.gzipBytes).toBeGreaterThan(0);
  });

  it("renders a table naming every case, and JSON that parses back", () => {
    const text = formatReport(report);
    for (const c of report.suites[0].cases) expect(text).toContain(c.name);
    expect(text).toContain("on_response_body");
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("times JS cases with hrtime and divides them by their own baseline", async () => {
    let sink = 0;
    const js: Suite = {
      name: "js",
      baseline: "small",
      cases: [
        { kind: "js", name: "small", bytes: 1000, prepare: () => () => (sink += [...Array(10).keys()].length) },
        { kind: "js", name: "large", bytes: 1000, prepare: () => () => (sink += [...Array(1000).keys()].length) },
      ],
    };
    const r = await runSuites([js], { ...QUICK_OPTIONS, filter: "large" });
    const cases = r.suites[0].cases;
    expect(cases.map((c) => c.name)).toEqual(["small", "large"]); // the baseline came along
    expect(cases[0].total.ratio).toBe(1);
    expect(finite(cases[1].total.ratio)).toBe(true);
    expect(cases[1].total.unit).toBe("call");
    expect(cases[1].callbacks).toEqual([]);
    expect(finite(cases[1].total.mbPerS)).toBe(true);
  });

  it("times a direct wasm call through the same hook, and not the JS around it", async () => {
    const wasm: Suite = {
      name: "wasm",
      baseline: "malloc",
      cases: [
        {
          kind: "wasm",
          name: "malloc",
          chain: passthroughChain(),
          prepare: (host) => {
            const vm = host.vmsOn(0)[0];
            return () => vm.call("malloc", 0, 16);
          },
        },
      ],
    };
    const r = await runSuites([wasm], QUICK_OPTIONS);
    const [c] = r.suites[0].cases;
    expect(c.total.unit).toBe("call");
    expect(c.callbacks.map((cb) => cb.callback)).toEqual(["malloc"]);
    expect(c.callbacks[0].perIteration).toBe(1);
    expect(c.total.ratio).toBe(1);
  });

  it("finds the suites on disk and runs the CLI end to end with --json", async () => {
    const suites = await discoverSuites();
    expect(suites.map((s) => s.name)).toContain("host");
    expect(selectCases(hostSuite, "PROBE-LIGHT/sse").map((c) => c.name)).toEqual(["passthrough/sse-64", "probe-light/sse-64"]);
    expect(parseArgs(["--quick", "--iterations", "7"]).options.iterations).toBe(7);

    let out = "";
    let err = "";
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
    expect(await main(["--quick", "--json", "--filter", "host/probe-idle/json"], io)).toBe(0);
    const parsed = JSON.parse(out) as BenchReport;
    expect(parsed.tool).toBe("tollgate-bench");
    expect(parsed.suites[0].cases.map((c) => c.name)).toEqual(["passthrough/json", "probe-idle/json", "passthrough/json-9k-request", "probe-idle/json-9k-request"]);
    expect(err).toContain("bench: host:");
    expect(await main(["--iterations", "zero"], io)).toBe(2);
  });
});
