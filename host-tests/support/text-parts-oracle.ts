// Reference for filters/lib/pii text parts (test oracle): the executable form of
// filters/lib/pii/TEXT-PARTS.md written independently of the AssemblyScript trie. It walks
// JSON.parse output, names every string value by its dotted path (`choices.0.delta.content`)
// and asks a per-dialect list of regular expressions whether that path is text. Shares no code
// with filters/.

export const KIND = { text: 1, tool: 2, refusal: 3 } as const;

export type PathStep = string | number;

export interface OraclePart {
  path: PathStep[];
  text: string;
  kind: number;
  continues: boolean;
  channel: number;
}

interface Hit {
  kind: number;
  continues: boolean;
  major: number;
  minor: number;
}

// A rule: the path regex, the kind, whether it continues a stream, and how to find the
// channel: group numbers of the regex holding the array positions, or a function.
interface Rule {
  re: RegExp;
  kind: number;
  continues?: boolean;
  onlyTypes?: string[];
  channel?: (m: RegExpMatchArray, doc: any) => [number, number];
}

const T = KIND.text;
const F = KIND.tool;
const R = KIND.refusal;

const intOr = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isInteger(v) ? v : fallback);
const clamp = (n: number) => Math.max(0, Math.min(0xfff, n));
export const channelOf = (kind: number, major: number, minor: number) => (kind << 24) | (clamp(major) << 12) | clamp(minor);

// `**` in the table: the path itself or anything below it.
const DEEP = "(?:\\..*)?";

// OpenAI chat: choice and tool call numbers come from their `index` fields (a stream chunk
// holds one choice at position 0 whatever its number), else from the position.
const choiceCh = (m: RegExpMatchArray, doc: any): [number, number] => {
  const i = Number(m[1]);
  const choice = doc.choices[i];
  const major = intOr(choice?.index, i);
  if (m[2] === undefined) return [major, 0];
  const j = Number(m[3]);
  const tc = choice?.[m[2]]?.tool_calls?.[j];
  return [major, intOr(tc?.index, j)];
};

const chatRequest: Rule[] = [
  { re: /^messages\.\d+\.content$/, kind: T },
  { re: /^messages\.\d+\.content\.\d+\.text$/, kind: T },
  { re: /^messages\.\d+\.tool_calls\.\d+\.function\.arguments$/, kind: F },
  { re: /^messages\.\d+\.function_call\.arguments$/, kind: F },
];

const chatResponse: Rule[] = (["message", "delta"] as const).flatMap((w) => {
  const continues = w === "delta";
  return [
    { re: new RegExp(`^choices\\.(\\d+)\\.${w}\\.content$`), kind: T, continues, channel: choiceCh },
    { re: new RegExp(`^choices\\.(\\d+)\\.${w}\\.content\\.\\d+\\.text$`), kind: T, continues, channel: choiceCh },
    { re: new RegExp(`^choices\\.(\\d+)\\.${w}\\.refusal$`), kind: R, continues, channel: choiceCh },
    { re: new RegExp(`^choices\\.(\\d+)\\.(${w})\\.tool_calls\\.(\\d+)\\.function\\.arguments$`), kind: F, continues, channel: choiceCh },
    { re: new RegExp(`^choices\\.(\\d+)\\.${w}\\.function_call\\.arguments$`), kind: F, continues, channel: choiceCh },
  ];
});

const completionsRequest: Rule[] = [{ re: /^prompt$/, kind: T }, { re: /^prompt\.\d+$/, kind: T }, { re: /^suffix$/, kind: T }];
const completionsResponse: Rule[] = [{ re: /^choices\.(\d+)\.text$/, kind: T, continues: true, channel: choiceCh }];
const embeddingsRequest: Rule[] = [{ re: /^input$/, kind: T }, { re: /^input\.\d+$/, kind: T }];

const responsesRequest: Rule[] = [
  { re: /^instructions$/, kind: T },
  { re: /^input$/, kind: T },
  { re: /^input\.\d+\.content$/, kind: T },
  { re: /^input\.\d+\.content\.\d+\.text$/, kind: T },
  { re: /^input\.\d+\.arguments$/, kind: F },
  { re: /^input\.\d+\.output$/, kind: T },
  { re: /^input\.\d+\.output\.\d+\.text$/, kind: T },
];

