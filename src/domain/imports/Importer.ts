import { SqlClient } from "@effect/sql"
import { Chunk, Effect, Option, Stream } from "effect"
import { FileStore } from "../uploads/index.js"
import { type Layout } from "./columns.js"
import * as Csv from "./csv.js"
import { readHeader } from "./headers.js"
import { type Batch, type BatchProblem, ImportBatches, type NewBatch } from "./ImportBatches.js"
import { encodeRows, type EncodedRows, JudgmentWriter, naturalKey } from "./JudgmentWriter.js"
import { type ImportRow, type RejectedRow, rowDecoder } from "./rows.js"

/** Rows committed per transaction: a redelivered job resumes after the last one. */
export const CHUNK_ROWS = 1000
/** Rows decoded between two pauses that let other work (the writes' I/O) run. */
const SLICE_ROWS = 100

export interface ImportOutcome {
  /** The batch as the last chunk left it (still `running`: the caller ends it with `status`). */
  readonly batch: Batch
  readonly status: "completed" | "partial" | "failed"
  readonly problems: ReadonlyArray<BatchProblem>
}

const isBlank = (cells: ReadonlyArray<string>) => cells.every((cell) => cell.trim() === "")

/** A chunk ready for its transaction: the rows it covers (`from` < row ≤ `to`) and what became of them. */
interface Prepared {
  readonly from: number
  readonly to: number
  readonly encoded: EncodedRows
  readonly rejected: ReadonlyArray<RejectedRow>
  readonly blank: number
}

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
        /** The first row of each natural key, to tell a duplicate within the file. */
        const firstRowOf = new Map<string, number>()
        let rowNumber = 0
        let unreadable: string | undefined

        /** Decodes one chunk of records into what its transaction writes (nothing for rows already committed). */
        const prepare = Effect.fnUntraced(function*(records: Chunk.Chunk<ReadonlyArray<string>>) {
          const rows: Array<ImportRow> = []
          const rejected: Array<RejectedRow> = []
          let blank = 0
          const from = rowNumber
          let sliced = 0
          for (const cells of records) {
            if (++sliced % SLICE_ROWS === 0) yield* Effect.sleep(0)
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
          const prepared: Prepared = { from: Math.max(from, resumeAfter), to: rowNumber, encoded: encodeRows(rows), rejected, blank }
          return prepared
        })

        const commit = (chunk: Prepared) =>
          sql.withTransaction(Effect.gen(function*() {
            // A chunk's rows and the checkpoint that covers them commit together: should a crash lose
            // the commit, both are lost and the next delivery imports the chunk again. So the chunk
            // need not wait for its WAL to reach the disk (the job's acknowledgement still does).
            yield* sql`SELECT set_config('synchronous_commit', 'off', true)`
            yield* stillOurs
            const written = yield* writer.write({
              orgId: request.orgId,
              source: request.source,
              batchId: request.id,
              encoded: chunk.encoded
            })
            yield* batches.commitChunk(request.id, chunk.from, chunk.to, {
              rowsRead: chunk.to - chunk.from - chunk.blank,
              rowsBlank: chunk.blank,
              inserted: written.inserted,
              updated: written.updated,
              unchanged: written.unchanged
            }, [...chunk.rejected, ...written.rejected].sort((a, b) => a.rowNumber - b.rowNumber))
          }))

        // Reading and decoding run ahead of the writes (a chunk or two), so that Node and Postgres work
        // at the same time rather than in turn; a chunk is decoded in slices with a pause between
        // them, so the writes' round trips are not held up behind a whole chunk's decoding.
        yield* Stream.concat(Stream.make(Chunk.drop(pending.value, 1)), Stream.repeatEffectChunkOption(pull).pipe(Stream.chunks)).pipe(
          Stream.catchTag("CsvUnreadable", (error) => {
            unreadable = error.reason
            return Stream.empty
          }),
          Stream.mapEffect(prepare),
          Stream.filter((chunk) => chunk.to > resumeAfter),
          Stream.buffer({ capacity: 2 }),
          Stream.runForEach(commit)
        )

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
