// `tollgate pii scan` in-process: offsets as JavaScript string indices (emoji and other
// surrogate pairs before the entities), error lines, --json against the human form. The offset
// mapping is checked through stand-in exports that report byte offsets the way the wasm does,
// so it does not depend on which detectors exist yet; the last block runs the real module.
import { describe, expect, it } from "vitest";
import { main as tollgate } from "./cli/main";
import { main, type PiiIo } from "./pii/scan-cli";
import { byteToUtf16Table, toUtf16Range, Utf8ToUtf16, utf8Length } from "./pii/offsets";
import { piiScannerFromExports, type PiiScanExports, type PiiScanner } from "./pii/scanner";
import { redactText } from "./pii/redact-text";

/** Exports that find ASCII e-mail addresses in the UTF-8 bytes and report byte offsets. */
function fakeExports(): PiiScanExports {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 64 });
  const TEXT = 0;
  let top = 1024;
  let found: Array<[number, number]> = [];
  const put = (s: string) => {
    new Uint8Array(memory.buffer, TEXT, s.length).set(Buffer.from(s, "latin1"));
    return s.length;
  };
  return {
    memory,
    _initialize() {},
    pii_alloc(len) {
      const p = top;
      top += len;
      while (top > memory.buffer.byteLength) memory.grow(1);
      return p;
    },
    pii_free() {},
    pii_configure: () => 0,
    pii_scan(ptr, len) {
      // latin1: one character per byte, so regex indices are byte offsets.
      const bytes = Buffer.from(memory.buffer, ptr, len).toString("latin1");
      found = [...bytes.matchAll(/[a-z]+@[a-z]+\.[a-z]+/g)].map((m) => [m.index!, m.index! + m[0].length]);
      return found.length;
    },
    pii_start: (i) => found[i][0],
    pii_end: (i) => found[i][1],
    pii_type: () => 1,
    pii_subtype: () => 1,
    pii_score: () => 90,
    pii_text_ptr: () => TEXT,
    pii_type_name: (t) => put(t === 1 ? "EMAIL" : "UNKNOWN"),
    pii_subtype_name: (id) => put(id === 1 ? "email" : ""),
    pii_secret_family: () => put(""),
    pii_error: () => put(""),
  };
}

async function run(argv: string[], stdin: PiiIo["stdin"], scanner?: PiiScanner) {
  let out = "", err = "";
  const status = await main(argv, { stdin, scanner, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { status, out, err };
}

const jsonLines = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l));

describe("byte offsets to string indices", () => {
  const samples = ["plain", "😀 a", "é日本😀x", "a\ud800b", "\udc00😀\ud83d", ""];

  it("maps every character boundary as TextEncoder counts bytes", () => {
    for (const text of samples) {
      const table = byteToUtf16Table(text);
      const encoder = new TextEncoder();
      expect(utf8Length(text)).toBe(encoder.encode(text).length);
      expect(table[table.length - 1]).toBe(text.length);
      for (let i = 0; i <= text.length; i++) {
        const isLowHalf = i > 0 && /[\ud800-\udbff]/.test(text[i - 1]) && /[\udc00-\udfff]/.test(text[i] ?? "");
        if (isLowHalf) continue;
        expect(table[encoder.encode(text.slice(0, i)).length], `${JSON.stringify(text)} at ${i}`).toBe(i);
      }
    }
  });

  it("widens a range cut inside a character to the whole character", () => {
    const table = byteToUtf16Table("x😀y"); // bytes: x, 4 × emoji, y
    expect(toUtf16Range(table, 0, 1)).toEqual([0, 1]);
    expect(toUtf16Range(table, 2, 3)).toEqual([1, 3]);
    expect(toUtf16Range(table, 1, 6)).toEqual([1, 4]);
    expect(toUtf16Range(table, 0, 99)).toEqual([0, 4]);
  });

  it("the scanner's walk over the UTF-8 bytes answers what the table does, ranges in order or not", () => {
    // Seeded: characters of every UTF-8 width and lone surrogates, ranges cut anywhere.
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const chars = ["a", "é", "日", "😀", "\ud800", "\udc00", " "];
    for (let t = 0; t < 500; t++) {
      let text = "";
      for (let k = 1 + Math.floor(rand() * 20); k > 0; k--) text += chars[Math.floor(rand() * chars.length)];
      const bytes = utf8Length(text);
      const table = byteToUtf16Table(text);
      const ranges: Array<[number, number]> = [];
      for (let p = 0; p < bytes + 2; ) {
        const a = p + Math.floor(rand() * 3);
        const b = a + 1 + Math.floor(rand() * 4);
        ranges.push([a, b]);
        p = b + Math.floor(rand() * 2);
      }
      if (t % 5 === 0) ranges.reverse();
      const cursor = new Utf8ToUtf16(new TextEncoder().encode(text));
      for (const [a, b] of ranges) expect(cursor.range(a, b), `${JSON.stringify(text)} ${a}..${b}`).toEqual(toUtf16Range(table, a, b));
    }
  });
});

