import { Effect, Layer } from "effect"
import { type Batch, ImportBatches, Importer, type Layout } from "../../domain/imports/index.js"
import * as Envelope from "../../envelope/index.js"
import { JobRequests } from "../../jobs/JobRequests.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { queueName } from "../../queue/QueueName.js"
import { JobHandler, makeJobHandler, Permanent, Retryable } from "../../runtime/index.js"
import { ImportPayload } from "./payload.js"

const SCORE_QUEUE = queueName("score_collectability")

const summary = (batch: Batch) =>
  `${batch.rowsRead} rows: ${batch.inserted} inserted, ${batch.updated} updated, ${batch.unchanged} unchanged, ${batch.quarantined} quarantined`

/**
 * The import workers' handler, for files in `layout`: the file is imported chunk by chunk (each
 * chunk commits on its own, so a redelivered job resumes), then the batch's status and a score job
 * for each plaintiff whose judgments changed commit with the job's acknowledgement.
 */
export const importHandler = (layout: Layout) =>
  Layer.effect(
    JobHandler,
    Effect.gen(function*() {
      const importer = yield* Importer
      const batches = yield* ImportBatches
      const jobs = yield* JobRequests
      const pgmq = yield* PgmqQueue
      return makeJobHandler({
        payload: ImportPayload,
        handle: Effect.fn("ImportHandler.handle")(function*(job) {
          const { job_id: batchId, org_id: orgId } = job.envelope
          // Without a lock: a lock held through each chunk's transaction would keep the lease keeper
          // from extending the lease (it skips locked messages). The batch's checkpoint, moved with a
          // check of where it was, is what keeps two deliveries from committing the same rows.
          const stillOurs = Effect.flatMap(pgmq.find(job.queue, { msgIds: [job.msgId] }), ([message]) =>
            message?.readCt === job.delivery
              ? Effect.void
              : new Retryable({ message: "lease lost: another delivery of this job is importing the file" }))
          const outcome = yield* importer.run({
            id: batchId,
            orgId,
            source: job.payload.source,
            layout,
            filePath: job.payload.file_path,
            expectedRowCount: job.payload.row_count ?? null,
            queueName: job.queue
          }, stillOurs).pipe(
            Effect.catchTags({
              FileMissing: (error) =>
                batches.finish(batchId, "failed", [{ code: "file_missing", message: error.message }]).pipe(
                  Effect.orElse(() => Effect.void),
                  Effect.zipRight(new Permanent({ message: error.message, details: { file_path: error.filePath } }))
                ),
              FileUnreadable: (error) => new Retryable({ message: error.message }),
              BatchMovedOn: (error) => new Retryable({ message: error.message }),
              SqlError: (error) => new Retryable({ message: `the import stopped on a database error: ${error.message}` })
            })
          )
          yield* Effect.logInfo(`import ${outcome.status}: ${summary(outcome.batch)}`).pipe(
            Effect.annotateLogs({ batch_id: batchId, file_path: job.payload.file_path })
          )
          return Effect.gen(function*() {
            yield* batches.finish(batchId, outcome.status, outcome.problems)
            const plaintiffs = yield* batches.touchedPlaintiffs(batchId)
            yield* Effect.forEach(plaintiffs, (plaintiffId) =>
              jobs.enqueue(
                SCORE_QUEUE,
                Envelope.make({
                  org_id: orgId,
                  trace_id: job.envelope.trace_id,
                  idempotency_key: `score:import:${batchId}:plaintiff:${plaintiffId}`,
                  entity_type: "plaintiff",
                  entity_id: plaintiffId,
                  payload: { action: "compute_collectability" }
                })
              ), { discard: true })
          }).pipe(Effect.catchTag("JobIdTaken", Effect.die))
        })
      })
    })
  ).pipe(
    Layer.provide(Layer.mergeAll(Importer.Default, ImportBatches.Default, JobRequests.Default).pipe(
      Layer.provideMerge(QueueDirectory.Default.pipe(Layer.provideMerge(PgmqQueue.Default)))
    ))
  )

/** `node bin/worker.js ingest`: the generic Dragonfly layout on `ingest_raw`. */
export const IngestHandlerLive = importHandler("generic")
