import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { createHash } from "node:crypto"

export interface NewUpload {
  readonly content: Uint8Array
  readonly contentType: string
  readonly originalName?: string | undefined
  readonly orgId?: string | undefined
}

export interface StoredUpload {
  readonly filePath: string
  readonly sha256: string
  readonly sizeBytes: number
  /** False when the same bytes were stored before. */
  readonly created: boolean
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
 * SHA-256: the same bytes are stored once. Inside the caller's transaction when there is one.
 */
export class UploadStore extends Effect.Service<UploadStore>()("uploads/UploadStore", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const put = Effect.fn("UploadStore.put")(function*(upload: NewUpload) {
      const sha256 = createHash("sha256").update(upload.content).digest("hex")
      const filePath = filePathOf(sha256)
      yield* Effect.annotateCurrentSpan({ sha256, bytes: upload.content.byteLength })
      const inserted = yield* sql`
        INSERT INTO dragonfly.uploads ${
        sql.insert({
          sha256,
          file_path: filePath,
          content: upload.content,
          size_bytes: upload.content.byteLength,
          content_type: upload.contentType,
          original_name: upload.originalName ?? null,
          org_id: upload.orgId ?? null
        })
      }
        ON CONFLICT (sha256) DO NOTHING
        RETURNING 1`
      return { filePath, sha256, sizeBytes: upload.content.byteLength, created: inserted.length === 1 } satisfies StoredUpload
    })

    return { put } as const
  })
}) {}
