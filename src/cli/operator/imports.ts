import type { SqlClient } from "@effect/sql"
import { Clock, Console, Data, Duration, Effect, Layer, Option } from "effect"
import { batchView } from "../../api/schemas.js"
import { type Batch, ImportBatches } from "../../domain/imports/index.js"
import { checkCsvText, countCsvRows, csvContentType } from "../../domain/uploads/index.js"
import { Imports, type UploadImport } from "../../jobs/Imports.js"
import { JobRequests } from "../../jobs/JobRequests.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { DatabaseLive } from "./layers.js"
import { table } from "./table.js"

/** What the intake commands use, on the database given: uploads with their import jobs, and the batches they become. */
export const intakeServices = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.mergeAll(Imports.Default, ImportBatches.Default, JobRequests.Default).pipe(
    Layer.provideMerge(QueueDirectory.Default.pipe(Layer.provideMerge(PgmqQueue.Default))),
    Layer.provideMerge(database)
  )

export const IntakeLive = intakeServices(DatabaseLive)

/** The file is not text CSV: refused before anything is stored, as the API refuses it. */
export class NotCsvFile extends Data.TaggedError("NotCsvFile")<{ readonly file: string; readonly reason: string }> {
  override get message() {
    return `${this.file}: ${this.reason}`
  }
}

/** The import ended `partial` or `failed`, or its job was dead-lettered (exit code 1). */
export class ImportNotClean extends Data.TaggedError("ImportNotClean")<{ readonly message: string }> {}

export interface Started {
  readonly batchId: string
  /** The same file was imported before: this is that import's batch. */
  readonly duplicate: boolean
  readonly expectedRows: number
  readonly queue: string
}

/** Stores the file and enqueues its import job (the API's upload path): the batch's id is the job's. */
export const startImport = (file: string, content: Uint8Array, kind: UploadImport, orgId: string) =>
  Effect.gen(function*() {
    const text = checkCsvText(content)
    if (text._tag === "NotCsvText") return yield* new NotCsvFile({ file, reason: text.reason })
    const imports = yield* Imports
    const stored = yield* imports.upload({
      content,
      contentType: csvContentType(text.encoding),
      originalName: file.split("/").pop(),
      orgId,
      enqueue: kind
    })
    const job = stored.job!
    return {
      batchId: job.jobId,
      duplicate: job._tag === "Duplicate",
      expectedRows: countCsvRows(content),
      queue: job.queue
    } satisfies Started
  })

const POLL = Duration.millis(500)
/** How long a job may wait for a worker before the command says so. */
const NOTICE_AFTER = Duration.seconds(5)

const bar = (done: number, total: number, width = 24) => {
  const share = total <= 0 ? 1 : Math.min(1, done / total)
  const full = Math.round(share * width)
  return `[${"=".repeat(full)}${full < width ? ">" : ""}${" ".repeat(Math.max(0, width - full - 1))}] ${
    Math.floor(share * 100).toString().padStart(3)
  }%`
}

/**
 * Waits for the import to end, drawing its progress on stderr when `progress` (a bar, rows/s,
 * quarantined so far; one line per update when stderr is not a terminal). Fails when the job is
 * dead-lettered without a batch.
 */
export const follow = (started: Started, progress: boolean) =>
  Effect.gen(function*() {
    const batches = yield* ImportBatches
    const jobs = yield* JobRequests
    const since = yield* Clock.currentTimeMillis
    const tty = process.stderr.isTTY === true
    let previous = { at: since, rows: 0 }
    let rate = 0
    let noticed = false
    let lastLine = 0
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const found = yield* batches.get(started.batchId)
      if (Option.isSome(found) && found.value.status !== "running") {
        if (progress && tty) yield* Effect.sync(() => process.stderr.write("\r\u001b[2K"))
        return found.value
      }
      if (Option.isNone(found)) {
        const job = yield* jobs.status(started.batchId)
        if (Option.isSome(job) && job.value.state === "dead_lettered") {
          return yield* new ImportNotClean({
            message: `the import job was dead-lettered: ${job.value.lastError?.message ?? "no reason recorded"}`
          })
        }
        if (!noticed && now - since > Duration.toMillis(NOTICE_AFTER)) {
          noticed = true
          yield* Console.error(`waiting for the import to start: is a worker consuming ${started.queue}?`)
        }
      } else if (progress) {
        const batch = found.value
        const seconds = (now - previous.at) / 1000
        if (seconds > 0) rate = 0.7 * rate + 0.3 * ((batch.rowsCommitted - previous.rows) / seconds)
        previous = { at: now, rows: batch.rowsCommitted }
        const line = `${bar(batch.rowsCommitted, started.expectedRows)} ${batch.rowsCommitted.toLocaleString("en-US")}/${
          started.expectedRows.toLocaleString("en-US")
        } rows · ${Math.round(rate).toLocaleString("en-US")} rows/s · ${batch.quarantined.toLocaleString("en-US")} quarantined`
        if (tty) yield* Effect.sync(() => process.stderr.write(`\r\u001b[2K${line}`))
        else if (now - lastLine >= 5_000) {
          lastLine = now
          yield* Console.error(line)
        }
      }
      yield* Effect.sleep(POLL)
    }
  })

export const summary = (batch: Batch) =>
  [
    `batch ${batch.id}: ${batch.status} (${batch.layout} layout, source ${batch.source}, ${batch.filePath})`,
    table(
      ["rows read", "inserted", "updated", "unchanged", "quarantined", "blank"],
      [[batch.rowsRead, batch.inserted, batch.updated, batch.unchanged, batch.quarantined, batch.rowsBlank]]
    ),
    ...batch.errors.map((problem) => `${problem.code}: ${problem.message}`)
  ].join("\n")

/** The first quarantined rows with their reasons, for the summary. */
export const quarantineExcerpt = (batch: Batch, rows = 5) =>
  Effect.gen(function*() {
    if (batch.quarantined === 0) return ""
    const quarantined = yield* (yield* ImportBatches).quarantine(batch.id, 0, rows)
    return [
      "",
      `quarantined rows${batch.quarantined > rows ? ` (first ${rows} of ${batch.quarantined})` : ""}:`,
      ...quarantined.map((row) => `  row ${row.rowNumber}: ${row.reasons.map((r) => `${r.field} ${r.problem}`).join("; ")}`),
      `all of them: GET /v1/batches/${batch.id}/quarantine?org_id=${batch.orgId}`
    ].join("\n")
  })

/** JSON of a batch: the API's shape. */
export const batchJson = (batch: Batch) => JSON.stringify(batchView(batch))

export const failUnlessClean = (batch: Batch) =>
  batch.status === "completed"
    ? Effect.void
    : Effect.fail(new ImportNotClean({ message: `the import ended ${batch.status}` }))
