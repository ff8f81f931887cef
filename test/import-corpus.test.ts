import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { UploadStore } from "../src/domain/uploads/index.js"
import * as Envelope from "../src/envelope/index.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { count, deadLetters, eventually, ORG, recordedAlerts, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

/**
 * The hostile corpus (test/fixtures/csv/, and a few files too big to commit, made here): every
 * file ends in a batch with the right status and counts, and the worker survives them all.
 */

const fixture = (name: string) => readFileSync(new URL(`./fixtures/csv/${name}`, import.meta.url))

const HEADER = "case_number,client_name,debtor_first_name,debtor_last_name,debtor_company_name,debtor_address_one," +
  "debtor_zip,last_four_ssn,judgment_date,judgment_amount,current_balance_due,account_type"
const row = (caseNumber: string, address = "1 Main St") =>
  `${caseNumber},Example Funding LLC (TEST),Ada,Lovelace,,"${address}",10001,,01/02/2020,100,100,N`

interface Expected {
  readonly status: string
  readonly rowsRead: number
  readonly inserted: number
  readonly quarantined: number
  readonly blank?: number
  readonly error?: string
}

interface Case {
  readonly file: string
  readonly content: () => Buffer
  readonly rowCount?: number
  readonly expected: Expected
}

const fromFixture = (file: string, expected: Expected, rowCount?: number): Case => ({
  file,
  content: () => fixture(file),
  expected,
  ...(rowCount === undefined ? {} : { rowCount })
})

const cases: ReadonlyArray<Case> = [
  fromFixture("bom-crlf.csv", { status: "completed", rowsRead: 2, inserted: 2, quarantined: 0 }),
  fromFixture("quoted-commas-newlines.csv", { status: "completed", rowsRead: 2, inserted: 2, quarantined: 0 }),
  fromFixture("money-and-dates.csv", { status: "completed", rowsRead: 4, inserted: 2, quarantined: 2 }),
  fromFixture("blank-trailing-rows.csv", { status: "completed", rowsRead: 1, inserted: 1, quarantined: 0, blank: 3 }),
  fromFixture("duplicate-case-number.csv", { status: "completed", rowsRead: 3, inserted: 2, quarantined: 1 }),
  fromFixture("full-ssn.csv", { status: "completed", rowsRead: 3, inserted: 1, quarantined: 2 }),
  fromFixture("missing-required-column.csv", { status: "failed", rowsRead: 0, inserted: 0, quarantined: 0, error: "missing required columns: judgment_date, current_balance_due" }),
  fromFixture("duplicate-headers.csv", { status: "failed", rowsRead: 0, inserted: 0, quarantined: 0, error: "duplicate column 'Debtor First Name'" }),
  fromFixture("unknown-columns.csv", { status: "completed", rowsRead: 1, inserted: 1, quarantined: 0 }),
  fromFixture("empty.csv", { status: "failed", rowsRead: 0, inserted: 0, quarantined: 0, error: "empty" }),
  fromFixture("header-only.csv", { status: "completed", rowsRead: 0, inserted: 0, quarantined: 0 }, 0),
  fromFixture("windows-1252.csv", { status: "completed", rowsRead: 1, inserted: 1, quarantined: 0 }),
  fromFixture("neither-utf8-nor-1252.csv", { status: "failed", rowsRead: 0, inserted: 0, quarantined: 0, error: "neither UTF-8 nor Windows-1252" }),
  fromFixture("unbalanced-quote.csv", { status: "partial", rowsRead: 1, inserted: 1, quarantined: 0, error: "is never closed" }),
  fromFixture("nul-bytes.csv", { status: "completed", rowsRead: 2, inserted: 1, quarantined: 1 }),
  fromFixture("consumer-and-commercial-names.csv", { status: "completed", rowsRead: 4, inserted: 2, quarantined: 2 }),
  fromFixture("formula-injection.csv", { status: "completed", rowsRead: 2, inserted: 2, quarantined: 0 }),
  fromFixture("aliases-and-titles.csv", { status: "completed", rowsRead: 1, inserted: 1, quarantined: 0 }),
  fromFixture("extra-fields.csv", { status: "completed", rowsRead: 2, inserted: 1, quarantined: 1 }),
  {
    file: "row-count-mismatch.csv",
    content: () => fixture("bom-crlf.csv"),
    rowCount: 5,
    expected: { status: "partial", rowsRead: 2, inserted: 2, quarantined: 0, error: "says the file has 5 rows; 2 were read" }
  },
  {
    file: "10mb-field.csv (made here)",
    content: () => Buffer.from(`${HEADER}\n${row("G-1", "x".repeat(10 * 1024 * 1024))}\n${row("G-2")}\n`),
    expected: { status: "completed", rowsRead: 2, inserted: 1, quarantined: 1 }
  },
  {
    file: "10k-columns.csv (made here)",
    content: () => Buffer.from(`${HEADER},${Array.from({ length: 10_000 }, (_, i) => `extra_${i}`).join(",")}\n${row("K-1")}\n`),
    expected: { status: "failed", rowsRead: 0, inserted: 0, quarantined: 0, error: "the header has 10012 columns; at most 500 are read" }
  }
]

interface BatchRow {
  readonly id: string
  readonly status: string
  readonly rows_read: number
  readonly rows_blank: number
  readonly inserted: number
  readonly quarantined: number
  readonly errors: ReadonlyArray<{ readonly message: string }>
}

