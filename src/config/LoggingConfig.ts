import { Config, ConfigError, Context, LogLevel } from "effect"

export type LogFormat = "json" | "pretty" | "logfmt"

export interface LoggingSettings {
  readonly format: LogFormat
  readonly level: LogLevel.LogLevel
}

const environment = Config.string("ENVIRONMENT").pipe(Config.orElse(() => Config.succeed("development")))

const defaultFormat = Config.map(environment, (name): LogFormat => name === "production" ? "json" : "pretty")

const format = Config.literal("json", "pretty", "logfmt")("LOG_FORMAT").pipe(
  Config.orElseIf({ if: ConfigError.isMissingDataOnly, orElse: () => defaultFormat })
)

const level = Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))

/**
 * `LOG_FORMAT` (json | pretty | logfmt; JSON lines in production, pretty otherwise) and
 * `LOG_LEVEL` (the minimum level, default Info).
 */
export class LoggingConfig extends Context.Tag("config/LoggingConfig")<LoggingConfig, LoggingSettings>() {
  static readonly config: Config.Config<LoggingSettings> = Config.all({ format, level })

  /** Never fails: the defaults in place of bad values, for logging while those are reported. */
  static readonly lenient: Config.Config<LoggingSettings> = Config.all({
    format: Config.orElse(format, () => defaultFormat),
    level: Config.orElse(level, () => Config.succeed(LogLevel.Info))
  })
}
