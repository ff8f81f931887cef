import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import type { ImportRow, RejectedRow } from "./rows.js"

export interface Chunk {
  readonly orgId: string
  readonly source: string
  readonly batchId: string
  readonly rows: ReadonlyArray<ImportRow>
}

export interface ChunkOutcome {
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  /** Rows that could not be written, and why (their plaintiff's id and name disagree with the database). */
  readonly rejected: ReadonlyArray<RejectedRow>
  /** Plaintiffs with a judgment inserted or updated. */
  readonly touched: ReadonlyArray<string>
}

/** `plaintiffs.name_key`: the name matched case- and space-insensitively. */
export const nameKey = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase()

/** What identifies a judgment in its source: its case number, else its court and index number. */
export const naturalKey = (row: Pick<ImportRow, "caseNumber" | "courtName" | "indexNumber">) =>
  row.caseNumber !== null ? `case:${row.caseNumber}` : `court:${nameKey(row.courtName ?? "")}\u001f${row.indexNumber}`

/** Everything an import states about a judgment; equal digests mean nothing changed. */
const digestOf = (row: ImportRow, plaintiffId: string) => {
  const { formulaColumns: _flags, rowNumber: _row, ...values } = row
  return createHash("md5").update(JSON.stringify(values)).update(plaintiffId).digest("base64")
}

interface Resolved {
  readonly plaintiffIds: ReadonlyMap<ImportRow, string>
  readonly rejected: ReadonlyArray<RejectedRow>
}

const JUDGMENT_RECORD = `
  id text, plaintiff_id text, case_number text, client_claim_number text, creditor text, account_type text,
  court_name text, court_county text, index_number text, transcript_county_list text[], judgment_date date,
  judgment_amount_cents bigint, costs_cents bigint, interest_rate numeric, interest_from_date date,
  payments_to_date_cents bigint, last_payment_amount_cents bigint, current_balance_cents bigint, status text,
  last_payment_date date, debtor_first_name text, debtor_last_name text, debtor_company_name text,
  debtor_address_one text, debtor_address_two text, debtor_city text, debtor_state text, debtor_zip text,
  debtor_county text, debtor_phone text, debtor_email text, last_four_ssn text, debtor_dob date,
  debtor_payment_id text, action_codes text[], custom_fields jsonb, is_synthetic boolean, import_digest text,
  formula_columns text[], row_key text`

const JUDGMENT_COLUMNS = JUDGMENT_RECORD.split(",").map((field) => field.trim().split(" ")[0]!).filter((c) => c !== "row_key")
const UPDATED_COLUMNS = JUDGMENT_COLUMNS.filter((c) => c !== "id")

/**
 * Writes a chunk of imported judgments in the caller's transaction: plaintiffs found by name (or
 * the caller's id) or created, judgments upserted on their natural key — a row whose values did not
 * change is left alone — and their facts merged in.
 */
