import { Config, Effect, Layer, Logger, LogLevel } from "effect"

/**
 * Structured logs: JSON lines in production (Railway indexes them), pretty for people.
 * `LOG_FORMAT` (json | pretty | logfmt) overrides; `LOG_LEVEL` sets the minimum level.
 */
export const layer = Layer.unwrapEffect(
  Effect.gen(function*() {
    const environment = yield* Config.string("ENVIRONMENT").pipe(Config.withDefault("development"))
    const format = yield* Config.literal("json", "pretty", "logfmt")("LOG_FORMAT").pipe(
      Config.withDefault(environment === "production" ? "json" : "pretty")
    )
    const level = yield* Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
    const logger = format === "json" ? Logger.json : format === "logfmt" ? Logger.logFmt : Logger.pretty
    return Layer.merge(logger, Logger.minimumLogLevel(level))
  }).pipe(Effect.orDie)
)
