import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import {
  Cause,
  Chunk,
  ConfigProvider,
  Deferred,
  Duration,
  Effect,
  Layer,
  Option,
  Redacted,
  Ref,
  Stream,
  Tracer
} from "effect"
import { randomBytes } from "node:crypto"
import { StorageConfig, type StorageSettings } from "../src/config/StorageConfig.js"
import { FileStore, filePathOf, UploadStore } from "../src/domain/uploads/index.js"
import { closedPort } from "./support/net.js"
import {
  BROKEN_PATH,
  FAILING_PATH,
  FIRST_BYTES,
  SILENT_PATH,
  STALLING_PATH,
  type StorageServer,
  storageServer
} from "./support/storageServer.js"
import * as TestDatabase from "./support/TestDatabase.js"

const KEY = "sb_secret_test-service-role-key-0123456789"
const BUCKET = "imports"
const SPACED_PATH = "org 7/march batch#1.csv"
const OBJECT = randomBytes(300 * 1024)

const settings = (server: StorageServer | undefined, overrides: Partial<StorageSettings> = {}): StorageSettings => ({
  supabaseUrl: Option.fromNullable(server?.url),
  serviceRoleKey: Option.some(Redacted.make(KEY)),
  bucket: BUCKET,
  readTimeout: Duration.seconds(1),
  ...overrides
})

const fileStore = (storage: StorageSettings) =>
  Effect.provide(FileStore, FileStore.Default.pipe(Layer.provide(Layer.succeed(StorageConfig, storage))))

const read = (storage: StorageSettings, filePath: string) =>
  Effect.flatMap(fileStore(storage), (files) => Stream.runCollect(files.open(filePath))).pipe(
    Effect.map(Chunk.toReadonlyArray)
  )

const server = (options: { readonly notFoundStatus?: 404 | 400 } = {}) =>
  storageServer({ key: KEY, bucket: BUCKET, objects: { [SPACED_PATH]: OBJECT }, ...options })

/** Every span the effect starts, through a tracer that wraps the current one. */
const recordingSpans = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const base = yield* Effect.tracer
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      context: (f, fiber) => (base.context ? base.context(f, fiber) : f()),
      span: (...args) => {
        const span = base.span(...args)
        spans.push(span)
        return span
      }
    })
    const exit = yield* Effect.exit(Effect.withTracer(self, tracer))
    return { exit, spans }
  })

