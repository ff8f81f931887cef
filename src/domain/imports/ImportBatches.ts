import { SqlClient } from "@effect/sql"
import { Data, Effect, Option, Schema } from "effect"
import type { Layout } from "./columns.js"
import type { RejectedRow } from "./rows.js"

export const BatchStatuses = ["running", "completed", "partial", "failed"] as const
export type BatchStatus = (typeof BatchStatuses)[number]

export const BatchProblem = Schema.Struct({ code: Schema.String, message: Schema.String })
export type BatchProblem = typeof BatchProblem.Type

const Count = Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))

/** A row of `dragonfly.import_batches`. */
export class Batch extends Schema.Class<Batch>("Batch")({
  id: Schema.String,
  orgId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("org_id")),
  source: Schema.String,
  layout: Schema.Literal("generic", "simplicity"),
  filePath: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_path")),
  status: Schema.Literal(...BatchStatuses),
  expectedRowCount: Schema.propertySignature(Schema.NullOr(Count)).pipe(Schema.fromKey("expected_row_count")),
  rowsRead: Schema.propertySignature(Count).pipe(Schema.fromKey("rows_read")),
  rowsBlank: Schema.propertySignature(Count).pipe(Schema.fromKey("rows_blank")),
  inserted: Count,
  updated: Count,
  unchanged: Count,
  quarantined: Count,
  rowsCommitted: Schema.propertySignature(Count).pipe(Schema.fromKey("rows_committed")),
  errors: Schema.Array(BatchProblem),
  deliveries: Count,
  queueName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("queue_name")),
  startedAt: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("started_at")),
  updatedAt: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("updated_at")),
  finishedAt: Schema.propertySignature(Schema.NullOr(Schema.DateFromSelf)).pipe(Schema.fromKey("finished_at"))
}) {}

export class QuarantinedRow extends Schema.Class<QuarantinedRow>("QuarantinedRow")({
  rowNumber: Schema.propertySignature(Count).pipe(Schema.fromKey("row_number")),
  raw: Schema.Record({ key: Schema.String, value: Schema.String }),
  reasons: Schema.Array(Schema.Struct({ field: Schema.String, problem: Schema.String })),
  quarantinedAt: Schema.propertySignature(Schema.DateFromSelf).pipe(Schema.fromKey("quarantined_at"))
}) {}

export interface NewBatch {
  readonly id: string
  readonly orgId: string
  readonly source: string
  readonly layout: Layout
  readonly filePath: string
  readonly expectedRowCount: number | null
  readonly queueName: string
}

export interface ChunkCounts {
  readonly rowsRead: number
  readonly rowsBlank: number
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
}

/** The batch is not where this delivery left it: another delivery of the job has moved it on. */
export class BatchMovedOn extends Data.TaggedError("BatchMovedOn")<{ readonly batchId: string; readonly expected: number; readonly found: number }> {
  override get message() {
    return `batch ${this.batchId} is at row ${this.found}, not ${this.expected}: another delivery of its job is importing it`
  }
}

const COLUMNS = `id, org_id, source, layout, file_path, status, expected_row_count, rows_read, rows_blank, inserted,
  updated, unchanged, quarantined, rows_committed, errors, deliveries, queue_name, started_at, updated_at, finished_at`

const decodeBatch = Schema.decodeUnknown(Batch)
const decodeBatches = Schema.decodeUnknown(Schema.Array(Batch))
const decodeQuarantine = Schema.decodeUnknown(Schema.Array(QuarantinedRow))

