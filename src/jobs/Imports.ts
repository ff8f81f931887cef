import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { countCsvRows, type NewUpload, type StoredUpload, UploadStore } from "../domain/uploads/index.js"
import * as Envelope from "../envelope/index.js"
import { queueName } from "../queue/QueueName.js"
import { type EnqueueResult, JobRequests } from "./JobRequests.js"

/** The import services a stored file can be handed to, with the queue and `source` of their jobs. */
export const UploadImports = {
  ingest: { queue: queueName("ingest_raw"), source: "upload" },
  simplicity: { queue: queueName("simplicity_import"), source: "simplicity" }
} as const
export type UploadImport = keyof typeof UploadImports

export interface UploadRequest extends NewUpload {
  /** Also enqueue the import job, for this organisation (`orgId` is then required). */
  readonly enqueue?: UploadImport | undefined
}

export interface UploadResult extends StoredUpload {
  readonly job: EnqueueResult | null
}

/**
 * Files in, import jobs out: an upload is stored and, when asked, its import job enqueued in the
 * same transaction. The job is keyed by the file's hash, so uploading the same file again
 * enqueues nothing new.
 */
export class Imports extends Effect.Service<Imports>()("jobs/Imports", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const store = yield* UploadStore
    const jobs = yield* JobRequests

    const importEnvelope = (
      kind: UploadImport,
      orgId: string,
      stored: StoredUpload,
      content: Uint8Array,
      traceId: Option.Option<string>,
      name?: string
    ) =>
      Envelope.make({
        org_id: orgId,
        // The upload's trace is the import's (and its follow-ups').
        ...(Option.isSome(traceId) ? { trace_id: traceId.value } : {}),
        idempotency_key: `${kind}:upload:${stored.sha256}`,
        entity_type: "batch",
        entity_id: `upload-${stored.sha256.slice(0, 16)}`,
        payload: {
          file_path: stored.filePath,
          source: UploadImports[kind].source,
          sha256: stored.sha256,
          size_bytes: stored.sizeBytes,
          row_count: countCsvRows(content),
          ...(name === undefined ? {} : { original_name: name })
        }
      })

    const upload = Effect.fn("Imports.upload")(function*(request: UploadRequest) {
      return yield* sql.withTransaction(Effect.gen(function*() {
        const stored = yield* store.put(request)
        const traceId = yield* Envelope.TraceLink.currentTraceUuid
        const job = request.enqueue === undefined || request.orgId === undefined
          ? null
          : yield* jobs.enqueue(
            UploadImports[request.enqueue].queue,
            importEnvelope(request.enqueue, request.orgId, stored, request.content, traceId, request.originalName)
          )
        return { ...stored, job } satisfies UploadResult
      }))
    }, Effect.catchTag("SqlError", "JobIdTaken", Effect.die))

    return { upload } as const
  }),
  dependencies: [JobRequests.Default, UploadStore.Default]
}) {}