layer(Layer.mergeAll(TestDatabase.layer(), NodeHttpClient.layerUndici), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("FileStore", (it) => {
  describe("uploads table", () => {
    it.effect("streams a 3.5 MiB upload byte for byte, in 1 MiB chunks", () =>
      Effect.gen(function*() {
        const content = randomBytes(3.5 * 1024 * 1024)
        const uploads = yield* Effect.provide(UploadStore, UploadStore.Default)
        const stored = yield* uploads.put({ content, contentType: "text/csv" })
        const parts = yield* read(settings(undefined), stored.filePath)
        assert.deepStrictEqual(parts.map((part) => part.byteLength), [1, 1, 1, 0.5].map((mib) => mib * 1024 * 1024))
        assert.isTrue(Buffer.concat(parts).equals(content))
      }))

    it.effect("an unknown uploads path is FileMissing", () =>
      Effect.gen(function*() {
        const filePath = filePathOf("0".repeat(64))
        const error = yield* Effect.flip(read(settings(undefined), filePath))
        assert.strictEqual(error._tag, "FileMissing")
        assert.strictEqual(error.message, `no file at ${filePath} (uploads table)`)
      }))
  })

  describe("Supabase Storage", () => {
    it.scoped("streams the object, each path segment encoded, with the service role key", () =>
      Effect.gen(function*() {
        const storage = yield* server()
        const parts = yield* read(settings(storage), SPACED_PATH)
        assert.isTrue(Buffer.concat(parts).equals(OBJECT))
        const again = yield* read(settings(storage), `/${SPACED_PATH}`)
        assert.isTrue(Buffer.concat(again).equals(OBJECT))
        const requests = yield* Ref.get(storage.requests)
        const expected = { method: "GET", rawPath: "/storage/v1/object/imports/org%207/march%20batch%231.csv", authorized: true }
        assert.deepStrictEqual(requests, [expected, expected])
      }))

    it.scoped("a 404 is FileMissing", () =>
      Effect.gen(function*() {
        const storage = yield* server()
        const error = yield* Effect.flip(read(settings(storage), "org 7/nope.csv"))
        assert.strictEqual(error._tag, "FileMissing")
        assert.strictEqual(error.message, "no file at org 7/nope.csv (storage bucket imports)")
      }))

    it.scoped("a 400 whose body says not_found is FileMissing", () =>
      Effect.gen(function*() {
        const storage = yield* server({ notFoundStatus: 400 })
        const error = yield* Effect.flip(read(settings(storage), "org 7/nope.csv"))
        assert.strictEqual(error._tag, "FileMissing")
        assert.include(error.message, "org 7/nope.csv")
      }))

    it.scoped("a refused key is FileUnreadable, and the key appears in no error and no span", () =>
      Effect.gen(function*() {
        const storage = yield* server()
        const wrongKey = "sb_secret_wrong-key-9876543210fedcba"
        const { exit, spans } = yield* recordingSpans(Effect.flip(
          read(settings(storage, { serviceRoleKey: Option.some(Redacted.make(wrongKey)) }), SPACED_PATH)
        ))
        const error = yield* exit
        assert.strictEqual(error._tag, "FileUnreadable")
        assert.include(error.message, "HTTP 403")
        assert.include(error.message, "service role key was refused")
        for (const text of [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
          assert.notInclude(text, wrongKey)
        }

        const client = spans.find((span) => span.attributes.has("http.request.method"))
        assert.isDefined(client)
        assert.strictEqual(String(client!.attributes.get("http.request.header.apikey")), "<redacted>")
        assert.strictEqual(String(client!.attributes.get("http.request.header.authorization")), "<redacted>")
        assert.isTrue(spans.some((span) => span.name === "FileStore.open"))
        for (const span of spans) {
          for (const value of span.attributes.values()) assert.notInclude(String(value), wrongKey)
        }
      }))

    it.scoped("a 500 is FileUnreadable with the status and an excerpt of the body", () =>
      Effect.gen(function*() {
        const storage = yield* server()
        const error = yield* Effect.flip(read(settings(storage), FAILING_PATH))
        assert.strictEqual(error._tag, "FileUnreadable")
        assert.include(error.message, "HTTP 500")
        assert.include(error.message, "upstream database timeout")
      }))

    it.scoped("a body that stalls for readTimeout is FileUnreadable, and the connection is dropped", () =>
      Effect.gen(function*() {
        const storage = yield* server()
        const received = yield* Ref.make(0)
        const error = yield* Effect.flatMap(
          fileStore(settings(storage)),
          (files) => files.open(STALLING_PATH).pipe(Stream.runForEach((part) => Ref.update(received, (n) => n + part.byteLength)))
        ).pipe(Effect.flip)
        assert.strictEqual(error._tag, "FileUnreadable")
        assert.include(error.message, "no data for 1s")
        assert.strictEqual(yield* Ref.get(received), FIRST_BYTES.byteLength)
        yield* Deferred.await(storage.stallAbandoned).pipe(Effect.timeout("5 seconds"))
      }))

    it.scoped("a server that never answers is FileUnreadable after readTimeout", () =>
      Effect.gen(function*() {
        const storage = yield* server()
        const error = yield* Effect.flip(read(settings(storage), SILENT_PATH))
        assert.strictEqual(error._tag, "FileUnreadable")
        assert.include(error.message, "no response from storage for 1s")
      }))

    it.scoped("a body that breaks off is FileUnreadable", () =>
      Effect.gen(function*() {
        const storage = yield* server()
        const error = yield* Effect.flip(read(settings(storage), BROKEN_PATH))
        assert.strictEqual(error._tag, "FileUnreadable")
        assert.include(error.message, "broke off")
      }))

    it.effect("a connection error is FileUnreadable", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const storage = settings(undefined, { supabaseUrl: Option.some(new URL(`http://127.0.0.1:${port}`)) })
        const error = yield* Effect.flip(read(storage, SPACED_PATH))
        assert.strictEqual(error._tag, "FileUnreadable")
        assert.notInclude(error.message, KEY)
      }))

    it.effect("without SUPABASE_URL or SUPABASE_SERVICE_ROLE_KEY it is FileUnreadable, naming both", () =>
      Effect.gen(function*() {
        for (
          const storage of [
            settings(undefined),
            settings(undefined, { supabaseUrl: Option.some(new URL("https://x.supabase.co")), serviceRoleKey: Option.none() })
          ]
        ) {
          const error = yield* Effect.flip(read(storage, SPACED_PATH))
          assert.strictEqual(error._tag, "FileUnreadable")
          assert.include(error.message, "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY")
        }
      }))
  })
})

describe("StorageConfig", () => {
  const load = (env: Record<string, string>) =>
    Effect.withConfigProvider(StorageConfig.config, ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.effect("defaults: bucket imports, 30 s, no Supabase settings", () =>
    Effect.gen(function*() {
      const config = yield* load({})
      assert.strictEqual(config.bucket, "imports")
      assert.isTrue(Duration.equals(config.readTimeout, Duration.seconds(30)))
      assert.isTrue(Option.isNone(config.supabaseUrl))
      assert.isTrue(Option.isNone(config.serviceRoleKey))
    }))

  it.effect("reads the URL, the key, the bucket and the timeout", () =>
    Effect.gen(function*() {
      const config = yield* load({
        SUPABASE_URL: "http://127.0.0.1:54321",
        SUPABASE_SERVICE_ROLE_KEY: KEY,
        SUPABASE_STORAGE_BUCKET: "csv-imports.v2",
        SUPABASE_STORAGE_TIMEOUT: "5"
      })
      assert.strictEqual(Option.getOrThrow(config.supabaseUrl).host, "127.0.0.1:54321")
      assert.strictEqual(Redacted.value(Option.getOrThrow(config.serviceRoleKey)), KEY)
      assert.strictEqual(config.bucket, "csv-imports.v2")
      assert.isTrue(Duration.equals(config.readTimeout, Duration.seconds(5)))
    }))

  it.effect("rejects a non-http URL, a bad bucket name and an out-of-range timeout", () =>
    Effect.gen(function*() {
      for (
        const [env, variable] of [
          [{ SUPABASE_URL: "ftp://x.supabase.co" }, "SUPABASE_URL"],
          [{ SUPABASE_STORAGE_BUCKET: "" }, "SUPABASE_STORAGE_BUCKET"],
          [{ SUPABASE_STORAGE_BUCKET: "Imports" }, "SUPABASE_STORAGE_BUCKET"],
          [{ SUPABASE_STORAGE_TIMEOUT: "0" }, "SUPABASE_STORAGE_TIMEOUT"],
          [{ SUPABASE_STORAGE_TIMEOUT: "3601" }, "SUPABASE_STORAGE_TIMEOUT"]
        ] as const
      ) {
        const error = yield* Effect.flip(load(env))
        assert.include(String(error), variable)
      }
    }))
})
