import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { SqlClient, type SqlError } from "@effect/sql"
import { Data, Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { StorageConfig } from "../../config/StorageConfig.js"

/** Nothing to read at that path: the job can never succeed. */
export class FileMissing extends Data.TaggedError("FileMissing")<{
  readonly filePath: string
  readonly where: string
}> {
  override get message() {
    return `no file at ${this.filePath} (${this.where})`
  }
}

/** The file may exist but could not be read now: worth retrying. */
export class FileUnreadable extends Data.TaggedError("FileUnreadable")<{
  readonly filePath: string
  readonly reason: string
}> {
  override get message() {
    return `cannot read ${this.filePath}: ${this.reason}`
  }
}

/** What `filePathOf` produces: such files live in `dragonfly.uploads`. */
const uploadPath = /^uploads\/[0-9a-f]{64}\.csv$/

const CHUNK_BYTES = 1024 * 1024

/** Supabase Storage's error body; some versions send a not-found as HTTP 400 with `statusCode: "404"`. */
const StorageErrorBody = Schema.parseJson(Schema.Struct({
  statusCode: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
  error: Schema.optional(Schema.String)
}))

const saysNotFound = (body: string) =>
  Option.exists(
    Schema.decodeUnknownOption(StorageErrorBody)(body),
    (error) => String(error.statusCode) === "404" || error.error === "not_found"
  )

const reasonOf = (error: SqlError.SqlError | HttpClientError.HttpClientError) =>
  error.cause instanceof Error && error.cause.message !== "" ? `${error.message}: ${error.cause.message}` : error.message

/** `{bucket}/{path}` with each path segment encoded, so spaces and `#` or `?` stay part of the name. */
const objectPath = (bucket: string, filePath: string) =>
  [bucket, ...filePath.replace(/^\/+/, "").split("/")].map(encodeURIComponent).join("/")

/** Reads the file an import job names, as a stream of bytes, without holding it in memory. */
export class FileStore extends Effect.Service<FileStore>()("uploads/FileStore", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const http = yield* HttpClient.HttpClient
    const storage = yield* StorageConfig
    const timeout = `${Duration.toSeconds(storage.readTimeout)}s`

    /** One query per 1 MiB: the driver buffers a whole row, so memory stays bounded only if rows stay small. */
    const fromUploads = (filePath: string) => {
      const missing = new FileMissing({ filePath, where: "uploads table" })
      const unreadable = (error: SqlError.SqlError) => new FileUnreadable({ filePath, reason: reasonOf(error) })
      const chunkAt = (offset: number) =>
        sql<{ readonly chunk: Uint8Array }>`
          SELECT substring(content FROM ${offset} FOR ${CHUNK_BYTES}) AS chunk
          FROM dragonfly.uploads WHERE file_path = ${filePath}`.pipe(
          Effect.mapError(unreadable),
          Effect.flatMap((rows) => (rows[0] ? Effect.succeed(rows[0].chunk) : Effect.fail(missing)))
        )
      return sql<{ readonly size_bytes: number }>`
        SELECT size_bytes FROM dragonfly.uploads WHERE file_path = ${filePath}`.pipe(
        Effect.mapError(unreadable),
        Effect.flatMap((rows) => (rows[0] ? Effect.succeed(rows[0].size_bytes) : Effect.fail(missing))),
        Effect.map((size) =>
          Stream.iterate(1, (offset) => offset + CHUNK_BYTES).pipe(
            Stream.takeWhile((offset) => offset <= size),
            Stream.mapEffect(chunkAt)
          )
        ),
        Stream.unwrap
      )
    }

    /** A non-2xx answer as an error; reading the body also frees the connection. */
    const rejection = Effect.fnUntraced(function*(filePath: string, response: HttpClientResponse.HttpClientResponse) {
      const body = yield* response.text.pipe(Effect.timeout(storage.readTimeout), Effect.orElseSucceed(() => ""))
      if (response.status === 404 || (response.status === 400 && saysNotFound(body))) {
        return yield* new FileMissing({ filePath, where: `storage bucket ${storage.bucket}` })
      }
      const status = `storage answered HTTP ${response.status}`
      const excerpt = body.trim().slice(0, 200)
      return yield* new FileUnreadable({
        filePath,
        reason: response.status === 401 || response.status === 403
          ? `${status}: the service role key was refused`
          : excerpt === ""
          ? status
          : `${status}: ${excerpt}`
      })
    })

    const fromStorage = (filePath: string) =>
      Effect.gen(function*() {
        const unreadable = (reason: string) => new FileUnreadable({ filePath, reason })
        if (Option.isNone(storage.supabaseUrl) || Option.isNone(storage.serviceRoleKey)) {
          return yield* unreadable(
            "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set to read files outside the uploads table"
          )
        }
        const key = storage.serviceRoleKey.value
        const base = storage.supabaseUrl.value.href.replace(/\/+$/, "")
        const request = HttpClientRequest.get(`${base}/storage/v1/object/${objectPath(storage.bucket, filePath)}`).pipe(
          HttpClientRequest.bearerToken(key),
          HttpClientRequest.setHeader("apikey", Redacted.value(key))
        )
        const response = yield* http.execute(request).pipe(
          Effect.mapError((error) => unreadable(reasonOf(error))),
          Effect.timeoutFail({
            duration: storage.readTimeout,
            onTimeout: () => unreadable(`no response from storage for ${timeout}`)
          }),
          // The client records request headers on its span; by default only `authorization` is redacted.
          Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, "authorization", "apikey"])
        )
        if (response.status < 200 || response.status >= 300) return yield* rejection(filePath, response)
        return response.stream.pipe(
          Stream.mapError((error) => unreadable(`the download broke off: ${reasonOf(error)}`)),
          Stream.timeoutFail(() => unreadable(`no data for ${timeout}`), storage.readTimeout)
        )
      }).pipe(Stream.unwrap)

    const open = (filePath: string): Stream.Stream<Uint8Array, FileMissing | FileUnreadable> =>
      (uploadPath.test(filePath) ? fromUploads(filePath) : fromStorage(filePath)).pipe(
        Stream.withSpan("FileStore.open", { attributes: { file_path: filePath } })
      )

    return { open } as const
  })
}) {}
