import { Chunk, Duration, Effect, Schedule } from "effect"

/**
 * Redelivery delays for retryable failures: exponential from 2 s, ±20 % jitter, capped at
 * 10 minutes. Applied through the message's visibility timeout, not by sleeping in the worker.
 */
export const redeliverySchedule = Schedule.exponential("2 seconds", 2).pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("10 minutes"))
)

/** The delay after the `attempt`-th failed delivery (1-based), in whole seconds (pgmq's unit). */
export const redeliveryDelaySeconds = (attempt: number) =>
  Effect.gen(function*() {
    const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    const delays = yield* Schedule.run(
      Schedule.delays(redeliverySchedule),
      now,
      Array.from({ length: Math.max(1, attempt) }, () => undefined)
    )
    const last = Chunk.last(delays)
    return last._tag === "Some" ? Math.max(1, Math.ceil(Duration.toSeconds(last.value))) : 1
  })
