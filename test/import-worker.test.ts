import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { UploadStore } from "../src/domain/uploads/index.js"
import * as Envelope from "../src/envelope/index.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { count, deadLetters, eventually, ORG, recordedAlerts, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const withDatabase = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(
    Effect.scoped(self),
    Layer.mergeAll(PgmqQueue.Default, UploadStore.Default, recordedAlerts).pipe(Layer.provideMerge(TestDatabase.layer()))
  )

const INGEST = queueName("ingest_raw")
const SIMPLICITY = queueName("simplicity_import")

/** Stores `csv` as an upload and enqueues its import job; the job's id is the batch's. */
const importFile = (queue: typeof INGEST, csv: string | Buffer, source: string, rowCount?: number) =>
  Effect.gen(function*() {
    const stored = yield* (yield* UploadStore).put({ content: Buffer.from(csv), contentType: "text/csv" })
    const envelope = Envelope.make({
      org_id: ORG,
      idempotency_key: `import:${randomUUID()}`,
      entity_type: "batch",
      entity_id: stored.sha256.slice(0, 16),
      payload: { file_path: stored.filePath, source, ...(rowCount === undefined ? {} : { row_count: rowCount }) }
    })
    yield* (yield* PgmqQueue).send(queue, Envelope.encode(envelope))
    return envelope.job_id
  })

interface BatchRow {
  readonly status: string
  readonly rows_read: number
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  readonly quarantined: number
  readonly errors: ReadonlyArray<{ code: string; message: string }>
}

/** An import job of the file at `filePath`, whatever is there. */
const importOf = (name: string, filePath: string) =>
  Envelope.make({
    org_id: ORG,
    idempotency_key: `import:${name}`,
    entity_type: "batch",
    entity_id: name,
    payload: { file_path: filePath, source: "upload" }
  })

const batch = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<BatchRow>`SELECT status, rows_read, inserted, updated, unchanged, quarantined, errors FROM dragonfly.import_batches WHERE id = ${id}::uuid`,
      (rows) => rows[0]
    ))

const finished = (id: string) =>
  Effect.gen(function*() {
    yield* eventually(Effect.map(batch(id), (b) => b !== undefined && b.status !== "running"), "30 seconds")
    return (yield* batch(id))!
  })

const GENERIC = [
  "Plaintiff ID,Plaintiff Name,Case Number,Debtor First Name,Debtor Last Name,Debtor Company Name,Debtor ZIP,Last Four SSN,Judgment Date,Judgment Amount,Current Balance Due,Employer Name,Deceased Flag,Notes",
  "12345,Example Funding LLC (TEST),C-1,Ada,Lovelace,,07001,0123,03/04/2021,\"$1,234.56\",\"$1,000.00\",Acme Widgets,N,first",
  "12345,Example Funding LLC (TEST),C-2,,,\"Widgets, Inc.\",10001,,2021-05-06,500,500,,,=HYPERLINK(\"x\")",
  ",Sample Medical PC (TEST),C-3,Grace,Hopper,,11201,123456789,02/30/2023,12.00,abc,,,bad row",
  ",Sample Medical PC (TEST),C-1,Ada,Lovelace,,07001,,03/04/2021,1,1,,,duplicate",
  ",,,,,,,,,,,,,"
].join("\r\n") + "\r\n"

