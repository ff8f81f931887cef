import { Effect, Layer, Logger } from "effect"
import { LoggingConfig } from "../config/LoggingConfig.js"

/**
 * Structured logs as `LoggingConfig` says: JSON lines in production (Railway indexes them),
 * pretty for people. A bad `LOG_FORMAT` or `LOG_LEVEL` gives the default here; the process
 * reports it with every other bad variable when it loads its configuration (each entry point
 * lists `LoggingConfig` among its sections) and stops.
 */
export const layer = Layer.unwrapEffect(
  Effect.map(Effect.orDie(LoggingConfig.lenient), ({ format, level }) => {
    const logger = format === "json" ? Logger.json : format === "logfmt" ? Logger.logFmt : Logger.pretty
    return Layer.merge(logger, Logger.minimumLogLevel(level))
  })
)
