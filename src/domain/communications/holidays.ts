/**
 * US federal legal public holidays (5 U.S.C. 6103(a)) and business days: Monday to Friday,
 * excluding the day each holiday is observed (6103(b): a Saturday holiday is observed the Friday
 * before, a Sunday holiday the Monday after). The current list is applied to every year, except
 * that Juneteenth exists from 2021 and Martin Luther King Jr. Day from 1986.
 */
import { addDays, type CalendarDate } from "../calendar.js"

export interface FederalHoliday {
  readonly name: string
  /** The legal date. */
  readonly date: CalendarDate
  /** The day off: the legal date moved off a weekend. */
  readonly observed: CalendarDate
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0")
const dateOf = (year: number, month: number, day: number): CalendarDate => `${pad(year, 4)}-${pad(month)}-${pad(day)}`

const epochDay = (date: CalendarDate) => {
  const [y, m, d] = date.split("-").map(Number)
  return Date.UTC(y!, m! - 1, d!) / 86_400_000
}

/** 0 = Sunday … 6 = Saturday. */
export const dayOfWeek = (date: CalendarDate): number => new Date(epochDay(date) * 86_400_000).getUTCDay()

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export const calendarDaysBetween = (from: CalendarDate, to: CalendarDate): number => epochDay(to) - epochDay(from)

export const isWeekend = (date: CalendarDate) => {
  const weekday = dayOfWeek(date)
  return weekday === 0 || weekday === 6
}

/** The `nth` (1-based) given weekday of a month. */
const nthWeekday = (year: number, month: number, weekday: number, nth: number): CalendarDate => {
  const first = dateOf(year, month, 1)
  const offset = (weekday - dayOfWeek(first) + 7) % 7
  return addDays(first, offset + (nth - 1) * 7)
}

const lastWeekday = (year: number, month: number, weekday: number): CalendarDate => {
  const last = addDays(dateOf(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1), -1)
  return addDays(last, -((dayOfWeek(last) - weekday + 7) % 7))
}

const observedDate = (date: CalendarDate): CalendarDate => {
  const weekday = dayOfWeek(date)
  return weekday === 6 ? addDays(date, -1) : weekday === 0 ? addDays(date, 1) : date
}

const MONDAY = 1
const THURSDAY = 4

/** The holidays whose legal date falls in `year`, in calendar order. */
export const federalHolidays = (year: number): ReadonlyArray<FederalHoliday> => {
  const legal: Array<readonly [string, CalendarDate]> = [
    ["New Year's Day", dateOf(year, 1, 1)],
    ...(year >= 1986 ? [["Birthday of Martin Luther King, Jr.", nthWeekday(year, 1, MONDAY, 3)] as const] : []),
    ["Washington's Birthday", nthWeekday(year, 2, MONDAY, 3)],
    ["Memorial Day", lastWeekday(year, 5, MONDAY)],
    ...(year >= 2021 ? [["Juneteenth National Independence Day", dateOf(year, 6, 19)] as const] : []),
    ["Independence Day", dateOf(year, 7, 4)],
    ["Labor Day", nthWeekday(year, 9, MONDAY, 1)],
    ["Columbus Day", nthWeekday(year, 10, MONDAY, 2)],
    ["Veterans Day", dateOf(year, 11, 11)],
    ["Thanksgiving Day", nthWeekday(year, 11, THURSDAY, 4)],
    ["Christmas Day", dateOf(year, 12, 25)]
  ]
  return legal.map(([name, date]) => ({ name, date, observed: observedDate(date) }))
}

/** The holiday observed on `date`, if any (2021-12-31 observes New Year's Day 2022). */
export const observedFederalHoliday = (date: CalendarDate): FederalHoliday | undefined => {
  const year = Number(date.slice(0, 4))
  return [...federalHolidays(year), ...federalHolidays(year + 1)].find((holiday) => holiday.observed === date)
}

export const isBusinessDay = (date: CalendarDate) => !isWeekend(date) && observedFederalHoliday(date) === undefined

/** The date `days` business days after `date` (0: `date` itself); `date` need not be a business day. */
export const addBusinessDays = (date: CalendarDate, days: number): CalendarDate => {
  let current = date
  for (let counted = 0; counted < days;) {
    current = addDays(current, 1)
    if (isBusinessDay(current)) counted++
  }
  return current
}
