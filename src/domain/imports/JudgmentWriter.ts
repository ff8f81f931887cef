import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"
import { createHash, randomBytes } from "node:crypto"
import type { ImportRow, RejectedRow } from "./rows.js"

export interface Chunk {
  readonly orgId: string
  readonly source: string
  readonly batchId: string
  readonly encoded: EncodedRows
}

export interface ChunkOutcome {
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  /** Rows that could not be written, and why (their plaintiff's id and name disagree with the database). */
  readonly rejected: ReadonlyArray<RejectedRow>
}

/** `plaintiffs.name_key`: the name matched case- and space-insensitively. */
export const nameKey = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase()

/** What identifies a judgment in its source: its case number, else its court and index number. */
export const naturalKey = (row: Pick<ImportRow, "caseNumber" | "courtName" | "indexNumber">) =>
  row.caseNumber !== null ? `case:${row.caseNumber}` : `court:${nameKey(row.courtName ?? "")}\u001f${row.indexNumber}`

/**
 * A UUID whose first 48 bits are the time in milliseconds (UUIDv7's layout): new judgments' ids
 * land at the end of the primary-key index instead of anywhere in it, which keeps a large import's
 * index writes (and their WAL) local.
 */
export const timeOrderedId = () => {
  if (ids.next >= ids.random.length) {
    ids.random = randomBytes(16 * 1024)
    ids.next = 0
  }
  const bytes = Buffer.from(ids.random.subarray(ids.next, ids.next + 16))
  ids.next += 16
  bytes.writeUIntBE(Date.now(), 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
/** Random bytes drawn 16 KiB at a time (one call per 1,024 ids). */
const ids = { random: Buffer.alloc(0), next: 0 }

type Value = string | number | boolean | null

/**
 * The columns an import writes: judgments' and then facts', with their types, and how to read
 * each from a row. Rows travel to Postgres as one array per column (`unnest`); lists and JSON as
 * the text of their literals, cast per row.
 */
const FIELDS: ReadonlyArray<readonly [string, string, (row: ImportRow) => Value]> = [
  ["id", "text", (r) => r.judgmentId ?? timeOrderedId()],
  ["case_number", "text", (r) => r.caseNumber],
  ["client_claim_number", "text", (r) => r.clientClaimNumber],
  ["creditor", "text", (r) => r.creditor],
  ["account_type", "text", (r) => r.accountType],
  ["court_name", "text", (r) => r.courtName],
  ["court_county", "text", (r) => r.courtCounty],
  ["index_number", "text", (r) => r.indexNumber],
  ["transcript_county_list", "text[]", (r) => arrayLiteral(r.transcriptCountyList)],
  ["judgment_date", "date", (r) => r.judgmentDate],
  ["judgment_amount_cents", "bigint", (r) => r.judgmentAmountCents],
  ["costs_cents", "bigint", (r) => r.costsCents],
  ["interest_rate", "numeric", (r) => r.interestRate],
  ["interest_from_date", "date", (r) => r.interestFromDate],
  ["payments_to_date_cents", "bigint", (r) => r.paymentsToDateCents],
  ["last_payment_amount_cents", "bigint", (r) => r.lastPaymentAmountCents],
  ["current_balance_cents", "bigint", (r) => r.currentBalanceCents],
  ["status", "text", (r) => r.status],
  ["last_payment_date", "date", (r) => r.lastPaymentDate],
  ["debtor_first_name", "text", (r) => r.debtorFirstName],
  ["debtor_last_name", "text", (r) => r.debtorLastName],
  ["debtor_company_name", "text", (r) => r.debtorCompanyName],
  ["debtor_address_one", "text", (r) => r.debtorAddressOne],
  ["debtor_address_two", "text", (r) => r.debtorAddressTwo],
  ["debtor_city", "text", (r) => r.debtorCity],
  ["debtor_state", "text", (r) => r.debtorState],
  ["debtor_zip", "text", (r) => r.debtorZip],
  ["debtor_county", "text", (r) => r.debtorCounty],
  ["debtor_phone", "text", (r) => r.debtorPhone],
  ["debtor_email", "text", (r) => r.debtorEmail],
  ["last_four_ssn", "text", (r) => r.lastFourSsn],
  ["debtor_dob", "date", (r) => r.debtorDob],
  ["debtor_payment_id", "text", (r) => r.debtorPaymentId],
  ["action_codes", "text[]", (r) => arrayLiteral(r.actionCodes)],
  ["custom_fields", "jsonb", (r) => JSON.stringify(r.customFields)],
  ["is_synthetic", "boolean", (r) => r.isSynthetic],
  // filled in by `encodeRows`, from the other fields' encodings
  ["import_digest", "text", () => null],
  ["formula_columns", "text[]", (r) => arrayLiteral(r.formulaColumns)],
  ["row_key", "text", naturalKey],
  // facts
  ["employer_name", "text", (r) => r.employerName],
  ["employer_address", "text", (r) => r.employerAddress],
  ["bank_name", "text", (r) => r.bankName],
  ["real_property_county", "text", (r) => r.realPropertyCounty],
  ["bankruptcy", "boolean", (r) => r.bankruptcy],
  ["deceased", "boolean", (r) => r.deceased]
]

const NOT_JUDGMENT_COLUMNS = new Set([
  "row_key",
  "employer_name",
  "employer_address",
  "bank_name",
  "real_property_county",
  "bankruptcy",
  "deceased"
])
const JUDGMENT_FIELDS = FIELDS.filter(([name]) => !NOT_JUDGMENT_COLUMNS.has(name))
const JUDGMENT_COLUMNS = ["plaintiff_id", ...JUDGMENT_FIELDS.map(([name]) => name)]
const UPDATED_COLUMNS = JUDGMENT_COLUMNS.filter((c) => c !== "id")
/** How a field travels: as itself, or (lists, JSON) as the text of its literal. */
const wireType = (type: string) => (type === "text[]" || type === "jsonb" ? "text" : type)
const valueOf = (name: string, type: string) => type === wireType(type) ? `i.${name}` : `i.${name}::${type}`

/** One element of an array literal: quoted and escaped unless it is a number, boolean or date. */
const element = (value: Value, type: string) => {
  if (value === null) return "NULL"
  if (typeof value === "number") return String(value)
  if (typeof value === "boolean") return value ? "t" : "f"
  if (type === "date") return value
  return value.includes("\\") || value.includes("\"")
    ? `"${value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")}"`
    : `"${value}"`
}

/** `{"a","b \"c\""}`: the text of a Postgres text array. */
const arrayLiteral = (items: ReadonlyArray<string>) => `{${items.map((item) => element(item, "text")).join(",")}}`

const DIGEST = FIELDS.findIndex(([name]) => name === "import_digest")
/** What the digest does not cover: a new row's random id, the digest itself, derived values. */
const UNDIGESTED = new Set(["id", "import_digest", "formula_columns", "row_key"])
const DIGESTED = FIELDS.flatMap(([name], i) => (UNDIGESTED.has(name) ? [] : [i]))

/** Rows of one natural-key kind, one array literal per field, ready for `unnest`. */
interface EncodedGroup {
  readonly byCase: boolean
  readonly rows: ReadonlyArray<ImportRow>
  readonly columns: ReadonlyArray<string>
}

/** A chunk's rows encoded for the database: done ahead of its transaction (it is most of the work). */
export interface EncodedRows {
  readonly rows: ReadonlyArray<ImportRow>
  readonly groups: ReadonlyArray<EncodedGroup>
}

/**
 * Row by row, each field's element once; the digest — everything the file states about the
 * judgment and its plaintiff, so equal digests mean nothing changed — is taken from those elements.
 */
export const encodeRows = (rows: ReadonlyArray<ImportRow>): EncodedRows => {
  const group = (byCase: boolean): ReadonlyArray<EncodedGroup> => {
    const members = rows.filter((row) => (row.caseNumber !== null) === byCase)
    if (members.length === 0) return []
    const columns: Array<Array<string>> = FIELDS.map(() => [])
    const elements: Array<string> = new Array(FIELDS.length)
    for (const row of members) {
      for (let f = 0; f < FIELDS.length; f++) {
        if (f !== DIGEST) elements[f] = element(FIELDS[f]![2](row), FIELDS[f]![1])
      }
      let stated = `${row.plaintiffId ?? ""}\u001f${row.plaintiffName}`
      for (const f of DIGESTED) stated += `\u001f${elements[f]}`
      elements[DIGEST] = `"${createHash("md5").update(stated).digest("base64")}"`
      for (let f = 0; f < FIELDS.length; f++) columns[f]!.push(elements[f]!)
    }
    return [{ byCase, rows: members, columns: columns.map((values) => `{${values.join(",")}}`) }]
  }
  return { rows, groups: [...group(true), ...group(false)] }
}

interface Resolved {
  readonly plaintiffIds: ReadonlyMap<ImportRow, string>
  readonly rejected: ReadonlyArray<RejectedRow>
}

/**
 * Writes a chunk of imported judgments in the caller's transaction: plaintiffs found by name (or
 * the caller's id) or created; then one statement upserts the judgments on their natural key — a
 * row whose values did not change is left alone —, merges their facts and notes the plaintiffs
 * touched.
 */
export class JudgmentWriter extends Effect.Service<JudgmentWriter>()("imports/JudgmentWriter", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const resolvePlaintiffs = (orgId: string, source: string, rows: ReadonlyArray<ImportRow>): Effect.Effect<Resolved, SqlError.SqlError> =>
      Effect.gen(function*() {
        const named = new Map<string, { readonly name: string; readonly id: string | null; readonly synthetic: boolean }>()
        for (const row of rows) {
          const key = row.plaintiffId === null ? `name:${nameKey(row.plaintiffName)}` : `id:${row.plaintiffId}`
          if (!named.has(key)) named.set(key, { name: row.plaintiffName, id: row.plaintiffId, synthetic: row.isSynthetic })
        }
        const wanted = [...named.values()]
        const lookUp = () =>
          sql<{ readonly id: string; readonly name_key: string }>`
            SELECT id, name_key FROM dragonfly.plaintiffs
            WHERE org_id = ${orgId}::uuid
              AND (name_key = ANY(${wanted.map((p) => nameKey(p.name))}::text[])
                OR id = ANY(${wanted.flatMap((p) => (p.id === null ? [] : [p.id]))}::text[]))`
        let existing = yield* lookUp()
        const known = { ids: new Set(existing.map((p) => p.id)), names: new Set(existing.map((p) => p.name_key)) }
        const missing = wanted.filter((p) =>
          !known.names.has(nameKey(p.name)) && (p.id === null || !known.ids.has(p.id))
        )
        if (missing.length > 0) {
          yield* sql`
            INSERT INTO dragonfly.plaintiffs (org_id, id, name, source, is_synthetic)
            SELECT ${orgId}::uuid, coalesce(p.id, gen_random_uuid()::text), p.name, ${source}, p.synthetic
            FROM jsonb_to_recordset(${JSON.stringify(missing)}::jsonb) AS p(id text, name text, synthetic boolean)
            ON CONFLICT DO NOTHING`
          existing = yield* lookUp()
        }
        const ids = new Set(existing.map((p) => p.id))
        const names = new Map(existing.map((p) => [p.name_key, p.id]))
        const plaintiffIds = new Map<ImportRow, string>()
        const rejected: Array<RejectedRow> = []
        for (const row of rows) {
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

    const upsert = (chunk: Chunk, group: EncodedGroup, plaintiffIds: string) =>
      sql<{ readonly inserted: string; readonly written: string }>`
        WITH input AS (
          SELECT * FROM unnest(${
        sql.csv([
          sql`${plaintiffIds}::text[]`,
          ...FIELDS.map(([, type], i) => sql`${group.columns[i]!}::${sql.literal(`${wireType(type)}[]`)}`)
        ])
      }) AS i(plaintiff_id, ${sql.literal(FIELDS.map(([name]) => name).join(", "))})
        ),
        written AS (
          INSERT INTO dragonfly.judgments AS j (org_id, source, import_batch_id, ${sql.literal(JUDGMENT_COLUMNS.join(", "))})
          SELECT ${chunk.orgId}::uuid, ${chunk.source}, ${chunk.batchId}::uuid, i.plaintiff_id,
            ${sql.literal(JUDGMENT_FIELDS.map(([name, type]) => valueOf(name, type)).join(", "))}
          FROM input i WHERE i.plaintiff_id IS NOT NULL
          ON CONFLICT ${
        sql.literal(
          group.byCase
            ? "(org_id, source, case_number)"
            : "(org_id, source, court_key, index_number) WHERE case_number IS NULL AND index_number IS NOT NULL"
        )
      }
          DO UPDATE SET ${sql.literal(UPDATED_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", "))},
            import_batch_id = excluded.import_batch_id, updated_at = now()
          WHERE j.import_digest IS DISTINCT FROM excluded.import_digest
          RETURNING j.id, j.plaintiff_id, (j.xmax = 0) AS inserted,
            CASE WHEN j.case_number IS NOT NULL THEN 'case:' || j.case_number
                 ELSE 'court:' || j.court_key || chr(31) || j.index_number END AS row_key
        ),
        facts AS (
          INSERT INTO dragonfly.judgment_facts AS f (
            org_id, judgment_id, employer_name, employer_address, bank_name, real_property_county,
            bankruptcy_status, bankruptcy_as_of, deceased, deceased_as_of)
          SELECT ${chunk.orgId}::uuid, w.id, i.employer_name, i.employer_address, i.bank_name, i.real_property_county,
                 CASE i.bankruptcy WHEN true THEN 'open' WHEN false THEN 'none' END,
                 CASE WHEN i.bankruptcy IS NOT NULL THEN current_date END,
                 coalesce(i.deceased, false), CASE WHEN i.deceased IS NOT NULL THEN current_date END
          FROM written w JOIN input i ON i.row_key = w.row_key
          WHERE num_nonnulls(i.employer_name, i.employer_address, i.bank_name, i.real_property_county, i.bankruptcy,
                             i.deceased) > 0
          ON CONFLICT (org_id, judgment_id) DO UPDATE SET
            -- a value left blank says nothing: what was known stays
            employer_name = coalesce(excluded.employer_name, f.employer_name),
            employer_address = coalesce(excluded.employer_address, f.employer_address),
            bank_name = coalesce(excluded.bank_name, f.bank_name),
            real_property_county = coalesce(excluded.real_property_county, f.real_property_county),
            bankruptcy_status = coalesce(excluded.bankruptcy_status, f.bankruptcy_status),
            bankruptcy_as_of = coalesce(excluded.bankruptcy_as_of, f.bankruptcy_as_of),
            deceased = CASE WHEN excluded.deceased_as_of IS NULL THEN f.deceased ELSE excluded.deceased END,
            deceased_as_of = coalesce(excluded.deceased_as_of, f.deceased_as_of),
            updated_at = now()
        ),
        touched AS (
          INSERT INTO dragonfly.import_batch_plaintiffs (batch_id, org_id, plaintiff_id)
          SELECT DISTINCT ${chunk.batchId}::uuid, ${chunk.orgId}::uuid, w.plaintiff_id FROM written w
          ON CONFLICT DO NOTHING
        )
        SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) AS written FROM written`

    const write = Effect.fn("JudgmentWriter.write")(function*(chunk: Chunk) {
      const { rows } = chunk.encoded
      if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0, rejected: [] } satisfies ChunkOutcome
      const { plaintiffIds, rejected } = yield* resolvePlaintiffs(chunk.orgId, chunk.source, rows)
      let inserted = 0
      let written = 0
      for (const group of chunk.encoded.groups) {
        const ids = `{${group.rows.map((row) => element(plaintiffIds.get(row) ?? null, "text")).join(",")}}`
        const [counts] = yield* upsert(chunk, group, ids)
        inserted += Number(counts?.inserted ?? 0)
        written += Number(counts?.written ?? 0)
      }
      return {
        inserted,
        updated: written - inserted,
        unchanged: rows.length - rejected.length - written,
        rejected
      } satisfies ChunkOutcome
    })

    return { write } as const
  })
}) {}
