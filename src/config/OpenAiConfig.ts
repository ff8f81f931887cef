import { Config, Context, type Redacted } from "effect"
import { secret } from "./validate.js"

export interface OpenAiSettings {
  readonly apiKey: Redacted.Redacted<string>
}

/** Needed by the enforcement worker only. */
export class OpenAiConfig extends Context.Tag("config/OpenAiConfig")<OpenAiConfig, OpenAiSettings>() {
  static readonly config: Config.Config<OpenAiSettings> = Config.all({ apiKey: secret("OPENAI_API_KEY") })
}