describe("import workers", () => {
  it.live("ingest: rows upserted, bad rows quarantined with every reason, scores requested, the batch counted", () =>
    withDatabase(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* Layer.build(serviceWorker("ingest"))
      const id = yield* importFile(INGEST, GENERIC, "upload", 4)
      const result = yield* finished(id)
      assert.deepStrictEqual(
        [result.status, result.rows_read, result.inserted, result.updated, result.unchanged, result.quarantined],
        ["completed", 4, 2, 0, 0, 2]
      )
      const judgments = yield* sql<{ case_number: string; plaintiff_id: string; debtor_zip: string; formula_columns: Array<string>; custom_fields: unknown }>`
        SELECT case_number, plaintiff_id, debtor_zip, formula_columns, custom_fields FROM dragonfly.judgments ORDER BY case_number`
      assert.deepStrictEqual(judgments.map((j) => [j.case_number, j.plaintiff_id, j.debtor_zip]), [["C-1", "12345", "07001"], ["C-2", "12345", "10001"]])
      // stored as given, flagged as a formula a spreadsheet would run
      assert.deepStrictEqual(judgments[1]!.custom_fields, { notes: "=HYPERLINK(\"x\")" })
      assert.deepStrictEqual(judgments.map((j) => j.formula_columns), [[], ["notes"]])
      const quarantine = yield* sql<{ row_number: number; raw: Record<string, string>; reasons: Array<{ field: string; problem: string }> }>`
        SELECT row_number, raw, reasons FROM dragonfly.import_quarantine ORDER BY row_number`
      assert.deepStrictEqual(quarantine.map((q) => q.row_number), [3, 4])
      assert.sameMembers(quarantine[0]!.reasons.map((r) => r.field), ["last_four_ssn", "judgment_date", "current_balance_due"])
      assert.notInclude(JSON.stringify(quarantine), "123456789")
      assert.include(quarantine[1]!.reasons[0]!.problem, "repeats row 1")
      // one score job for the plaintiff whose judgments changed
      yield* eventually(Effect.map(count("SELECT count(*) AS n FROM workers.job_requests WHERE idempotency_key LIKE 'score:import:%'"), (n) => n === 1))
      assert.deepStrictEqual(yield* deadLetters, [])
    })), 60_000)

  it.live("re-importing the same file changes nothing; an overlapping file changes only what differs", () =>
    withDatabase(Effect.gen(function*() {
      yield* Layer.build(serviceWorker("simplicity"))
      const header = "case_number,client_name,debtor_first_name,debtor_last_name,judgment_date,judgment_amount,current_balance_due"
      const first = [header, "S-1,Example Funding LLC (TEST),A,B,01/02/2020,100,100", "S-2,Example Funding LLC (TEST),C,D,01/02/2020,200,200"].join("\n")
      const again = `${first}\n`
      const overlap = [header, "S-2,Example Funding LLC (TEST),C,D,01/02/2020,200,150", "S-3,Example Funding LLC (TEST),E,F,01/02/2020,300,300"].join("\n")
      const one = yield* finished(yield* importFile(SIMPLICITY, first, "simplicity"))
      const two = yield* finished(yield* importFile(SIMPLICITY, again, "simplicity"))
      const three = yield* finished(yield* importFile(SIMPLICITY, overlap, "simplicity"))
      assert.deepStrictEqual([one.inserted, one.updated, one.unchanged], [2, 0, 0])
      assert.deepStrictEqual([two.inserted, two.updated, two.unchanged], [0, 0, 2])
      assert.deepStrictEqual([three.inserted, three.updated, three.unchanged], [1, 1, 0])
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.judgments"), 3)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM dragonfly.plaintiffs"), 1)
    })), 60_000)

  it.live("a missing file is dead-lettered with its path; a missing required column fails the batch", () =>
    withDatabase(Effect.gen(function*() {
      yield* Layer.build(serviceWorker("ingest"))
      const pgmq = yield* PgmqQueue
      const missing = importOf("missing", `uploads/${"0".repeat(64)}.csv`)
      yield* pgmq.send(INGEST, Envelope.encode(missing))
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "permanent_failure")
      assert.include(dead!.error.message, `uploads/${"0".repeat(64)}.csv`)
      assert.strictEqual((yield* batch(missing.job_id))!.status, "failed")
      const noCase = yield* finished(yield* importFile(INGEST, "plaintiff_name,judgment_date\nX,01/01/2020\n", "upload"))
      assert.strictEqual(noCase.status, "failed")
      assert.include(noCase.errors[0]!.message, "missing required columns: judgment_amount, current_balance_due")
    })), 60_000)

  it.live("a file_path that climbs out of its place, sent straight to the queue, is dead-lettered as invalid_payload", () =>
    withDatabase(Effect.gen(function*() {
      yield* Layer.build(serviceWorker("ingest"))
      const pgmq = yield* PgmqQueue
      const traversal = importOf("traversal", "uploads/../../other-bucket/secrets.csv")
      yield* pgmq.send(INGEST, Envelope.encode(traversal))
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "invalid_payload")
      assert.include(dead!.error.message, "payload.file_path must not hold a . or .. segment")
      assert.isUndefined(yield* batch(traversal.job_id))
    })), 60_000)
})
