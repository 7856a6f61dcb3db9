// Every scanner the pii bench compares, Tollgate first (the baseline the peers are divided by).
import { openRedaction } from "./openredaction";
import { redactPii } from "./redact-pii";
import { redactpiiNode } from "./redactpii-node";
import { secretlint } from "./secretlint";
import { tollgate } from "./tollgate";
import type { PiiPeer } from "./types";

export const SCANNERS: ReadonlyArray<{ name: string; load: () => PiiPeer }> = [
  { name: "tollgate", load: tollgate },
  { name: "@redactpii/node", load: redactpiiNode },
  { name: "openredaction", load: openRedaction },
  { name: "redact-pii", load: redactPii },
  { name: "secretlint", load: secretlint },
];
