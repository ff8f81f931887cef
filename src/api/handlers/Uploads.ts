import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Multipart from "@effect/platform/Multipart"
import { Effect, Option, Stream } from "effect"
import { checkCsvText, csvContentType } from "../../domain/uploads/index.js"
import { Imports } from "../../jobs/Imports.js"
import { Api } from "../Api.js"
import { BadRequest, UnsupportedMediaType } from "../errors.js"
import { EnqueuedJob, UploadCreated, UploadExisting } from "../schemas.js"

const RAW_TYPES = ["text/csv", "application/csv", "text/plain", "application/octet-stream"]

const mediaType = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase()

interface File {
  readonly content: Uint8Array
  readonly contentType: string
  readonly name: string | undefined
}

/** The `file` field of a multipart form; other fields and files are read past. */
const multipartFile = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  request.multipartStream.pipe(
    Multipart.withLimitsStream({
      maxFileSize: Option.some(FileSystem.Size(limit)),
      maxTotalSize: Option.some(FileSystem.Size(limit))
    }),
    Stream.mapEffect((part) =>
      !Multipart.isFile(part)
        ? Effect.succeed(Option.none<File>())
        : part.key !== "file"
        ? Effect.as(Stream.runDrain(part.content), Option.none<File>())
        : Effect.map(part.contentEffect, (content) =>
          Option.some<File>({ content, contentType: part.contentType, name: part.name === "" ? undefined : part.name }))
    ),
    Stream.filterMap((file) => file),
    Stream.runHead
  )

/**
 * Raw: the body is read here, not decoded by the API, because the hash must be of the bytes as
 * sent. Read failures (too large, broken multipart) are defects the server turns into 413 / 400.
 * What is not a text CSV file is refused before anything is stored: binary content or an
 * encoding other than UTF-8 / Windows-1252 with 415, a file without a header row with 400.
 */
export const UploadsLive = (maxUploadBytes: number) =>
  HttpApiBuilder.group(Api, "uploads", (handlers) =>
    Effect.gen(function*() {
      const imports = yield* Imports
      return handlers.handleRaw("upload", ({ request, urlParams }) =>
        Effect.gen(function*() {
          if (urlParams.enqueue !== undefined && urlParams.org_id === undefined) {
            return yield* new BadRequest({ message: "org_id is required with enqueue" })
          }
          const contentType = mediaType(request.headers["content-type"] ?? "")
          let file: File
          if (contentType === "multipart/form-data") {
            const found = yield* Effect.orDie(multipartFile(request, maxUploadBytes))
            if (Option.isNone(found)) return yield* new BadRequest({ message: "the form has no file field named 'file'" })
            file = found.value
          } else if (RAW_TYPES.includes(contentType)) {
            const body = yield* Effect.orDie(request.arrayBuffer)
            file = { content: new Uint8Array(body), contentType, name: undefined }
          } else {
            return yield* new UnsupportedMediaType({
              message: `send the file as text/csv or as the 'file' field of multipart/form-data, not '${contentType}'`
            })
          }
          if (file.content.byteLength === 0) return yield* new BadRequest({ message: "the file is empty" })
          const text = checkCsvText(file.content)
          if (text._tag === "NotCsvText") {
            if (text.problem === "no-header-row") return yield* new BadRequest({ message: text.reason })
            return yield* new UnsupportedMediaType({ message: text.reason })
          }
          const stored = yield* imports.upload({
            content: file.content,
            // whatever the client called it (Windows browsers say application/vnd.ms-excel), it is CSV text
            contentType: csvContentType(text.encoding),
            originalName: urlParams.filename ?? file.name,
            orgId: urlParams.org_id,
            enqueue: urlParams.enqueue
          })
          const fields = {
            file_path: stored.filePath,
            sha256: stored.sha256,
            size_bytes: stored.sizeBytes,
            job: stored.job === null ? null : new EnqueuedJob({
              job_id: stored.job.jobId,
              msg_id: stored.job.msgId,
              queue: stored.job.queue,
              duplicate: stored.job._tag === "Duplicate"
            })
          }
          return stored.created
            ? new UploadCreated({ ...fields, created: true })
            : new UploadExisting({ ...fields, created: false })
        }))
    }))
