/**
 * Calendar arithmetic on `YYYY-MM-DD`, in UTC so no local time zone leaks in: the dates of the
 * law (entry, docketing, payments, deadlines) are days, not instants.
 */

/** A calendar date, `YYYY-MM-DD` (Postgres `date`). */
export type CalendarDate = string

const parts = (date: CalendarDate) => {
  const [y, m, d] = date.split("-").map(Number)
  return { y: y!, m: m!, d: d! }
}

const format = (y: number, m: number, d: number): CalendarDate =>
  `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate()

/** Whole months later (negative: earlier); a day the target month lacks becomes its last (Feb 29 → Feb 28). */
export const addMonths = (date: CalendarDate, months: number): CalendarDate => {
  const { y, m, d } = parts(date)
  const index = y * 12 + (m - 1) + months
  const year = Math.floor(index / 12)
  const month = index - year * 12 + 1
  return format(year, month, Math.min(d, daysInMonth(year, month)))
}

export const addYears = (date: CalendarDate, years: number): CalendarDate => addMonths(date, years * 12)

const epochDay = (date: CalendarDate) => {
  const { y, m, d } = parts(date)
  return Date.UTC(y, m - 1, d) / 86_400_000
}

export const addDays = (date: CalendarDate, days: number): CalendarDate => {
  const shifted = new Date((epochDay(date) + days) * 86_400_000)
  return format(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate())
}

/** Whole years from `from` to `to` (anniversaries reached), at least 0. */
export const wholeYearsBetween = (from: CalendarDate, to: CalendarDate) => {
  const a = parts(from)
  const b = parts(to)
  const years = b.y - a.y
  const candidate = years > 0 && addYears(from, years) > to ? years - 1 : years
  return Math.max(0, candidate)
}

/** The calendar date of an instant in a time zone. */
export const calendarDate = (instant: Date, timeZone: string): CalendarDate => {
  const fields = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(instant)
  const get = (type: string) => Number(fields.find((part) => part.type === type)?.value)
  return format(get("year"), get("month"), get("day"))
}

/** Days from `from` to `to`, negative when `to` is earlier: 2023-01-01 → 2024-01-01 is 365. */
export const daysBetween = (from: CalendarDate, to: CalendarDate) => epochDay(to) - epochDay(from)