// Responses events: positions in the path win over the event's output_index/content_index.
const respCh = (m: RegExpMatchArray, doc: any): [number, number] => {
  const o = m.groups?.o !== undefined ? Number(m.groups.o) : intOr(doc.output_index, 0);
  const c = m.groups?.c !== undefined ? Number(m.groups.c) : intOr(doc.content_index, 0);
  return [o, c];
};
const responsesResponse: Rule[] = [
  ...["", "response\\."].flatMap((pre) => [
    { re: new RegExp(`^${pre}output\\.(?<o>\\d+)\\.content\\.(?<c>\\d+)\\.text$`), kind: T, channel: respCh },
    { re: new RegExp(`^${pre}output\\.(?<o>\\d+)\\.content\\.(?<c>\\d+)\\.refusal$`), kind: R, channel: respCh },
    { re: new RegExp(`^${pre}output\\.(?<o>\\d+)\\.arguments$`), kind: F, channel: respCh },
  ]),
  { re: /^item\.content\.(?<c>\d+)\.text$/, kind: T, channel: respCh },
  { re: /^item\.content\.(?<c>\d+)\.refusal$/, kind: R, channel: respCh },
  { re: /^item\.arguments$/, kind: F, channel: respCh },
  { re: /^part\.text$/, kind: T, channel: respCh },
  { re: /^part\.refusal$/, kind: R, channel: respCh },
  { re: /^delta$/, kind: T, continues: true, onlyTypes: ["response.output_text.delta"], channel: respCh },
  { re: /^delta$/, kind: R, continues: true, onlyTypes: ["response.refusal.delta"], channel: respCh },
  { re: /^delta$/, kind: F, continues: true, onlyTypes: ["response.function_call_arguments.delta"], channel: respCh },
  { re: /^text$/, kind: T, onlyTypes: ["response.output_text.done"], channel: respCh },
  { re: /^refusal$/, kind: R, onlyTypes: ["response.refusal.done"], channel: respCh },
  { re: /^arguments$/, kind: F, onlyTypes: ["response.function_call_arguments.done"], channel: respCh },
];

const anthropicRequest: Rule[] = [
  { re: /^system$/, kind: T },
  { re: /^system\.\d+\.text$/, kind: T },
  { re: /^messages\.\d+\.content$/, kind: T },
  { re: /^messages\.\d+\.content\.\d+\.text$/, kind: T },
  { re: new RegExp(`^messages\\.\\d+\\.content\\.\\d+\\.input${DEEP}$`), kind: F },
  { re: /^messages\.\d+\.content\.\d+\.content$/, kind: T },
  { re: /^messages\.\d+\.content\.\d+\.content\.\d+\.text$/, kind: T },
];

// Anthropic: a block's position in `content`, else the event's `index`.
const blockCh = (m: RegExpMatchArray, doc: any): [number, number] => [m[1] !== undefined ? Number(m[1]) : intOr(doc.index, 0), 0];
const anthropicResponse: Rule[] = [
  { re: /^content\.(\d+)\.text$/, kind: T, channel: blockCh },
  { re: new RegExp(`^content\\.(\\d+)\\.input${DEEP}$`), kind: F, channel: blockCh },
  { re: /^message\.content\.(\d+)\.text$/, kind: T, channel: blockCh },
  { re: new RegExp(`^message\\.content\\.(\\d+)\\.input${DEEP}$`), kind: F, channel: blockCh },
  { re: /^content_block\.text$/, kind: T, channel: blockCh },
  { re: new RegExp(`^content_block\\.input${DEEP}$`), kind: F, channel: blockCh },
  { re: /^delta\.text$/, kind: T, continues: true, channel: blockCh },
  { re: /^delta\.partial_json$/, kind: F, continues: true, channel: blockCh },
];

const geminiRequest: Rule[] = [
  { re: /^contents\.\d+\.parts\.\d+\.text$/, kind: T },
  { re: new RegExp(`^contents\\.\\d+\\.parts\\.\\d+\\.(functionCall|function_call)\\.args${DEEP}$`), kind: F },
  { re: new RegExp(`^contents\\.\\d+\\.parts\\.\\d+\\.(functionResponse|function_response)\\.response${DEEP}$`), kind: T },
  { re: /^(systemInstruction|system_instruction)\.parts\.\d+\.text$/, kind: T },
];

const candCh = (m: RegExpMatchArray, doc: any): [number, number] => {
  const el = m.groups?.el !== undefined ? doc[Number(m.groups.el)] : doc;
  const c = Number(m.groups!.c);
  return [intOr(el?.candidates?.[c]?.index, c), 0];
};
const geminiResponse: Rule[] = ["", "(?<el>\\d+)\\."].flatMap((pre) => [
  { re: new RegExp(`^${pre}candidates\\.(?<c>\\d+)\\.content\\.parts\\.\\d+\\.text$`), kind: T, continues: true, channel: candCh },
  { re: new RegExp(`^${pre}candidates\\.(?<c>\\d+)\\.content\\.parts\\.\\d+\\.functionCall\\.args${DEEP}$`), kind: F, channel: candCh },
]);

