import { SqlClient } from "@effect/sql"
import { Chunk, Effect, Option, Stream } from "effect"
import { FileStore } from "../uploads/index.js"
import { type Layout } from "./columns.js"
import * as Csv from "./csv.js"
import { readHeader } from "./headers.js"
import { type Batch, type BatchProblem, ImportBatches, type NewBatch } from "./ImportBatches.js"
import { JudgmentWriter, naturalKey } from "./JudgmentWriter.js"
import { type ImportRow, type RejectedRow, rowDecoder } from "./rows.js"

/** Rows committed per transaction: a redelivered job resumes after the last one. */
export const CHUNK_ROWS = 1000

export interface ImportOutcome {
  /** The batch as the last chunk left it (still `running`: the caller ends it with `status`). */
  readonly batch: Batch
  readonly status: "completed" | "partial" | "failed"
  readonly problems: ReadonlyArray<BatchProblem>
}

const isBlank = (cells: ReadonlyArray<string>) => cells.every((cell) => cell.trim() === "")

/**
 * Imports a CSV file of judgments into its batch, `CHUNK_ROWS` rows per transaction: rows that
 * decode are upserted, the others quarantined with every reason, and the batch's counts and
 * checkpoint move on in the same transaction. A batch begun before (the job redelivered) resumes
 * after its checkpoint. `stillOurs` runs in every chunk's transaction and fails it when this
 * delivery of the job has lost its lease, so two deliveries never import the same rows.
 */
export class Importer extends Effect.Service<Importer>()("imports/Importer", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const files = yield* FileStore
    const batches = yield* ImportBatches
    const writer = yield* JudgmentWriter

    const run = <E>(request: NewBatch & { readonly layout: Layout }, stillOurs: Effect.Effect<void, E>) =>
      Effect.gen(function*() {
        let batch = yield* batches.begin(request)
        const resumeAfter = batch.rowsCommitted
        const pull = yield* Stream.toPull(Csv.records(files.open(request.filePath)).pipe(Stream.rechunk(CHUNK_ROWS)))
        const next = pull.pipe(
          Effect.map(Option.some),
          Effect.catchAll(Option.match({ onNone: () => Effect.succeed(Option.none()), onSome: Effect.fail }))
        )
        const failed = (problem: BatchProblem): ImportOutcome => ({ batch, status: "failed", problems: [problem] })

        const first = yield* Effect.either(next)
        if (first._tag === "Left") {
          if (first.left._tag === "CsvUnreadable") return failed({ code: "unreadable", message: first.left.reason })
          return yield* Effect.fail(first.left)
        }
        const pending = first.right
        if (Option.isNone(pending) || Chunk.isEmpty(pending.value)) {
          return failed({ code: "empty_file", message: "the file is empty: no header row" })
        }
        const header = readHeader(request.layout, Chunk.unsafeHead(pending.value))
        if ("problems" in header) {
          const outcome: ImportOutcome = {
            batch,
            status: "failed",
            problems: header.problems.map((message) => ({ code: "bad_header", message }))
          }
          return outcome
        }
        const decode = rowDecoder(request.layout, header.header)
        let records = Chunk.drop(pending.value, 1)
        /** The first row of each natural key, to tell a duplicate within the file. */
        const firstRowOf = new Map<string, number>()
        let rowNumber = 0
        let unreadable: string | undefined

        while (true) {
          const rows: Array<ImportRow> = []
          const rejected: Array<RejectedRow> = []
          let blank = 0
          const from = rowNumber
          for (const cells of records) {
            rowNumber++
            if (isBlank(cells)) {
              if (rowNumber > resumeAfter) blank++
              continue
            }
            const decoded = decode(cells, rowNumber)
            if (decoded._tag === "Rejected") {
              if (rowNumber > resumeAfter) rejected.push(decoded.rejected)
              continue
            }
            const key = naturalKey(decoded.row)
            const first = firstRowOf.get(key)
            if (first === undefined) firstRowOf.set(key, rowNumber)
            if (rowNumber <= resumeAfter) continue
            if (first !== undefined) {
              rejected.push({
                rowNumber,
                raw: { case_number: decoded.row.caseNumber ?? "", index_number: decoded.row.indexNumber ?? "" },
                problems: [{ field: "case_number", problem: `repeats row ${first} of this file (the same judgment)` }]
              })
            } else {
              rows.push(decoded.row)
            }
          }
          if (rowNumber > resumeAfter) {
            const start = Math.max(from, resumeAfter)
            const counted = rowNumber - start
            const outcome = yield* sql.withTransaction(Effect.gen(function*() {
              yield* stillOurs
              const written = yield* writer.write({ orgId: request.orgId, source: request.source, batchId: request.id, rows })
              yield* batches.commitChunk(request.id, start, rowNumber, {
                rowsRead: counted - blank,
                rowsBlank: blank,
                inserted: written.inserted,
                updated: written.updated,
                unchanged: written.unchanged
              }, [...rejected, ...written.rejected].sort((a, b) => a.rowNumber - b.rowNumber))
              return written
            }))
            yield* Effect.annotateCurrentSpan({ rows: rowNumber, inserted: outcome.inserted })
          }
          const more = yield* next.pipe(
            Effect.catchTag("CsvUnreadable", (error) => {
              unreadable = error.reason
              return Effect.succeed(Option.none<Chunk.Chunk<ReadonlyArray<string>>>())
            })
          )
          if (Option.isNone(more)) break
          records = more.value
        }

        batch = Option.getOrElse(yield* batches.get(request.id), () => batch)
        const problems: Array<BatchProblem> = []
        if (unreadable !== undefined) problems.push({ code: "unreadable", message: unreadable })
        const dataRows = batch.rowsRead
        if (request.expectedRowCount !== null && request.expectedRowCount !== dataRows) {
          problems.push({
            code: "row_count_mismatch",
            message: `the job says the file has ${request.expectedRowCount} rows; ${dataRows} were read`
          })
        }
        const status: ImportOutcome["status"] = problems.length === 0
          ? "completed"
          : dataRows === 0 && unreadable !== undefined
          ? "failed"
          : "partial"
        const outcome: ImportOutcome = { batch, status, problems }
        return outcome
      }).pipe(Effect.scoped, Effect.withSpan("Importer.run", { attributes: { batch_id: request.id, file_path: request.filePath } }))

    return { run } as const
  }),
  dependencies: [ImportBatches.Default, JudgmentWriter.Default, FileStore.Default]
}) {}