export class JudgmentWriter extends Effect.Service<JudgmentWriter>()("imports/JudgmentWriter", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const resolvePlaintiffs = (chunk: Chunk): Effect.Effect<Resolved, SqlError.SqlError> =>
      Effect.gen(function*() {
        const named = new Map<string, { readonly name: string; readonly id: string | null; readonly synthetic: boolean }>()
        for (const row of chunk.rows) {
          const key = row.plaintiffId === null ? `name:${nameKey(row.plaintiffName)}` : `id:${row.plaintiffId}`
          if (!named.has(key)) named.set(key, { name: row.plaintiffName, id: row.plaintiffId, synthetic: row.isSynthetic })
        }
        const wanted = [...named.values()]
        const lookUp = () =>
          sql<{ readonly id: string; readonly name_key: string }>`
            SELECT id, name_key FROM dragonfly.plaintiffs
            WHERE org_id = ${chunk.orgId}::uuid
              AND (name_key = ANY(${wanted.map((p) => nameKey(p.name))}::text[])
                OR id = ANY(${wanted.flatMap((p) => (p.id === null ? [] : [p.id]))}::text[]))`
        let existing = yield* lookUp()
        const byId = () => new Map(existing.map((p) => [p.id, p.name_key]))
        const byName = () => new Map(existing.map((p) => [p.name_key, p.id]))
        const missing = wanted.filter((p) =>
          p.id === null ? !byName().has(nameKey(p.name)) : !byId().has(p.id) && !byName().has(nameKey(p.name))
        )
        if (missing.length > 0) {
          yield* sql`
            INSERT INTO dragonfly.plaintiffs (org_id, id, name, source, is_synthetic)
            SELECT ${chunk.orgId}::uuid, coalesce(p.id, gen_random_uuid()::text), p.name, ${chunk.source}, p.synthetic
            FROM jsonb_to_recordset(${JSON.stringify(missing)}::jsonb) AS p(id text, name text, synthetic boolean)
            ON CONFLICT DO NOTHING`
          existing = yield* lookUp()
        }
        const ids = byId()
        const names = byName()
        const plaintiffIds = new Map<ImportRow, string>()
        const rejected: Array<RejectedRow> = []
        for (const row of chunk.rows) {
          const owner = names.get(nameKey(row.plaintiffName))
          if (row.plaintiffId === null) {
            plaintiffIds.set(row, owner!)
          } else if (ids.has(row.plaintiffId) || owner === row.plaintiffId) {
            plaintiffIds.set(row, row.plaintiffId)
          } else {
            rejected.push({
              rowNumber: row.rowNumber,
              raw: { plaintiff_id: row.plaintiffId, plaintiff_name: row.plaintiffName },
              problems: [{
                field: "plaintiff_id",
                problem: `the plaintiff named '${row.plaintiffName}' is plaintiff ${owner ?? "?"}, not ${row.plaintiffId}`
              }]
            })
          }
        }
        return { plaintiffIds, rejected }
      })

    const recordOf = (row: ImportRow, plaintiffId: string) => ({
      id: row.judgmentId,
      plaintiff_id: plaintiffId,
      case_number: row.caseNumber,
      client_claim_number: row.clientClaimNumber,
      creditor: row.creditor,
      account_type: row.accountType,
      court_name: row.courtName,
      court_county: row.courtCounty,
      index_number: row.indexNumber,
      transcript_county_list: row.transcriptCountyList,
      judgment_date: row.judgmentDate,
      judgment_amount_cents: row.judgmentAmountCents,
      costs_cents: row.costsCents,
      interest_rate: row.interestRate,
      interest_from_date: row.interestFromDate,
      payments_to_date_cents: row.paymentsToDateCents,
      last_payment_amount_cents: row.lastPaymentAmountCents,
      current_balance_cents: row.currentBalanceCents,
      status: row.status,
      last_payment_date: row.lastPaymentDate,
      debtor_first_name: row.debtorFirstName,
      debtor_last_name: row.debtorLastName,
      debtor_company_name: row.debtorCompanyName,
      debtor_address_one: row.debtorAddressOne,
      debtor_address_two: row.debtorAddressTwo,
      debtor_city: row.debtorCity,
      debtor_state: row.debtorState,
      debtor_zip: row.debtorZip,
      debtor_county: row.debtorCounty,
      debtor_phone: row.debtorPhone,
      debtor_email: row.debtorEmail,
      last_four_ssn: row.lastFourSsn,
      debtor_dob: row.debtorDob,
      debtor_payment_id: row.debtorPaymentId,
      action_codes: row.actionCodes,
      custom_fields: row.customFields,
      is_synthetic: row.isSynthetic,
      import_digest: digestOf(row, plaintiffId),
      formula_columns: row.formulaColumns,
      row_key: naturalKey(row)
    })

    const upsert = (chunk: Chunk, records: ReadonlyArray<ReturnType<typeof recordOf>>, byCase: boolean) =>
      records.length === 0
        ? Effect.succeed([])
        : sql<{ readonly id: string; readonly row_key: string; readonly inserted: boolean }>`
          WITH input AS (
            SELECT * FROM jsonb_to_recordset(${JSON.stringify(records)}::jsonb) AS i(${sql.literal(JUDGMENT_RECORD)})
          ),
          written AS (
            INSERT INTO dragonfly.judgments AS j (org_id, source, import_batch_id, ${sql.literal(JUDGMENT_COLUMNS.join(", "))})
            SELECT ${chunk.orgId}::uuid, ${chunk.source}, ${chunk.batchId}::uuid,
              ${sql.literal(JUDGMENT_COLUMNS.map((c) => (c === "id" ? "coalesce(i.id, gen_random_uuid()::text)" : `i.${c}`)).join(", "))}
            FROM input i
            ON CONFLICT ${
          sql.literal(
            byCase
              ? "(org_id, source, case_number)"
              : "(org_id, source, court_key, index_number) WHERE case_number IS NULL AND index_number IS NOT NULL"
          )
        }
            DO UPDATE SET ${sql.literal(UPDATED_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", "))},
              import_batch_id = excluded.import_batch_id, updated_at = now()
            WHERE j.import_digest IS DISTINCT FROM excluded.import_digest
            RETURNING j.id, j.case_number, j.court_key, j.index_number, (j.xmax = 0) AS inserted
          )
          SELECT w.id, CASE WHEN w.case_number IS NOT NULL THEN 'case:' || w.case_number
                            ELSE 'court:' || w.court_key || chr(31) || w.index_number END AS row_key,
                 w.inserted
          FROM written w`

    const mergeFacts = (chunk: Chunk, facts: ReadonlyArray<Record<string, unknown>>) =>
      facts.length === 0 ? Effect.void : sql`
        WITH input AS (
          SELECT * FROM jsonb_to_recordset(${JSON.stringify(facts)}::jsonb) AS i(
            judgment_id text, employer_name text, employer_address text, bank_name text, real_property_county text,
            bankruptcy boolean, deceased boolean)
        )
        INSERT INTO dragonfly.judgment_facts AS f (
          org_id, judgment_id, employer_name, employer_address, bank_name, real_property_county, bankruptcy_status,
          deceased)
        SELECT ${chunk.orgId}::uuid, i.judgment_id, i.employer_name, i.employer_address, i.bank_name,
               i.real_property_county, CASE i.bankruptcy WHEN true THEN 'open' WHEN false THEN 'none' END,
               coalesce(i.deceased, false)
        FROM input i
        ON CONFLICT (org_id, judgment_id) DO UPDATE SET
          -- a value left blank says nothing: what was known stays
          employer_name = coalesce(excluded.employer_name, f.employer_name),
          employer_address = coalesce(excluded.employer_address, f.employer_address),
          bank_name = coalesce(excluded.bank_name, f.bank_name),
          real_property_county = coalesce(excluded.real_property_county, f.real_property_county),
          bankruptcy_status = coalesce(excluded.bankruptcy_status, f.bankruptcy_status),
          deceased = coalesce((SELECT i.deceased FROM input i WHERE i.judgment_id = excluded.judgment_id), f.deceased),
          updated_at = now()`.pipe(Effect.asVoid)

    const write = Effect.fn("JudgmentWriter.write")(function*(chunk: Chunk) {
      if (chunk.rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0, rejected: [], touched: [] } satisfies ChunkOutcome
      const { plaintiffIds, rejected } = yield* resolvePlaintiffs(chunk)
      const writable = chunk.rows.filter((row) => plaintiffIds.has(row))
      const records = writable.map((row) => recordOf(row, plaintiffIds.get(row)!))
      const written = [
        ...(yield* upsert(chunk, records.filter((r) => r.case_number !== null), true)),
        ...(yield* upsert(chunk, records.filter((r) => r.case_number === null), false))
      ]
      const rowsByKey = new Map(writable.map((row) => [naturalKey(row), row]))
      const facts: Array<Record<string, unknown>> = []
      const touched = new Set<string>()
      for (const { id, row_key } of written) {
        const row = rowsByKey.get(row_key)
        if (row === undefined) continue
        touched.add(plaintiffIds.get(row)!)
        if (
          row.employerName !== null || row.employerAddress !== null || row.bankName !== null ||
          row.realPropertyCounty !== null || row.bankruptcy !== null || row.deceased !== null
        ) {
          facts.push({
            judgment_id: id,
            employer_name: row.employerName,
            employer_address: row.employerAddress,
            bank_name: row.bankName,
            real_property_county: row.realPropertyCounty,
            bankruptcy: row.bankruptcy,
            deceased: row.deceased
          })
        }
      }
      yield* mergeFacts(chunk, facts)
      if (touched.size > 0) {
        yield* sql`
          INSERT INTO dragonfly.import_batch_plaintiffs (batch_id, org_id, plaintiff_id)
          SELECT ${chunk.batchId}::uuid, ${chunk.orgId}::uuid, unnest(${[...touched]}::text[])
          ON CONFLICT DO NOTHING`
      }
      const inserted = written.filter((w) => w.inserted).length
      return {
        inserted,
        updated: written.length - inserted,
        unchanged: writable.length - written.length,
        rejected,
        touched: [...touched]
      } satisfies ChunkOutcome
    })

    return { write } as const
  })
}) {}
