import { Config, Context, Duration, type Option, type Redacted } from "effect"
import { httpUrl, refine, secret } from "./validate.js"

export interface StorageSettings {
  /** `SUPABASE_URL`: needed only for files that are not in `dragonfly.uploads`. */
  readonly supabaseUrl: Option.Option<URL>
  /** `SUPABASE_SERVICE_ROLE_KEY` (its form is checked by DatabaseConfig). */
  readonly serviceRoleKey: Option.Option<Redacted.Redacted<string>>
  /** `SUPABASE_STORAGE_BUCKET` (default `imports`). */
  readonly bucket: string
  /** `SUPABASE_STORAGE_TIMEOUT` seconds (default 30): the longest wait for headers or for the next bytes. */
  readonly readTimeout: Duration.Duration
}

const supabaseUrl = refine(
  Config.string("SUPABASE_URL"),
  "SUPABASE_URL",
  (value) => (httpUrl(value) ? undefined : "must be an http(s) URL")
).pipe(Config.map((value) => new URL(value)))

const bucket = refine(
  Config.string("SUPABASE_STORAGE_BUCKET").pipe(Config.withDefault("imports")),
  "SUPABASE_STORAGE_BUCKET",
  (value) =>
    /^[a-z0-9._-]{1,100}$/.test(value)
      ? undefined
      : "must be a bucket name: 1 to 100 lowercase letters, digits, '-', '_' or '.'"
)

const readTimeout = refine(
  Config.integer("SUPABASE_STORAGE_TIMEOUT").pipe(Config.withDefault(30)),
  "SUPABASE_STORAGE_TIMEOUT",
  (seconds) => (seconds < 1 || seconds > 3600 ? "must be between 1 and 3600 seconds" : undefined)
).pipe(Config.map(Duration.seconds))

/** Supabase Storage, where import files live when they were not uploaded through the API. */
export class StorageConfig extends Context.Tag("config/StorageConfig")<StorageConfig, StorageSettings>() {
  static readonly config: Config.Config<StorageSettings> = Config.all({
    supabaseUrl: Config.option(supabaseUrl),
    serviceRoleKey: Config.option(secret("SUPABASE_SERVICE_ROLE_KEY")),
    bucket,
    readTimeout
  })
}
