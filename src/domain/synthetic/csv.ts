/**
 * CSV text (RFC 4180) of synthetic judgments in either import layout (src/domain/imports/columns.ts).
 * `csvLines` yields the same text as `toCsv`, one record at a time.
 */
import { GenericColumns, type Layout, SimplicityColumns } from "../imports/columns.js"
import type { SyntheticColumn, SyntheticJudgment } from "./generate.js"

export interface CsvOptions {
  /** "canonical": `debtor_first_name`; "titled": `Debtor First Name` (default "canonical"). */
  readonly headers?: "canonical" | "titled"
  /** Ends every record, the last included (default "\n"). */
  readonly lineEnding?: "\n" | "\r\n"
  /** Starts the file with a UTF-8 byte-order mark (default false). */
  readonly bom?: boolean
}

export const layoutColumns = (layout: Layout): ReadonlyArray<SyntheticColumn> =>
  layout === "simplicity" ? SimplicityColumns : GenericColumns

/** `debtor_first_name` → `Debtor First Name`. */
export const titleCase = (column: string) =>
  column.split("_").map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(" ")

const NEEDS_QUOTES = /[",\r\n]/

/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export const csvField = (value: string) =>
  NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, "\"\"")}"` : value

export function* csvLines(
  layout: Layout,
  rows: Iterable<SyntheticJudgment>,
  options: CsvOptions = {}
): Generator<string, void, undefined> {
  const columns = layoutColumns(layout)
  const eol = options.lineEnding ?? "\n"
  const header = columns.map((c) => csvField(options.headers === "titled" ? titleCase(c) : c)).join(",")
  yield `${options.bom === true ? "\uFEFF" : ""}${header}${eol}`
  const fields = new Array<string>(columns.length)
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) {
      const value = row[columns[i]!]
      fields[i] = value.length === 0 ? value : csvField(value)
    }
    yield fields.join(",") + eol
  }
}

export const toCsv = (layout: Layout, rows: Iterable<SyntheticJudgment>, options: CsvOptions = {}): string =>
  Array.from(csvLines(layout, rows, options)).join("")