const converseRequest: Rule[] = [
  { re: /^messages\.\d+\.content\.\d+\.text$/, kind: T },
  { re: new RegExp(`^messages\\.\\d+\\.content\\.\\d+\\.toolUse\\.input${DEEP}$`), kind: F },
  { re: /^messages\.\d+\.content\.\d+\.toolResult\.content\.\d+\.text$/, kind: T },
  { re: new RegExp(`^messages\\.\\d+\\.content\\.\\d+\\.toolResult\\.content\\.\\d+\\.json${DEEP}$`), kind: T },
  { re: /^system\.\d+\.text$/, kind: T },
];
const converseCh = (m: RegExpMatchArray, doc: any): [number, number] => [m[1] !== undefined ? Number(m[1]) : intOr(doc.contentBlockIndex, 0), 0];
const converseResponse: Rule[] = [
  { re: /^output\.message\.content\.(\d+)\.text$/, kind: T, channel: converseCh },
  { re: new RegExp(`^output\\.message\\.content\\.(\\d+)\\.toolUse\\.input${DEEP}$`), kind: F, channel: converseCh },
  { re: /^delta\.text$/, kind: T, continues: true, channel: converseCh },
  { re: /^delta\.toolUse\.input$/, kind: F, continues: true, channel: converseCh },
];

const ollamaChatRequest: Rule[] = [
  { re: /^messages\.\d+\.content$/, kind: T },
  { re: new RegExp(`^messages\\.\\d+\\.tool_calls\\.\\d+\\.function\\.arguments${DEEP}$`), kind: F },
];
const ollamaChatResponse: Rule[] = [
  { re: /^message\.content$/, kind: T, continues: true },
  { re: new RegExp(`^message\\.tool_calls\\.(\\d+)\\.function\\.arguments${DEEP}$`), kind: F, channel: (m) => [0, Number(m[1])] },
];
const ollamaGenerateRequest: Rule[] = [{ re: /^prompt$/, kind: T }, { re: /^system$/, kind: T }, { re: /^suffix$/, kind: T }];
const ollamaGenerateResponse: Rule[] = [{ re: /^response$/, kind: T, continues: true }];

function rulesFor(provider: string, operation: string, response: boolean): Rule[] {
  if (provider === "unknown") return [];
  const pick = (req: Rule[], res: Rule[]) => (response ? res : req);
  switch (operation) {
    case "chat-completions": return pick(chatRequest, chatResponse);
    case "completions": return pick(completionsRequest, completionsResponse);
    case "embeddings": return pick(embeddingsRequest, []);
    case "responses": return pick(responsesRequest, responsesResponse);
    case "messages":
    case "invoke": return pick(anthropicRequest, anthropicResponse);
    case "invoke-stream": return pick(anthropicRequest, []);
    case "generate-content":
    case "stream-generate-content": return pick(geminiRequest, geminiResponse);
    case "converse":
    case "converse-stream": return pick(converseRequest, converseResponse);
    case "ollama-chat": return pick(ollamaChatRequest, ollamaChatResponse);
    case "ollama-generate": return pick(ollamaGenerateRequest, ollamaGenerateResponse);
    default: return [];
  }
}

function classify(rules: Rule[], path: PathStep[], doc: any): Hit | null {
  const p = path.join(".");
  const type = doc !== null && typeof doc === "object" && !Array.isArray(doc) && typeof doc.type === "string" ? doc.type : undefined;
  for (const r of rules) {
    const m = p.match(r.re);
    if (!m) continue;
    if (r.onlyTypes && (type === undefined || !r.onlyTypes.includes(type))) continue;
    const [major, minor] = r.channel ? r.channel(m, doc) : [0, 0];
    return { kind: r.kind, continues: r.continues ?? false, major, minor };
  }
  return null;
}

/** The text parts of a parsed document, in document order. */
export function textPartsOracle(provider: string, operation: string, response: boolean, doc: unknown): OraclePart[] {
  const rules = rulesFor(provider, operation, response);
  const out: OraclePart[] = [];
  if (rules.length === 0) return out;
  const visit = (v: unknown, path: PathStep[]) => {
    if (typeof v === "string") {
      const h = classify(rules, path, doc);
      if (h) out.push({ path: [...path], text: v, kind: h.kind, continues: h.continues, channel: channelOf(h.kind, h.major, h.minor) });
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, [...path, i]));
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) visit(x, [...path, k]);
    }
  };
  visit(doc, []);
  return out;
}

/** A copy of doc with the value at each path replaced. */
export function withReplaced(doc: unknown, parts: Array<{ path: PathStep[]; text: string }>): unknown {
  const copy = structuredClone(doc);
  for (const { path, text } of parts) {
    if (path.length === 0) return text;
    let o: any = copy;
    for (const k of path.slice(0, -1)) o = o[k];
    o[path[path.length - 1]] = text;
  }
  return copy;
}
