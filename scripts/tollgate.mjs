#!/usr/bin/env node
// The `tollgate` bin. The CLI is TypeScript; tsx's ESM loader API registers the loader in this
// process (no child process, no global install), so `npx tollgate` and `node scripts/tollgate.mjs`
// behave the same and signals reach the CLI directly.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../host-tests/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
