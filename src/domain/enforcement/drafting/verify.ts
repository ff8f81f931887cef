import { Data, Either } from "effect"
import type { DraftDocument, DraftRecord } from "./DraftRecord.js"
import { formatCents, formatRate } from "./templates.js"

export interface Mismatch {
  readonly kind: "amount" | "date" | "rate"
  /** The text as it appears in the draft. */
  readonly found: string
  /** What it was read as: `$1,234.56`, `2024-01-05`, `9%`, or `not a calendar date`. */
  readonly readAs: string
}

/** The draft states an amount, a date or a rate that the record does not have. */
export class DraftRejected extends Data.TaggedError("DraftRejected")<{
  readonly mismatches: ReadonlyArray<Mismatch>
}> {
  override get message() {
    const listed = this.mismatches.map((m) => `${m.kind} "${m.found}" (${m.readAs})`).join("; ")
    return `draft states values that are not in the record: ${listed}`
  }
}

export interface Found<A> {
  readonly text: string
  /** null when the text looks like one but is not (`02/30/2024`). */
  readonly value: A | null
}

const MONTH_NAMES: ReadonlyArray<[RegExp, number]> = [
  [/^jan(uary)?$/i, 1], [/^feb(ruary)?$/i, 2], [/^mar(ch)?$/i, 3], [/^apr(il)?$/i, 4], [/^may$/i, 5],
  [/^june?$/i, 6], [/^july?$/i, 7], [/^aug(ust)?$/i, 8], [/^sept?(ember)?$/i, 9], [/^oct(ober)?$/i, 10],
  [/^nov(ember)?$/i, 11], [/^dec(ember)?$/i, 12]
]
const MONTH = "(January|February|March|April|May|June|July|August|September|October|November|December|" +
  "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\\.?"
const ORDINAL = "(?:st|nd|rd|th)?"

const monthNumber = (name: string) => MONTH_NAMES.find(([pattern]) => pattern.test(name))?.[1] ?? 0

const isoOf = (year: number, month: number, day: number): string | null => {
  const iso = `${year.toString().padStart(4, "0")}-${month.toString().padStart(2, "0")}-${
    day.toString().padStart(2, "0")
  }`
  const date = new Date(`${iso}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso ? iso : null
}

/**
 * Runs each pattern in turn over `text`, blanking what it matched so that a later, looser pattern
 * does not read the same words again (`$1,234.56 USD` is one amount).
 */
const scan = <A>(
  text: string,
  patterns: ReadonlyArray<readonly [RegExp, (match: RegExpMatchArray) => A | null]>
): ReadonlyArray<Found<A>> => {
  let rest = text
  const found: Array<Found<A> & { readonly index: number }> = []
  for (const [pattern, read] of patterns) {
    for (const match of rest.matchAll(pattern)) {
      found.push({ text: match[0], value: read(match), index: match.index })
    }
    rest = rest.replace(pattern, (matched) => " ".repeat(matched.length))
  }
  return found.sort((a, b) => a.index - b.index).map(({ text, value }) => ({ text, value }))
}

const centsOf = (whole: string, fraction: string | undefined) =>
  Number(whole.replace(/,/g, "")) * 100 + Number((fraction ?? "0").padEnd(2, "0"))

const NUMBER = "(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.(\\d{1,2}))?(?!\\d)"

/** Money amounts: `$1,234.56`, `$ 1234`, `USD 1,234.56`, `1234.56 USD`, `1,234 dollars`. */
export const findAmounts = (text: string): ReadonlyArray<Found<number>> =>
  scan(text, [
    [new RegExp(`(?:US)?\\$\\s?${NUMBER}(?:\\s?USD\\b)?`, "g"), (m) => centsOf(m[1]!, m[2])],
    [new RegExp(`\\bUSD\\s?${NUMBER}`, "gi"), (m) => centsOf(m[1]!, m[2])],
    [new RegExp(`(?<![\\d.,])${NUMBER}\\s?(?:USD|US dollars|dollars)\\b`, "gi"), (m) => centsOf(m[1]!, m[2])]
  ])

/** Dates: `2024-01-05`, `01/05/2024`, `1/5/2024`, `January 5, 2024`, `Jan. 5th 2024`, `5 January 2024`. */
export const findDates = (text: string): ReadonlyArray<Found<string>> =>
  scan(text, [
    [/(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)/g, (m) => isoOf(Number(m[1]), Number(m[2]), Number(m[3]))],
    [/(?<!\d)(\d{1,2})\/(\d{1,2})\/(\d{4})(?!\d)/g, (m) => isoOf(Number(m[3]), Number(m[1]), Number(m[2]))],
    [
      new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${ORDINAL},?\\s+(\\d{4})\\b`, "gi"),
      (m) => isoOf(Number(m[3]), monthNumber(m[1]!), Number(m[2]))
    ],
    [
      new RegExp(`\\b(\\d{1,2})${ORDINAL}\\s+(?:of\\s+)?${MONTH},?\\s+(\\d{4})\\b`, "gi"),
      (m) => isoOf(Number(m[3]), monthNumber(m[2]!), Number(m[1]))
    ]
  ])

/** Percentages: `9%`, `2.5 %`, `9 percent`. */
export const findRates = (text: string): ReadonlyArray<Found<number>> =>
  scan(text, [[/(?<![\d.])(\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)/gi, (m) => Number(m[1])]])

/**
 * Accepts `document` only if every amount, date and percentage in its title and body is one the
 * record holds: the judgment amount or the amount due, the judgment date or the due date, the
 * interest rate.
 */
export const verifyDraft = (
  document: DraftDocument,
  record: DraftRecord
): Either.Either<DraftDocument, DraftRejected> => {
  const text = `${document.title}\n${document.body}`
  const amounts = new Set([record.judgmentAmountCents, record.amountDueCents])
  const dates = new Set([record.judgmentDate, ...(record.dueDate === null ? [] : [record.dueDate])])

  const mismatches: Array<Mismatch> = [
    ...findAmounts(text).filter((a) => a.value === null || !amounts.has(a.value)).map((a): Mismatch => ({
      kind: "amount",
      found: a.text,
      readAs: a.value === null ? "not an amount" : formatCents(a.value)
    })),
    ...findDates(text).filter((d) => d.value === null || !dates.has(d.value)).map((d): Mismatch => ({
      kind: "date",
      found: d.text,
      readAs: d.value ?? "not a calendar date"
    })),
    ...findRates(text).filter((r) => r.value !== record.interestRatePercent).map((r): Mismatch => ({
      kind: "rate",
      found: r.text,
      readAs: r.value === null ? "not a rate" : formatRate(r.value)
    }))
  ]
  return mismatches.length === 0 ? Either.right(document) : Either.left(new DraftRejected({ mismatches }))
}