describe("the scanner on stand-in exports", () => {
  it("reports entities at string indices after surrogate pairs and multi-byte text", () => {
    const scanner = piiScannerFromExports(fakeExports());
    for (const text of ["😀😀 write to ann@example.org or 日本 bob@corp.io", "\ud800 lone ann@example.org", "ann@example.org"]) {
      const found = scanner.scan(text);
      expect(found.length).toBeGreaterThan(0);
      for (const e of found) {
        expect(text.slice(e.start, e.end)).toMatch(/^[a-z]+@[a-z]+\.[a-z]+$/);
        expect(e).toMatchObject({ type: "EMAIL", subtype: "email", score: 90 });
      }
    }
    // The input buffer grows for a long text and shrinks back to short ones without stale bytes.
    const long = "é".repeat(5000) + " zed@x.com";
    expect(scanner.scan(long).map((e) => long.slice(e.start, e.end))).toEqual(["zed@x.com"]);
    expect(scanner.scan("no entity")).toEqual([]);
  });
});

describe("tollgate pii scan", () => {
  const scanner = () => piiScannerFromExports(fakeExports());

  it("--json: one line per input, offsets in string indices, [TYPE] redaction, errors in place", async () => {
    const texts = ["🎉🎉 mail ann@example.org now", "nothing here", "𝒳 a@b.io and c@d.io"];
    const input = [JSON.stringify({ text: texts[0] }), "not json", JSON.stringify({ text: texts[1] }), '{"text": 5}', "[1]", JSON.stringify({ text: texts[2] })].join("\n") + "\n";
    const r = await run(["scan", "--json"], input, scanner());
    expect(r).toMatchObject({ status: 0, err: "" });
    const out = jsonLines(r.out);
    expect(out).toHaveLength(6);
    expect(out[0]).toEqual({ entities: [{ start: 10, end: 25, type: "EMAIL", subtype: "email" }], redacted: "🎉🎉 mail [EMAIL] now" });
    expect(texts[0].slice(10, 25)).toBe("ann@example.org");
    expect(out[1].error).toMatch(/^not JSON/);
    expect(out[2]).toEqual({ entities: [], redacted: "nothing here" });
    expect(out[3].error).toBe('expected {"text": string}');
    expect(out[4].error).toBe('expected {"text": string}');
    expect(out[5].entities.map((e: { start: number; end: number }) => texts[2].slice(e.start, e.end))).toEqual(["a@b.io", "c@d.io"]);
    expect(out[5].redacted).toBe("𝒳 [EMAIL] and [EMAIL]");
  });

  it("human form: the redacted text, then one indented line per entity", async () => {
    const r = await run(["pii", "scan"], '{"text":"😀 ann@example.org"}\r\nbad\n{"text":"x"}', scanner());
    expect(r.status).toBe(0);
    const lines = r.out.split("\n");
    expect(lines.slice(0, 2)).toEqual(["😀 [EMAIL]", '  3-18 EMAIL/email score 90: "ann@example.org"']);
    expect(lines[2]).toMatch(/^error: not JSON: /);
    expect(lines.slice(3)).toEqual(["x", ""]);
  });

  it("reads standard input in chunks split anywhere, inside a character too", async () => {
    const bytes = Buffer.from('{"text":"😀 ann@example.org"}\n{"text":"é"}\n');
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const r = await run(["scan", "--json"], chunks(), scanner());
    expect(jsonLines(r.out)).toEqual([
      { entities: [{ start: 3, end: 18, type: "EMAIL", subtype: "email" }], redacted: "😀 [EMAIL]" },
      { entities: [], redacted: "é" },
    ]);
  });

  it("usage errors exit 2, help exits 0, unreadable input exits 1", async () => {
    expect((await run([], "", scanner())).status).toBe(2);
    expect((await run(["scan", "--bogus"], "", scanner())).status).toBe(2);
    expect((await run(["lookup"], "", scanner())).status).toBe(2);
    expect((await run(["scan", "--config"], "", scanner())).status).toBe(2);
    const help = await run(["scan", "--help"], "", scanner());
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/tollgate pii scan/);
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"text":"a"}\n');
      throw new Error("EIO");
    }
    const r = await run(["scan", "--json"], broken(), scanner());
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/cannot read standard input: EIO/);
    expect(jsonLines(r.out)).toEqual([{ entities: [], redacted: "a" }]);
  });

  it("redactText keeps the text between entities and skips overlaps", () => {
    expect(redactText("ab cd ef", [{ start: 6, end: 8, type: "B" }, { start: 0, end: 2, type: "A" }, { start: 1, end: 4, type: "C" }])).toBe("[A] cd [B]");
  });
});

