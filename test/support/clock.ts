import { Clock, type Duration, Effect, Layer } from "effect"
import { calendarDate } from "../../src/domain/calendar.js"
import { zonedInstant } from "../../src/domain/communications/index.js"

/**
 * The real clock moved to `target` for the layers it is provided to: what they take for "now"
 * (the comms rules judge the time of day by it) moves, their sleeps stay real.
 */
export const clockAt = (target: Date) => {
  const offset = target.getTime() - Date.now()
  const base = Clock.make()
  const millis = () => base.unsafeCurrentTimeMillis() + offset
  const nanos = () => base.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n
  return Layer.setClock({
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: nanos,
    currentTimeNanos: Effect.sync(nanos),
    sleep: (duration: Duration.Duration) => base.sleep(duration)
  })
}

const NEW_YORK = "America/New_York"

/** Today in New York at hh:mm:ss. */
export const newYorkToday = (hour: number, minute: number, second = 0) =>
  new Date(zonedInstant(calendarDate(new Date(), NEW_YORK), hour, minute, NEW_YORK).getTime() + second * 1000)

/**
 * The next noon in New York that is later than the real now (today's, or tomorrow's in the
 * afternoon): inside every sending window, and after anything the database stamps with its own
 * now() during the test, so that what was recorded has happened by the worker's "now".
 */
export const nextNewYorkNoon = () => {
  const today = newYorkToday(12, 0)
  return today.getTime() > Date.now() ? today : new Date(zonedInstant(
    calendarDate(new Date(Date.now() + 86_400_000), NEW_YORK),
    12,
    0,
    NEW_YORK
  ).getTime())
}
