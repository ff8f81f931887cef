import { Config, Context, Redacted } from "effect"
import { commaSeparated, parseUrl, refine } from "./validate.js"

export interface ApiSettings {
  readonly apiKey: Redacted.Redacted<string>
  readonly port: number
  /** Exact origins allowed by CORS; `*` allows any. Empty: no CORS headers at all. */
  readonly corsOrigins: ReadonlyArray<string>
}

const MIN_API_KEY_LENGTH = 16

const isOrigin = (value: string) => {
  if (value === "*") return true
  const url = parseUrl(value)
  return url !== undefined && (url.protocol === "https:" || url.protocol === "http:") && url.origin === value
}

export class ApiConfig extends Context.Tag("config/ApiConfig")<ApiConfig, ApiSettings>() {
  static readonly config: Config.Config<ApiSettings> = Config.all({
    apiKey: refine(
      Config.redacted("DRAGONFLY_API_KEY"),
      "DRAGONFLY_API_KEY",
      (key) =>
        Redacted.value(key).trim().length < MIN_API_KEY_LENGTH
          ? `must be at least ${MIN_API_KEY_LENGTH} characters`
          : undefined
    ),
    port: Config.port("PORT").pipe(Config.withDefault(8080)),
    corsOrigins: refine(
      Config.string("DRAGONFLY_CORS_ORIGINS").pipe(Config.withDefault(""), Config.map(commaSeparated)),
      "DRAGONFLY_CORS_ORIGINS",
      (origins) => {
        const bad = origins.filter((origin) => !isOrigin(origin))
        return bad.length === 0
          ? undefined
          : `not an origin (scheme://host[:port], no path or trailing slash): ${bad.join(", ")}`
      }
    )
  })
}