/** Each file is stored as an upload and imported on its own queue message; the source keeps their keys apart. */
const importAll = Effect.gen(function*() {
  const store = yield* UploadStore
  const pgmq = yield* PgmqQueue
  const ids = new Map<string, string>()
  for (const [i, c] of cases.entries()) {
    const stored = yield* store.put({ content: c.content(), contentType: "text/csv" })
    const envelope = Envelope.make({
      org_id: ORG,
      idempotency_key: `corpus:${c.file}`,
      entity_type: "batch",
      entity_id: `corpus-${i}`,
      payload: { file_path: stored.filePath, source: `corpus-${i}`, ...(c.rowCount === undefined ? {} : { row_count: c.rowCount }) }
    })
    yield* pgmq.send(queueName("simplicity_import"), Envelope.encode(envelope))
    ids.set(envelope.job_id, c.file)
  }
  return ids
})

describe("the hostile corpus", () => {
  it.live("every file ends in a batch with the right status and counts; nothing crashes the worker", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* Layer.build(serviceWorker("simplicity"))
      const files = yield* importAll
      const batches = () =>
        sql<BatchRow>`SELECT id, status, rows_read, rows_blank, inserted, quarantined, errors FROM dragonfly.import_batches`
      yield* eventually(
        Effect.map(batches(), (rows) => rows.length === cases.length && rows.every((b) => b.status !== "running")),
        "90 seconds"
      )
      for (const batch of yield* batches()) {
        const c = cases.find((k) => k.file === files.get(batch.id))!
        const { expected } = c
        assert.deepStrictEqual(
          [batch.status, batch.rows_read, batch.inserted, batch.quarantined],
          [expected.status, expected.rowsRead, expected.inserted, expected.quarantined],
          c.file
        )
        if (expected.blank !== undefined) assert.strictEqual(batch.rows_blank, expected.blank, c.file)
        if (expected.error !== undefined) assert.include(batch.errors.map((e) => e.message).join(" | "), expected.error, c.file)
      }
      assert.deepStrictEqual(yield* deadLetters, [])

      // what the rows became
      const judgment = (caseNumber: string) =>
        Effect.map(sql<Record<string, any>>`SELECT *, judgment_date::text AS judgment_day FROM dragonfly.judgments WHERE case_number = ${caseNumber}`, (rows) => rows[0]!)
      const h1 = yield* judgment("H-1")
      assert.deepStrictEqual([h1.judgment_amount_cents, h1.current_balance_cents, h1.last_four_ssn], ["123456", "100000", "0123"])
      const q1 = yield* judgment("Q-1")
      assert.deepStrictEqual([q1.debtor_company_name, q1.debtor_address_one, q1.account_type], ["Acme Widgets, Inc.", "Suite 5\n12 Broad St", "C"])
      const q2 = yield* judgment("Q-2")
      assert.deepStrictEqual([q2.debtor_last_name, q2.debtor_address_one], ["O\"Brien", "3 \"Quoted\" Rd"])
      assert.strictEqual(q2.judgment_day, "2020-01-02")
      const m2 = yield* judgment("M-2")
      assert.deepStrictEqual([m2.judgment_amount_cents, m2.current_balance_cents], ["123450", "123450"])
      const w1 = yield* judgment("W-1")
      assert.deepStrictEqual([w1.debtor_first_name, w1.debtor_last_name, w1.debtor_address_one], ["René", "Müller", "1 Café Ave"])
      const u1 = yield* judgment("U-1")
      assert.deepStrictEqual(u1.custom_fields, {
        account_manager: "Jane Doe",
        internal_note: "=cmd|' /C calc'!A0",
        reference_ssn: "SSN ***-**-**** on file"
      })
      assert.deepStrictEqual(u1.formula_columns, ["internal_note"])
      assert.sameMembers((yield* judgment("F-1")).formula_columns, ["debtor_first_name", "debtor_address_one"])
      assert.sameMembers((yield* judgment("F-2")).formula_columns, ["debtor_first_name", "debtor_last_name"])
      const a1 = yield* judgment("A-1")
      assert.deepStrictEqual([a1.debtor_zip, a1.last_four_ssn, a1.account_type], ["07001", "0123", "N"])
      assert.strictEqual((yield* judgment("C-4")).account_type, "C")

      // why rows were quarantined
      const reasons = (caseNumber: string) =>
        Effect.map(
          sql<{ reasons: Array<{ field: string; problem: string }>; raw: Record<string, string> }>`
            SELECT reasons, raw FROM dragonfly.import_quarantine WHERE raw->>'case_number' = ${caseNumber}`,
          (rows) => rows[0]!
        )
      assert.sameMembers((yield* reasons("M-3")).reasons.map((r) => r.field), ["judgment_date", "judgment_amount", "current_balance_due"])
      assert.include((yield* reasons("M-3")).reasons.find((r) => r.field === "judgment_date")!.problem, "not a date that exists")
      assert.include((yield* reasons("C-2")).reasons[0]!.problem, "first and last names")
      assert.include((yield* reasons("C-3")).reasons[0]!.problem, "commercial")
      assert.include((yield* reasons("E-1")).reasons[0]!.problem, "has 14 fields; the header has 12")
      assert.include((yield* reasons("L-1")).reasons[0]!.problem, "NUL")
      const long = yield* reasons("G-1")
      assert.include(long.reasons[0]!.problem, "10,485,760 characters long")
      assert.isBelow(long.raw["debtor_address_one"]!.length, 1_100)
      // a full SSN is never stored: not in the quarantine, not in a judgment
      assert.strictEqual((yield* reasons("S-1")).raw["last_four_ssn"], "***-**-6789")
      for (const table of ["dragonfly.import_quarantine", "dragonfly.judgments"]) {
        assert.strictEqual(yield* count(`SELECT count(*) AS n FROM ${table} t WHERE t::text ~ '123-?45-?6789|987-?65-?4321'`), 0, table)
      }
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(PgmqQueue.Default, UploadStore.Default, recordedAlerts).pipe(Layer.provideMerge(TestDatabase.layer())))
    ), 120_000)
})
