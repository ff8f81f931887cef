import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as Envelope from "../envelope/index.js"
import { type EnqueueResult, JobRequests } from "../jobs/JobRequests.js"
import { queueName } from "../queue/QueueName.js"

export const UploadImports = {
  ingest: { queue: queueName("ingest_raw"), source: "upload" },
  simplicity: { queue: queueName("simplicity_import"), source: "simplicity" }
} as const
export type UploadImport = keyof typeof UploadImports

export interface UploadRequest {
  readonly content: Uint8Array
  readonly contentType: string
  readonly originalName?: string | undefined
  readonly orgId?: string | undefined
  /** Also enqueue the import job, for this organisation (`orgId` is then required). */
  readonly enqueue?: UploadImport | undefined
}

export interface StoredUpload {
  readonly filePath: string
  readonly sha256: string
  readonly sizeBytes: number
  /** False when the same bytes were stored before. */
  readonly created: boolean
  readonly job: EnqueueResult | null
}

/** Where import jobs find a file: `SELECT content FROM dragonfly.uploads WHERE file_path = $1`. */
export const filePathOf = (sha256: string) => `uploads/${sha256}.csv`

/** CSV records after the header line; a newline inside double quotes does not end a record. */
export const countCsvRows = (content: Uint8Array) => {
  const text = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString("latin1")
  let records = 0
  let quoted = false
  let empty = true
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "\"") quoted = !quoted
    if (!quoted && (c === "\n" || c === "\r")) {
      if (c === "\r" && text[i + 1] === "\n") i++
      if (!empty) records++
      empty = true
    } else {
      empty = false
    }
  }
  if (!empty) records++
  return Math.max(0, records - 1)
}

/**
 * Uploaded files, kept in Postgres (the API and the workers share no disk), content-addressed by
 * SHA-256: the same bytes are stored once. An import job enqueued with an upload is keyed by the
 * file's hash, so uploading the same file again enqueues nothing new.
 */
export class Uploads extends Effect.Service<Uploads>()("uploads/Uploads", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const jobs = yield* JobRequests

    const importEnvelope = (kind: UploadImport, orgId: string, sha256: string, content: Uint8Array, name?: string) =>
      Envelope.make({
        org_id: orgId,
        idempotency_key: `${kind}:upload:${sha256}`,
        entity_type: "batch",
        entity_id: `upload-${sha256.slice(0, 16)}`,
        payload: {
          file_path: filePathOf(sha256),
          source: UploadImports[kind].source,
          sha256,
          size_bytes: content.byteLength,
          row_count: countCsvRows(content),
          ...(name === undefined ? {} : { original_name: name })
        }
      })

    const store = Effect.fn("Uploads.store")(function*(request: UploadRequest) {
      const sha256 = createHash("sha256").update(request.content).digest("hex")
      const filePath = filePathOf(sha256)
      yield* Effect.annotateCurrentSpan({ sha256, bytes: request.content.byteLength })
      return yield* sql.withTransaction(Effect.gen(function*() {
        const inserted = yield* sql`
          INSERT INTO dragonfly.uploads ${
          sql.insert({
            sha256,
            file_path: filePath,
            content: request.content,
            size_bytes: request.content.byteLength,
            content_type: request.contentType,
            original_name: request.originalName ?? null,
            org_id: request.orgId ?? null
          })
        }
          ON CONFLICT (sha256) DO NOTHING
          RETURNING 1`
        const job = request.enqueue === undefined || request.orgId === undefined
          ? null
          : yield* jobs.enqueue(
            UploadImports[request.enqueue].queue,
            importEnvelope(request.enqueue, request.orgId, sha256, request.content, request.originalName)
          )
        return {
          filePath,
          sha256,
          sizeBytes: request.content.byteLength,
          created: inserted.length === 1,
          job
        } satisfies StoredUpload
      }))
    }, Effect.catchTag("SqlError", "JobIdTaken", Effect.die))

    return { store } as const
  }),
  dependencies: [JobRequests.Default]
}) {}
