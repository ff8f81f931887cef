import { Clock, Effect } from "effect"

/**
 * Milliseconds on the monotonic clock (the TestClock's time in tests). Elapsed times are measured
 * on it, never on the wall clock: an NTP step of the wall clock must not stop a lease from being
 * extended, nor make a commit look stuck.
 */
export const monotonicMillis: Effect.Effect<number> = Effect.map(Clock.currentTimeNanos, (nanos) => Number(nanos / 1_000_000n))

/** The same, read synchronously from a clock obtained once (for the per-job paths). */
export const monotonicMillisOf = (clock: Clock.Clock) => () => Number(clock.unsafeCurrentTimeNanos() / 1_000_000n)
