#!/usr/bin/env node
// `npm run bench`. The bench is TypeScript; as in scripts/tollgate.mjs, tsx's loader is
// registered in this process rather than spawning `npx tsx`: no second Node process, and
// Ctrl-C reaches the bench directly.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../host-tests/bench/main.ts");
process.exitCode = await main(process.argv.slice(2));