/** Import batch records and their quarantine (`dragonfly.import_batches`, `dragonfly.import_quarantine`). */
export class ImportBatches extends Effect.Service<ImportBatches>()("imports/ImportBatches", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const columns = sql.literal(COLUMNS)

    /** The batch of a job: created on its first delivery, found again (delivery counted) on the next. */
    const begin = Effect.fn("ImportBatches.begin")(function*(batch: NewBatch) {
      const rows = yield* sql`
        INSERT INTO dragonfly.import_batches (id, org_id, source, layout, file_path, expected_row_count, queue_name)
        VALUES (${batch.id}::uuid, ${batch.orgId}::uuid, ${batch.source}, ${batch.layout}, ${batch.filePath},
                ${batch.expectedRowCount}, ${batch.queueName})
        ON CONFLICT (id) DO UPDATE SET deliveries = import_batches.deliveries + 1, updated_at = now()
        RETURNING ${columns}`
      return yield* Effect.orDie(decodeBatch(rows[0]))
    })

    /**
     * Records a chunk's outcome in the caller's transaction: its quarantined rows, the counts, and
     * the row the batch is now committed to. Fails with BatchMovedOn unless the batch is still at `from`.
     */
    const commitChunk = Effect.fn("ImportBatches.commitChunk")(function*(
      batchId: string,
      from: number,
      to: number,
      counts: ChunkCounts,
      quarantine: ReadonlyArray<RejectedRow>
    ) {
      const [current] = yield* sql<{ readonly rows_committed: number }>`
        SELECT rows_committed FROM dragonfly.import_batches WHERE id = ${batchId}::uuid FOR UPDATE`
      if (current === undefined || current.rows_committed !== from) {
        return yield* new BatchMovedOn({ batchId, expected: from, found: current?.rows_committed ?? -1 })
      }
      if (quarantine.length > 0) {
        yield* sql`
          INSERT INTO dragonfly.import_quarantine (batch_id, row_number, raw, reasons)
          SELECT ${batchId}::uuid, q.row_number, q.raw, q.reasons
          FROM jsonb_to_recordset(${
          JSON.stringify(quarantine.map((r) => ({ row_number: r.rowNumber, raw: r.raw, reasons: r.problems })))
        }::jsonb) AS q(row_number integer, raw jsonb, reasons jsonb)
          ON CONFLICT (batch_id, row_number) DO NOTHING`
      }
      yield* sql`
        UPDATE dragonfly.import_batches SET
          rows_read = rows_read + ${counts.rowsRead},
          rows_blank = rows_blank + ${counts.rowsBlank},
          inserted = inserted + ${counts.inserted},
          updated = updated + ${counts.updated},
          unchanged = unchanged + ${counts.unchanged},
          quarantined = quarantined + ${quarantine.length},
          rows_committed = ${to},
          updated_at = now()
        WHERE id = ${batchId}::uuid`
    })

    /** Ends the batch (in the caller's transaction: the import job's acknowledgement). */
    const finish = Effect.fn("ImportBatches.finish")(function*(
      batchId: string,
      status: Exclude<BatchStatus, "running">,
      errors: ReadonlyArray<BatchProblem>
    ) {
      yield* sql`
        UPDATE dragonfly.import_batches
        SET status = ${status}, errors = errors || ${JSON.stringify(errors)}::jsonb, finished_at = now(), updated_at = now()
        WHERE id = ${batchId}::uuid AND status = 'running'`
    })

    const get = Effect.fn("ImportBatches.get")(function*(batchId: string) {
      const rows = yield* sql`SELECT ${columns} FROM dragonfly.import_batches WHERE id = ${batchId}::uuid`
      return rows.length === 0 ? Option.none() : Option.some(yield* Effect.orDie(decodeBatch(rows[0])))
    })

    /** The batches still running, oldest first. */
    const running = Effect.fn("ImportBatches.running")(function*() {
      const rows = yield* sql`
        SELECT ${columns} FROM dragonfly.import_batches WHERE status = 'running' ORDER BY started_at`
      return yield* Effect.orDie(decodeBatches(rows))
    })

    /** The latest batches first, of one organisation or all, of one status or all. */
    const recent = Effect.fn("ImportBatches.recent")(function*(
      query: { readonly orgId?: string | undefined; readonly status?: BatchStatus | undefined },
      limit: number
    ) {
      const where = [sql`true`]
      if (query.orgId !== undefined) where.push(sql`org_id = ${query.orgId}::uuid`)
      if (query.status !== undefined) where.push(sql`status = ${query.status}`)
      const rows = yield* sql`
        SELECT ${columns} FROM dragonfly.import_batches WHERE ${sql.and(where)}
        ORDER BY started_at DESC, id LIMIT ${limit}`
      return yield* Effect.orDie(decodeBatches(rows))
    })

    /** Quarantined rows in row order, after `afterRow`, at most `limit`. */
    const quarantine = Effect.fn("ImportBatches.quarantine")(function*(batchId: string, afterRow: number, limit: number) {
      const rows = yield* sql`
        SELECT row_number, raw, reasons, quarantined_at FROM dragonfly.import_quarantine
        WHERE batch_id = ${batchId}::uuid AND row_number > ${afterRow}
        ORDER BY row_number LIMIT ${limit}`
      return yield* Effect.orDie(decodeQuarantine(rows))
    })

    /** The plaintiffs whose judgments the batch inserted or updated. */
    const touchedPlaintiffs = Effect.fn("ImportBatches.touchedPlaintiffs")(function*(batchId: string) {
      const rows = yield* sql<{ readonly plaintiff_id: string }>`
        SELECT plaintiff_id FROM dragonfly.import_batch_plaintiffs WHERE batch_id = ${batchId}::uuid ORDER BY plaintiff_id`
      return rows.map((row) => row.plaintiff_id)
    })

    return { begin, commitChunk, finish, get, running, recent, quarantine, touchedPlaintiffs } as const
  })
}) {}
