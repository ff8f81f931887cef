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
