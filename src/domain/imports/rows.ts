import type { CalendarDate } from "../calendar.js"
import type { JudgmentStatus } from "../judgments/index.js"
import type { Layout } from "./columns.js"
import type { Header } from "./headers.js"
import * as V from "./values.js"

/** One judgment as a file states it, its values parsed. */
export interface ImportRow {
  /** 1 for the first row after the header. */
  readonly rowNumber: number
  /** The caller's own id for the plaintiff (generic layout), if given. */
  readonly plaintiffId: string | null
  readonly plaintiffName: string
  /** The caller's own id for the judgment (generic layout), if given. */
  readonly judgmentId: string | null
  readonly caseNumber: string | null
  readonly clientClaimNumber: string | null
  readonly creditor: string | null
  readonly accountType: "C" | "N"
  readonly debtorFirstName: string | null
  readonly debtorLastName: string | null
  readonly debtorCompanyName: string | null
  readonly debtorAddressOne: string | null
  readonly debtorAddressTwo: string | null
  readonly debtorCity: string | null
  readonly debtorState: string | null
  readonly debtorZip: string | null
  readonly debtorCounty: string | null
  readonly debtorPhone: string | null
  readonly debtorEmail: string | null
  readonly lastFourSsn: string | null
  readonly debtorDob: CalendarDate | null
  readonly courtName: string | null
  readonly courtCounty: string | null
  readonly indexNumber: string | null
  readonly judgmentDate: CalendarDate
  readonly judgmentAmountCents: number
  readonly costsCents: number | null
  readonly interestRate: number | null
  readonly interestFromDate: CalendarDate | null
  readonly transcriptCountyList: ReadonlyArray<string>
  readonly paymentsToDateCents: number | null
  readonly lastPaymentDate: CalendarDate | null
  readonly lastPaymentAmountCents: number | null
  readonly currentBalanceCents: number
  readonly status: JudgmentStatus
  readonly actionCodes: ReadonlyArray<string>
  readonly debtorPaymentId: string | null
  readonly isSynthetic: boolean
  readonly employerName: string | null
  readonly employerAddress: string | null
  readonly bankName: string | null
  readonly realPropertyCounty: string | null
  /** null: not stated. */
  readonly bankruptcy: boolean | null
  readonly deceased: boolean | null
  /** Unknown columns, by their normalised names (full SSNs masked). */
  readonly customFields: Readonly<Record<string, string>>
  /** Columns whose value would run as a spreadsheet formula (stored as given, flagged). */
  readonly formulaColumns: ReadonlyArray<string>
}

export interface RowProblem {
  readonly field: string
  readonly problem: string
}

/** A row that cannot be imported: every reason, and the row as read with any full SSN masked. */
export interface RejectedRow {
  readonly rowNumber: number
  readonly raw: Readonly<Record<string, string>>
  readonly problems: ReadonlyArray<RowProblem>
}

export type DecodedRow = { readonly _tag: "Row"; readonly row: ImportRow } | { readonly _tag: "Rejected"; readonly rejected: RejectedRow }

/** The longest value kept; a longer one is a broken row (or an attack), not a name or an address. */
export const MAX_FIELD_CHARS = 4_000

/** How much of a value the quarantine keeps. */
const RAW_EXCERPT_CHARS = 1_000

/** Text columns: stored as given (trimmed), checked for formulas. */
const TEXT_COLUMNS = [
  "client_name",
  "plaintiff_name",
  "plaintiff_id",
  "judgment_id",
  "case_number",
  "client_claim_number",
  "creditor",
  "debtor_first_name",
  "debtor_last_name",
  "debtor_company_name",
  "debtor_address_one",
  "debtor_address_two",
  "debtor_city",
  "debtor_state",
  "debtor_county",
  "debtor_phone",
  "court_name",
  "court_county",
  "index_number",
  "employer_name",
  "employer_address",
  "bank_name",
  "real_property_county",
  "debtor_payment_id"
] as const

