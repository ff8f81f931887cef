import type { CalendarDate } from "../calendar.js"

/**
 * The value formats of import files (domain.md §1 "Parsing rules"). Each parser takes the text of
 * one cell, already trimmed and non-empty, and gives the value or says what is wrong with it.
 */
export type Parsed<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly problem: string }

const ok = <A>(value: A): Parsed<A> => ({ ok: true, value })
const bad = (problem: string): Parsed<never> => ({ ok: false, problem })

const MONEY = /^(-)?\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/

/** `$1,234.56`, `1234.5`, `(12.00)` (negative) → integer cents. */
export const cents = (text: string): Parsed<number> => {
  let value = text.replace(/\s+/g, "")
  let negative = false
  if (value.startsWith("(") && value.endsWith(")")) {
    negative = true
    value = value.slice(1, -1)
  }
  if (value.startsWith("$-")) value = `-${value.slice(2)}`
  const match = MONEY.exec(value)
  if (match === null) return bad(`'${text}' is not an amount of money`)
  const whole = Number(match[2]!.replace(/,/g, ""))
  const fraction = match[3] === undefined ? 0 : Number(match[3].padEnd(2, "0"))
  const amount = whole * 100 + fraction
  if (!Number.isSafeInteger(amount) || amount > 100_000_000_000_00) return bad(`'${text}' is too large an amount`)
  return ok(negative || match[1] === "-" ? -amount : amount)
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate()

const dateOf = (text: string, year: number, month: number, day: number): Parsed<CalendarDate> => {
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return bad(`'${text}' is not a date that exists`)
  if (year < 1900 || year > 2100) return bad(`'${text}' is out of range (years 1900–2100)`)
  return ok(`${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`)
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * `MM/DD/YYYY`, `M/D/YY` (two-digit years: 00–69 → 2000s, 70–99 → 1900s) or ISO `YYYY-MM-DD`
 * (a time part is ignored) → `YYYY-MM-DD`. Impossible dates (02/30/2023) are rejected.
 */
export const calendarDate = (text: string): Parsed<CalendarDate> => {
  const us = US_DATE.exec(text)
  if (us !== null) {
    const short = us[3]!.length === 2 ? Number(us[3]) : undefined
    const year = short === undefined ? Number(us[3]) : short < 70 ? 2000 + short : 1900 + short
    return dateOf(text, year, Number(us[1]), Number(us[2]))
  }
  const iso = ISO_DATE.exec(text)
  if (iso !== null) return dateOf(text, Number(iso[1]), Number(iso[2]), Number(iso[3]))
  return bad(`'${text}' is not a date (MM/DD/YYYY, M/D/YY or YYYY-MM-DD)`)
}

/** `9`, `9.5`, `2%`, `9.000` → percent per year. */
export const percent = (text: string): Parsed<number> => {
  const match = /^(\d{1,2}(?:\.\d{1,3})?)\s*%?$/.exec(text)
  if (match === null) return bad(`'${text}' is not an interest rate in percent`)
  return ok(Number(match[1]))
}

const YES = new Set(["y", "yes", "true", "t", "1", "x"])
const NO = new Set(["n", "no", "false", "f", "0"])

export const flag = (text: string): Parsed<boolean> => {
  const value = text.toLowerCase()
  if (YES.has(value)) return ok(true)
  if (NO.has(value)) return ok(false)
  return bad(`'${text}' is not yes or no`)
}

/** ZIP or ZIP+4, kept as text so leading zeros survive; a ZIP read as a number (7001) regains its zero. */
export const zip = (text: string): Parsed<string> => {
  const match = /^(\d{3,5})(?:-(\d{4}))?$/.exec(text)
  if (match === null) return bad(`'${text}' is not a ZIP code`)
  const five = match[1]!.padStart(5, "0")
  return ok(match[2] === undefined ? five : `${five}-${match[2]}`)
}

/** Digits only, dashes and spaces aside. */
const digitsOf = (text: string) => text.replace(/[\s-]/g, "")

/** A full 9-digit SSN, however it is written. */
export const isFullSsn = (text: string) => /^\d{9}$/.test(digitsOf(text))

/**
 * The last four digits of an SSN. A full SSN is refused (and must never be stored anywhere); a
 * number that lost its leading zeros (`123` for `0123`) regains them.
 */
export const lastFourSsn = (text: string): Parsed<string> => {
  const digits = digitsOf(text)
  if (/^\d{9}$/.test(digits)) return bad("a full SSN was given; only its last four digits may be stored")
  if (!/^\d{1,4}$/.test(digits)) return bad("is not the last four digits of an SSN")
  return ok(digits.padStart(4, "0"))
}

/** Replaces every full SSN in a cell by its masked form, for the quarantine and for logs. */
export const redactSsn = (text: string) => text.replace(/\b\d{3}[\s-]?\d{2}[\s-]?\d{4}\b/g, "***-**-****")

export const AccountTypes = { C: "C", N: "N", COMM: "C", COMMERCIAL: "C", NONCOMM: "N", CONSUMER: "N" } as const

export const accountType = (text: string): Parsed<"C" | "N"> => {
  const value = AccountTypes[text.toUpperCase() as keyof typeof AccountTypes]
  return value === undefined ? bad(`'${text}' is not an account type (C/COMM or N/NONCOMM)`) : ok(value)
}

const STATUSES: Readonly<Record<string, "open" | "partially_satisfied" | "satisfied" | "vacated">> = {
  open: "open",
  active: "open",
  partially_satisfied: "partially_satisfied",
  partial: "partially_satisfied",
  partially_paid: "partially_satisfied",
  satisfied: "satisfied",
  paid: "satisfied",
  paid_in_full: "satisfied",
  vacated: "vacated"
}

export const judgmentStatus = (text: string): Parsed<"open" | "partially_satisfied" | "satisfied" | "vacated"> => {
  const value = STATUSES[text.toLowerCase().replace(/[\s-]+/g, "_")]
  return value === undefined ? bad(`'${text}' is not a judgment status (open, partially satisfied, satisfied, vacated)`) : ok(value)
}

/** `Kings; Queens`, `Kings|Queens` → ["Kings", "Queens"]. */
export const list = (text: string): Parsed<ReadonlyArray<string>> =>
  ok(text.split(/[;|]/).map((part) => part.trim()).filter((part) => part !== ""))

export const email = (text: string): Parsed<string> =>
  /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text) ? ok(text) : bad(`'${text}' is not an email address`)

const FORMULA_STARTS = new Set(["=", "+", "-", "@", "\t", "\r"])

/** Cells a spreadsheet would run as a formula when exported again (CSV injection). */
export const looksLikeFormula = (text: string) => FORMULA_STARTS.has(text.charAt(0))
