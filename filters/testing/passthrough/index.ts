// Benchmark baseline: the SDK's dispatch and nothing else. Every callback continues.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";

class PassthroughRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("passthrough", (contextId: u32): RootContext => new PassthroughRoot(contextId));