/**
 * Decodes the data rows of one file. Built once per file from its header; `decode` then runs per
 * row with no per-column lookups beyond an array index.
 */
export const rowDecoder = (layout: Layout, header: Header) => {
  const at = (column: string) => header.index.get(column) ?? -1

  return (cells: ReadonlyArray<string>, rowNumber: number): DecodedRow => {
    const problems: Array<RowProblem> = []
    const formulaColumns: Array<string> = []
    const cell = (column: string): string | null => {
      const i = at(column)
      if (i < 0 || i >= cells.length) return null
      const value = cells[i]!.trim()
      return value === "" ? null : value
    }
    const parse = <A>(column: string, parser: (text: string) => V.Parsed<A>): A | null => {
      const text = cell(column)
      if (text === null) return null
      const result = parser(text)
      if (result.ok) return result.value
      problems.push({ field: column, problem: result.problem })
      return null
    }
    const required = <A>(column: string, value: A | null, what = "is required"): A => {
      if (value === null && !problems.some((p) => p.field === column)) problems.push({ field: column, problem: what })
      return value as A
    }

    if (cells.length > header.names.length) {
      problems.push({ field: "row", problem: `has ${cells.length} fields; the header has ${header.names.length}` })
    }
    for (let i = 0; i < cells.length; i++) {
      const value = cells[i]!
      if (value.length > MAX_FIELD_CHARS) {
        problems.push({
          field: header.names[i] ?? `column ${i + 1}`,
          problem: `is ${value.length.toLocaleString("en-US")} characters long; at most ${MAX_FIELD_CHARS.toLocaleString("en-US")} are kept`
        })
      }
      if (value.includes("\u0000")) problems.push({ field: header.names[i] ?? `column ${i + 1}`, problem: "contains a NUL character" })
      if (value.includes("\uFFFD")) {
        problems.push({ field: header.names[i] ?? `column ${i + 1}`, problem: "contains bytes that are not valid text in the file's encoding" })
      }
    }

    const text: Record<string, string | null> = {}
    for (const column of TEXT_COLUMNS) {
      const value = cell(column)
      text[column] = value
      if (value !== null && V.looksLikeFormula(value)) formulaColumns.push(column)
    }

    const plaintiffName = layout === "simplicity" ? text["client_name"]! : text["plaintiff_name"]!
    required(layout === "simplicity" ? "client_name" : "plaintiff_name", plaintiffName)
    const caseNumber = text["case_number"]!
    if (layout === "simplicity") required("case_number", caseNumber)
    else if (caseNumber === null && (text["court_name"] === null || text["index_number"] === null)) {
      problems.push({ field: "case_number", problem: "is required unless court_name and index_number are given" })
    }

    const companyName = text["debtor_company_name"]!
    const firstName = text["debtor_first_name"]!
    const lastName = text["debtor_last_name"]!
    const givenType = parse("account_type", V.accountType)
    const accountType = givenType ?? (companyName !== null && (firstName === null || lastName === null) ? "C" : "N")
    if (accountType === "C" && companyName === null && (firstName === null || lastName === null)) {
      problems.push({ field: "debtor_company_name", problem: "is required for a commercial (COMM) account" })
    }
    if (accountType === "N" && (firstName === null || lastName === null)) {
      problems.push({
        field: firstName === null ? "debtor_first_name" : "debtor_last_name",
        problem: "a consumer (NONCOMM) account needs the debtor's first and last names"
      })
    }

    const lastFourSsn = parse("last_four_ssn", V.lastFourSsn)
    const judgmentDate = required("judgment_date", parse("judgment_date", V.calendarDate))
    const judgmentAmountCents = required("judgment_amount", parse("judgment_amount", V.cents))
    const currentBalanceCents = required("current_balance_due", parse("current_balance_due", V.cents))
    const row: ImportRow = {
      rowNumber,
      plaintiffId: layout === "generic" ? text["plaintiff_id"]! : null,
      plaintiffName,
      judgmentId: layout === "generic" ? text["judgment_id"]! : null,
      caseNumber,
      clientClaimNumber: text["client_claim_number"]!,
      creditor: text["creditor"]!,
      accountType,
      debtorFirstName: firstName,
      debtorLastName: lastName,
      debtorCompanyName: companyName,
      debtorAddressOne: text["debtor_address_one"]!,
      debtorAddressTwo: text["debtor_address_two"]!,
      debtorCity: text["debtor_city"]!,
      debtorState: text["debtor_state"]!,
      debtorZip: parse("debtor_zip", V.zip),
      debtorCounty: text["debtor_county"]!,
      debtorPhone: text["debtor_phone"]!,
      debtorEmail: parse("debtor_email", V.email),
      lastFourSsn,
      debtorDob: parse("debtor_dob", V.calendarDate),
      courtName: text["court_name"]!,
      courtCounty: text["court_county"]!,
      indexNumber: text["index_number"]!,
      judgmentDate,
      judgmentAmountCents,
      costsCents: parse("costs", V.cents),
      interestRate: parse("interest_rate", V.percent),
      interestFromDate: parse("interest_from_date", V.calendarDate),
      transcriptCountyList: parse("transcript_county_list", V.list) ?? [],
      paymentsToDateCents: parse("payments_to_date", V.cents),
      lastPaymentDate: parse("last_payment_date", V.calendarDate),
      lastPaymentAmountCents: parse("last_payment_amount", V.cents),
      currentBalanceCents,
      status: parse("status", V.judgmentStatus) ?? "open",
      actionCodes: parse("action_codes", V.list) ?? [],
      debtorPaymentId: text["debtor_payment_id"]!,
      isSynthetic: parse("is_synthetic", V.flag) ?? false,
      employerName: text["employer_name"]!,
      employerAddress: text["employer_address"]!,
      bankName: text["bank_name"]!,
      realPropertyCounty: text["real_property_county"]!,
      bankruptcy: parse("bankruptcy_flag", V.flag),
      deceased: parse("deceased_flag", V.flag),
      customFields: customFieldsOf(header, cells, formulaColumns),
      formulaColumns
    }
    if (row.judgmentAmountCents !== null && row.judgmentAmountCents < 0) {
      problems.push({ field: "judgment_amount", problem: "is negative" })
    }
    if (row.currentBalanceCents !== null && row.currentBalanceCents < 0) {
      problems.push({ field: "current_balance_due", problem: "is negative" })
    }
    return problems.length === 0
      ? { _tag: "Row", row }
      : { _tag: "Rejected", rejected: { rowNumber, raw: rawOf(header, cells), problems } }
  }
}

const customFieldsOf = (header: Header, cells: ReadonlyArray<string>, formulaColumns: Array<string>) => {
  const fields: Record<string, string> = {}
  for (const i of header.custom) {
    const value = cells[i]?.trim() ?? ""
    if (value === "") continue
    fields[header.names[i]!] = V.redactSsn(value)
    if (V.looksLikeFormula(value)) formulaColumns.push(header.names[i]!)
  }
  return fields
}

/** The row as read, by column name, every full SSN masked: for the quarantine. */
export const rawOf = (header: Header, cells: ReadonlyArray<string>): Record<string, string> => {
  const raw: Record<string, string> = {}
  cells.forEach((value, i) => {
    const name = header.names[i] ?? `column_${i + 1}`
    const excerpt = value.length > RAW_EXCERPT_CHARS
      ? `${value.slice(0, RAW_EXCERPT_CHARS)}… (${value.length.toLocaleString("en-US")} characters)`
      : value
    const masked = name === "last_four_ssn" && V.isFullSsn(value)
      ? `***-**-${value.replace(/\D/g, "").slice(-4)}`
      : V.redactSsn(excerpt)
    raw[name === "" ? `column_${i + 1}` : name] = masked.replace(/\u0000/g, "\\u0000")
  })
  return raw
}
