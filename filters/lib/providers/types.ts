// Provider and operation codes shared by request recognition and usage extraction.
// Names and meanings follow filters/token-meter/USAGE.md (and its TypeScript oracle,
// host-tests/support/usage-oracle.ts): keep the three in step.

export const enum Provider {
  Unknown = 0,
  OpenAI = 1,
  AzureOpenAI = 2,
  Mistral = 3,
  Groq = 4,
  DeepSeek = 5,
  Together = 6,
  OpenRouter = 7,
  OpenAICompatible = 8,
  Anthropic = 9,
  Gemini = 10,
  VertexAI = 11,
  Bedrock = 12,
  Ollama = 13,
}

export const enum Operation {
  Unknown = 0,
  ChatCompletions = 1,
  Completions = 2,
  Responses = 3,
  Embeddings = 4,
  Messages = 5,
  GenerateContent = 6,
  StreamGenerateContent = 7,
  Converse = 8,
  ConverseStream = 9,
  Invoke = 10,
  InvokeStream = 11,
  OllamaChat = 12,
  OllamaGenerate = 13,
}

/** The wire framing of a response body, decided from the operation and content-type. */
export const enum BodyFraming {
  Json = 0,
  Sse = 1,
  Ndjson = 2,
  EventStream = 3,
  JsonArray = 4,
}

/** Where a figure came from (the issue's `source` values). */
export const enum FigureSource {
  Missing = 0,
  Reported = 1,
  Counted = 2,
  Estimated = 3,
}

/** The normalised usage: `input` includes cache reads and writes, `output` includes reasoning. */
export class Usage {
  input: u64 = 0;
  output: u64 = 0;
  cachedInput: u64 = 0;
  cacheWrite: u64 = 0;
  reasoning: u64 = 0;
  inputSource: FigureSource = FigureSource.Missing;
  outputSource: FigureSource = FigureSource.Missing;

  get total(): u64 {
    return this.input + this.output;
  }
}

/** Names as they appear in filter state and metrics tags (USAGE.md). */
export function providerName(p: Provider): string {
  switch (p) {
    case Provider.OpenAI: return "openai";
    case Provider.AzureOpenAI: return "azure-openai";
    case Provider.Mistral: return "mistral";
    case Provider.Groq: return "groq";
    case Provider.DeepSeek: return "deepseek";
    case Provider.Together: return "together";
    case Provider.OpenRouter: return "openrouter";
    case Provider.OpenAICompatible: return "openai-compatible";
    case Provider.Anthropic: return "anthropic";
    case Provider.Gemini: return "gemini";
    case Provider.VertexAI: return "vertex-ai";
    case Provider.Bedrock: return "bedrock";
    case Provider.Ollama: return "ollama";
    default: return "unknown";
  }
}

export function operationName(o: Operation): string {
  switch (o) {
    case Operation.ChatCompletions: return "chat-completions";
    case Operation.Completions: return "completions";
    case Operation.Responses: return "responses";
    case Operation.Embeddings: return "embeddings";
    case Operation.Messages: return "messages";
    case Operation.GenerateContent: return "generate-content";
    case Operation.StreamGenerateContent: return "stream-generate-content";
    case Operation.Converse: return "converse";
    case Operation.ConverseStream: return "converse-stream";
    case Operation.Invoke: return "invoke";
    case Operation.InvokeStream: return "invoke-stream";
    case Operation.OllamaChat: return "ollama-chat";
    case Operation.OllamaGenerate: return "ollama-generate";
    default: return "unknown";
  }
}
