import { Options } from "@effect/cli"
import { Cause, Console, Duration, Effect, Schedule } from "effect"

/** `--watch` and `--interval N` (seconds, default `defaultSeconds`), for commands that repeat. */
export const watchOptions = (defaultSeconds: number, what: string) => ({
  watch: Options.boolean("watch").pipe(Options.withDescription(`Repeat the ${what} every --interval seconds until Ctrl-C`)),
  interval: Options.integer("interval").pipe(
    Options.withDefault(defaultSeconds),
    Options.withDescription(`Seconds between ${what}s with --watch`)
  )
})

/** The failure and, for a database error, the driver's reason (which names no password). */
export const failureMessage = (cause: Cause.Cause<unknown>) => {
  const error = Cause.squash(cause)
  if (!(error instanceof Error)) return String(error)
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message
}

/**
 * `self` every `seconds` (at least 1) until Ctrl-C. A failed run (the database unreachable for a
 * while) is reported and the next one still runs.
 */
export const repeatEvery = <A, E, R>(seconds: number, what: string, self: Effect.Effect<A, E, R>) =>
  self.pipe(
    Effect.catchAllCause((cause) => Console.error(`error: ${what} failed: ${failureMessage(cause)}`)),
    Effect.repeat(Schedule.spaced(Duration.seconds(Math.max(1, seconds)))),
    Effect.asVoid
  )
