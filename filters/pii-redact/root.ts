// The pii-redact root context: reads and checks the configuration (a configuration that does
// not validate is rejected, so Envoy keeps the previous one). The stream side is not built yet.
import { RootContext, loadJsonConfig, logError } from "../sdk";
import { PiiConfig, readPiiConfig } from "./config";

export class PiiRedactRoot extends RootContext {
  config: PiiConfig = new PiiConfig();

  onConfigure(configurationSize: u32): bool {
    const json = loadJsonConfig(configurationSize, "pii-redact configuration");
    if (json === null) return false;
    const read = readPiiConfig(json);
    const config = read.config;
    if (config === null) {
      logError("pii-redact configuration: " + read.errorPath + " " + read.error);
      return false;
    }
    this.config = config;
    return true;
  }
}