describe("tollgate pii scan on dist/pii-redact.wasm", () => {
  async function real(argv: string[], stdin: string) {
    let out = "", err = "";
    const status = await tollgate(["pii", ...argv], { stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } } as never);
    return { status, out, err };
  }

  it("is reached through the tollgate CLI and answers every line", async () => {
    const r = await real(["scan", "--json"], '{"text":"hello"}\nnope\n');
    expect(r.status).toBe(0);
    const out = jsonLines(r.out);
    expect(out[0]).toEqual({ entities: [], redacted: "hello" });
    expect(out[1].error).toBeTruthy();
  });

  it("--config: unknown keys are accepted, a wrong type name is rejected with its path", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "pii-scan-"));
    const good = join(dir, "good.json");
    const bad = join(dir, "bad.json");
    writeFileSync(good, JSON.stringify({ enabled: ["EMAIL", "PHONE"], thresholds: { EMAIL: 70 }, generic_secrets: true, actions: { EMAIL: "redact" } }));
    writeFileSync(bad, JSON.stringify({ thresholds: { E_MAIL: 70 } }));
    expect((await real(["scan", "--json", "--config", good], '{"text":"x"}\n')).status).toBe(0);
    const filterConfig = join(dir, "filter.json");
    writeFileSync(filterConfig, JSON.stringify({ entities: { PHONE: { enabled: false }, EMAIL: { threshold: 90, action: "mask" } }, stream: { hold_back_bytes: 64 } }));
    expect((await real(["scan", "--config", filterConfig], '{"text":"x"}\n')).status).toBe(0);
    writeFileSync(filterConfig, JSON.stringify({ entities: { EMAIL: { threshold: 101 } } }));
    expect((await real(["scan", "--config", filterConfig], "")).err).toMatch(/\$\.entities\.EMAIL\.threshold: must be an integer from 0 to 100/);
    const r = await real(["scan", "--config", bad], '{"text":"x"}\n');
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/\$\.thresholds\.E_MAIL: is not a PII type/);
    expect((await real(["scan", "--config", join(dir, "missing.json")], "")).status).toBe(1);
  });

  // Depends on the EMAIL detector (filters/lib/pii/detect-structured.ts), written separately.
  it("finds an e-mail address after emoji at its string indices", async () => {
    const text = "👩‍💻🎉 reach me at jane.doe@example.com today";
    const r = await real(["scan", "--json"], JSON.stringify({ text }) + "\n");
    const [line] = jsonLines(r.out);
    const start = text.indexOf("jane.doe@example.com");
    expect(line.entities, "EMAIL detector not in dist/pii-redact.wasm yet?").toEqual([{ start, end: start + 20, type: "EMAIL", subtype: expect.any(String) }]);
    expect(line.redacted).toBe("👩‍💻🎉 reach me at [EMAIL] today");
  });
});
