#!/usr/bin/env node
// `npm run eval:pii`: scores dist/pii-redact.wasm on host-tests/pii/data/pii-dev.jsonl and prints
// precision/recall per type against the targets. The scorer is TypeScript, loaded in this process
// through tsx's ESM loader API, as scripts/tollgate.mjs does.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../host-tests/pii/eval-cli.ts");
process.exitCode = await main(process.argv.slice(2));
