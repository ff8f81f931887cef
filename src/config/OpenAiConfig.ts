import { Config, Context, Duration, type Option, type Redacted } from "effect"
import { httpUrl, refine, secret } from "./validate.js"

export interface OpenAiSettings {
  readonly apiKey: Redacted.Redacted<string>
  /** `OPENAI_MODEL` (default `gpt-4.1-mini`). */
  readonly model: string
  /** `OPENAI_BASE_URL` (default `https://api.openai.com/v1`), without a trailing slash. */
  readonly baseUrl: string
  /** `OPENAI_TIMEOUT` seconds (default 60): the longest wait for one answer. */
  readonly requestTimeout: Duration.Duration
  /** `OPENAI_REQUEST_ATTEMPTS` (default 3): tries per answer when OpenAI is down, slow or rate limiting. */
  readonly requestAttempts: number
  /** `OPENAI_RETRY_BASE_DELAY_MS` (default 500): the first backoff delay between those tries. */
  readonly retryBaseDelay: Duration.Duration
  /** `OPENAI_DRAFT_ATTEMPTS` (default 3): answers asked for before a malformed or mismatched draft is given up. */
  readonly draftAttempts: number
}

const model = refine(
  Config.string("OPENAI_MODEL").pipe(Config.withDefault("gpt-4.1-mini")),
  "OPENAI_MODEL",
  (value) => (/^[A-Za-z0-9._:-]{1,100}$/.test(value) ? undefined : "must be a model id such as gpt-4.1-mini")
)

const baseUrl = refine(
  Config.string("OPENAI_BASE_URL").pipe(Config.withDefault("https://api.openai.com/v1")),
  "OPENAI_BASE_URL",
  (value) => (httpUrl(value) ? undefined : "must be an http(s) URL")
).pipe(Config.map((value) => value.replace(/\/+$/, "")))

const requestTimeout = refine(
  Config.integer("OPENAI_TIMEOUT").pipe(Config.withDefault(60)),
  "OPENAI_TIMEOUT",
  (seconds) => (seconds < 1 || seconds > 600 ? "must be between 1 and 600 seconds" : undefined)
).pipe(Config.map(Duration.seconds))

const attempts = (variable: string) =>
  refine(
    Config.integer(variable).pipe(Config.withDefault(3)),
    variable,
    (value) => (value < 1 || value > 10 ? "must be between 1 and 10" : undefined)
  )

const retryBaseDelay = refine(
  Config.integer("OPENAI_RETRY_BASE_DELAY_MS").pipe(Config.withDefault(500)),
  "OPENAI_RETRY_BASE_DELAY_MS",
  (millis) => (millis < 1 || millis > 60_000 ? "must be between 1 and 60000 milliseconds" : undefined)
).pipe(Config.map(Duration.millis))

/** Needed by the enforcement worker only (document drafting). */
export class OpenAiConfig extends Context.Tag("config/OpenAiConfig")<OpenAiConfig, OpenAiSettings>() {
  static readonly config: Config.Config<OpenAiSettings> = Config.all({
    apiKey: secret("OPENAI_API_KEY"),
    model,
    baseUrl,
    requestTimeout,
    requestAttempts: attempts("OPENAI_REQUEST_ATTEMPTS"),
    retryBaseDelay,
    draftAttempts: attempts("OPENAI_DRAFT_ATTEMPTS")
  })
}

/**
 * The enforcement worker's drafting: OpenAI when `OPENAI_API_KEY` is set (the other OPENAI_*
 * settings are then checked too), otherwise none, and documents are filled from templates only.
 */
export class DraftingConfig extends Context.Tag("config/DraftingConfig")<DraftingConfig, Option.Option<OpenAiSettings>>() {
  static readonly config: Config.Config<Option.Option<OpenAiSettings>> = Config.option(OpenAiConfig.config)
}
