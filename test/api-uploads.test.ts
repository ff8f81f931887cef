import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createHash, randomUUID } from "node:crypto"
import { UploadCreated, UploadExisting } from "../src/api/schemas.js"
import { countCsvRows } from "../src/domain/uploads/index.js"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { count, ORG } from "./support/runtime.js"

/** A CSV with a quoted newline and a Windows-1252 byte (é as 0xE9), which is not UTF-8. */
const csv = (tag: string) =>
  Buffer.concat([
    Buffer.from(`case_number,debtor_name,note\r\nCV-1,"Smith, J","two\nlines"\r\nCV-2,Ren`),
    Buffer.from([0xe9]),
    Buffer.from(`,${tag}\r\n`)
  ])

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

const upload = (body: NonNullable<RequestInit["body"]>, contentType: string | undefined, query = "") =>
  raw(`/v1/uploads${query}`, {
    method: "POST",
    headers: authorized(contentType === undefined ? {} : { "content-type": contentType }),
    body
  })

describe("API: uploads", () => {
  it("counts CSV records after the header, quoted newlines included", () => {
    assert.strictEqual(countCsvRows(csv("x")), 2)
    assert.strictEqual(countCsvRows(Buffer.from("a,b\n")), 0)
    assert.strictEqual(countCsvRows(Buffer.from("a,b\n1,2\n\n3,4")), 2)
  })

  it.layer(ApiTest.layer({ limits: { maxUploadBytes: 64 * 1024 } }))("POST /v1/uploads", (it) => {
    it.effect("a text/csv body is stored byte for byte under uploads/<sha256>.csv; the same bytes again are not", () =>
      Effect.gen(function*() {
        const bytes = csv(randomUUID())
        const first = yield* upload(bytes, "text/csv")
        assert.strictEqual(first.status, 201)
        assert.strictEqual(first.json.sha256, sha256(bytes))
        assert.strictEqual(first.json.file_path, `uploads/${sha256(bytes)}.csv`)
        assert.strictEqual(first.json.size_bytes, bytes.length)
        assert.isTrue(first.json.created)
        assert.isNull(first.json.job)
        const sql = yield* SqlClient.SqlClient
        const [stored] = yield* sql<{ content: Buffer }>`
          SELECT content FROM dragonfly.uploads WHERE file_path = ${first.json.file_path}`
        assert.isTrue(Buffer.from(stored!.content).equals(bytes))

        const again = yield* upload(bytes, "text/csv; charset=windows-1252")
        assert.strictEqual(again.status, 200)
        assert.isFalse(again.json.created)
        assert.strictEqual(again.json.file_path, first.json.file_path)
        assert.strictEqual(yield* count(`SELECT count(*) AS n FROM dragonfly.uploads WHERE sha256 = '${sha256(bytes)}'`), 1)
      }))

    it.effect("multipart: the 'file' field, deduplicated against the same bytes sent raw; typed client too", () =>
      Effect.gen(function*() {
        const bytes = csv(randomUUID())
        const form = new FormData()
        form.append("note", "ignored")
        form.append("file", new Blob([bytes], { type: "text/csv" }), "simplicity_2026-01-06.csv")
        const first = yield* upload(form, undefined)
        assert.strictEqual(first.status, 201)
        assert.strictEqual(first.json.sha256, sha256(bytes))
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql<{ original_name: string }>`
          SELECT original_name FROM dragonfly.uploads WHERE sha256 = ${sha256(bytes)}`
        assert.strictEqual(row!.original_name, "simplicity_2026-01-06.csv")

        const client = yield* ApiTest.client()
        const raw1 = yield* client.uploads.upload({ urlParams: {}, payload: bytes })
        assert.instanceOf(raw1, UploadExisting)
        const form2 = new FormData()
        form2.append("file", new Blob([csv(randomUUID())], { type: "text/csv" }), "x.csv")
        const viaForm = yield* client.uploads.upload({ urlParams: {}, payload: form2 as never })
        assert.instanceOf(viaForm, UploadCreated)

        const noFile = new FormData()
        noFile.append("other", new Blob([bytes]), "x.csv")
        const missing = yield* upload(noFile, undefined)
        assert.strictEqual(missing.status, 400)
        assert.include(missing.json.message, "'file'")
      }))

    it.effect("?enqueue=ingest enqueues the import job with the file, once per file", () =>
      Effect.gen(function*() {
        const bytes = csv(randomUUID())
        const first = yield* upload(bytes, "text/csv", `?enqueue=ingest&org_id=${ORG}&filename=batch.csv`)
        assert.strictEqual(first.status, 201)
        assert.strictEqual(first.json.job.queue, "ingest_raw")
        assert.isFalse(first.json.job.duplicate)
        const sql = yield* SqlClient.SqlClient
        const [message] = yield* sql<{ message: any }>`
          SELECT message FROM pgmq.q_ingest_raw WHERE msg_id = ${first.json.job.msg_id}`
        assert.strictEqual(message!.message.job_id, first.json.job.job_id)
        assert.strictEqual(message!.message.org_id, ORG)
        assert.strictEqual(message!.message.entity_type, "batch")
        assert.deepStrictEqual(message!.message.payload, {
          file_path: first.json.file_path,
          source: "upload",
          sha256: sha256(bytes),
          size_bytes: bytes.length,
          row_count: 2,
          original_name: "batch.csv"
        })
        const again = yield* upload(bytes, "text/csv", `?enqueue=ingest&org_id=${ORG}`)
        assert.strictEqual(again.status, 200)
        assert.isTrue(again.json.job.duplicate)
        assert.strictEqual(again.json.job.job_id, first.json.job.job_id)
        assert.strictEqual(
          yield* count(`SELECT count(*) AS n FROM pgmq.q_ingest_raw WHERE message->'payload'->>'sha256' = '${sha256(bytes)}'`),
          1
        )
        const simplicity = yield* upload(bytes, "text/csv", `?enqueue=simplicity&org_id=${ORG}`)
        assert.strictEqual(simplicity.json.job.queue, "simplicity_import")
        assert.isFalse(simplicity.json.job.duplicate)
      }))

    it.effect("refused before anything is stored or enqueued: binary, not UTF-8 / Windows-1252, no header row", () =>
      Effect.gen(function*() {
        const id = randomUUID()
        const invalidPrefix = Buffer.from(`case_number,name\r\nCV-1,${id}`)
        const refusals: ReadonlyArray<readonly [Uint8Array, number, string, string]> = [
          [
            Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.from(`xl/${id}.xml`)]),
            415,
            "UnsupportedMediaType",
            "not text: control byte 0x03 at offset 2 (the file looks like a ZIP archive or an XLSX/ODS workbook); " +
            "send the data as a CSV file in UTF-8"
          ],
          [
            Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(id)]),
            415,
            "UnsupportedMediaType",
            "not text: control byte 0x1A at offset 6 (the file looks like a PNG image); send the data as a CSV file in UTF-8"
          ],
          [
            Buffer.concat([invalidPrefix, Buffer.from([0x81, 0x0d, 0x0a])]),
            415,
            "UnsupportedMediaType",
            `not UTF-8 or Windows-1252 text: byte 0x81 at offset ${invalidPrefix.length}`
          ],
          [
            Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`a,b\n${id},1\n`, "utf16le")]),
            415,
            "UnsupportedMediaType",
            "UTF-16LE (byte order mark 0xFF 0xFE) text is not accepted: save the file as UTF-8 (in Excel: \"CSV UTF-8\")"
          ],
          [
            Buffer.from(",,\r\n  \r\n\"\",\"\"\r\n"),
            400,
            "BadRequest",
            "no header row: the file has no non-blank field, only whitespace, commas, empty quoted fields or line breaks"
          ]
        ]
        const uploads = () => count("SELECT count(*) AS n FROM dragonfly.uploads")
        const queued = () => count("SELECT count(*) AS n FROM pgmq.q_ingest_raw")
        const uploadsBefore = yield* uploads()
        const queuedBefore = yield* queued()
        const query = `?enqueue=ingest&org_id=${ORG}&filename=refused.csv`
        for (const [bytes, status, tag, message] of refusals) {
          const form = new FormData()
          form.append("file", new Blob([bytes], { type: "text/csv" }), "refused.csv")
          for (const response of [yield* upload(bytes, "text/csv", query), yield* upload(form, undefined, query)]) {
            assert.strictEqual(response.status, status, message)
            assert.deepStrictEqual(response.json, { _tag: tag, message })
          }
          assert.strictEqual(yield* count(`SELECT count(*) AS n FROM dragonfly.uploads WHERE sha256 = '${sha256(bytes)}'`), 0)
          assert.strictEqual(
            yield* count(`SELECT count(*) AS n FROM pgmq.q_ingest_raw WHERE message->'payload'->>'sha256' = '${sha256(bytes)}'`),
            0
          )
        }
        assert.strictEqual(yield* uploads(), uploadsBefore)
        assert.strictEqual(yield* queued(), queuedBefore)
      }))

    it.effect("the stored content type names the detected encoding when the client's type is generic", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const contentTypeOf = (bytes: Uint8Array) =>
          Effect.map(
            sql<{ content_type: string }>`SELECT content_type FROM dragonfly.uploads WHERE sha256 = ${sha256(bytes)}`,
            (rows) => rows[0]?.content_type
          )
        const send = (bytes: Uint8Array, as: "raw" | "form", type: string) => {
          if (as === "raw") return upload(bytes, type)
          const form = new FormData()
          form.append("file", new Blob([bytes], { type }), "file.csv")
          return upload(form, undefined)
        }
        const sent: ReadonlyArray<readonly [Uint8Array, "raw" | "form", string, string]> = [
          [csv(randomUUID()), "raw", "text/csv", "text/csv; charset=windows-1252"],
          [csv(randomUUID()), "raw", "application/octet-stream", "text/csv; charset=windows-1252"],
          [csv(randomUUID()), "form", "text/csv", "text/csv; charset=windows-1252"],
          [csv(randomUUID()), "form", "", "text/csv; charset=windows-1252"],
          [
            Buffer.from(`\ufeffname,city\r\n"Müller, José",東京 ${randomUUID()}\r\n`),
            "raw",
            "text/plain; charset=iso-8859-1",
            "text/csv; charset=utf-8"
          ],
          [Buffer.from(`case_number,${randomUUID()}\r\n`), "raw", "text/csv", "text/csv; charset=utf-8"]
        ]
        for (const [bytes, as, type, contentType] of sent) {
          const response = yield* send(bytes, as, type)
          assert.strictEqual(response.status, 201, response.text)
          assert.strictEqual(yield* contentTypeOf(bytes), contentType)
        }
      }))

    it.effect("refused: enqueue without org_id (400), an empty file (400), JSON (415), too large (413)", () =>
      Effect.gen(function*() {
        const noOrg = yield* upload(csv("a"), "text/csv", "?enqueue=ingest")
        assert.strictEqual(noOrg.status, 400)
        const empty = yield* upload(new Uint8Array(), "text/csv")
        assert.strictEqual(empty.status, 400)
        const json = yield* upload("{}", "application/json")
        assert.strictEqual(json.status, 415)
        assert.strictEqual(json.json._tag, "UnsupportedMediaType")
        const big = Buffer.alloc(65 * 1024, "a")
        const tooLarge = yield* upload(big, "text/csv")
        assert.strictEqual(tooLarge.status, 413)
        assert.strictEqual(tooLarge.json.limit_bytes, 64 * 1024)
        const form = new FormData()
        form.append("file", new Blob([big]), "big.csv")
        const tooLargeForm = yield* upload(form, undefined)
        assert.strictEqual(tooLargeForm.status, 413)
        const unauthorized = yield* raw("/v1/uploads", { method: "POST", body: csv("b"), headers: { "content-type": "text/csv" } })
        assert.strictEqual(unauthorized.status, 401)
      }))
  })
})
