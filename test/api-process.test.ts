import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as Http from "node:http"
import * as Net from "node:net"
import * as TestDatabase from "./support/TestDatabase.js"
import { acceptsConnections, closedPort } from "./support/net.js"
import { runNode, startNode } from "./support/processes.js"

const KEY = "process-test-key-0123456789"

const apiEnv = (url: Redacted.Redacted<string>, port: number, extra: Record<string, string> = {}) => ({
  SUPABASE_DB_URL: Redacted.value(url),
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "test",
  DRAGONFLY_API_KEY: KEY,
  PORT: String(port),
  LOG_FORMAT: "json",
  ...extra
})

interface Answer {
  readonly status: number
  readonly body: string
}

/** An upload whose body arrives in two parts; `finish` sends the second. */
const slowUpload = (port: number, body: Buffer) =>
  Effect.sync(() => {
    const agent = new Http.Agent({ keepAlive: true })
    let resolve: (answer: Answer) => void = () => {}
    const answered = new Promise<Answer>((r) => (resolve = r))
    const request = Http.request({
      host: "127.0.0.1",
      port,
      path: "/v1/uploads",
      method: "POST",
      agent,
      headers: { "content-type": "text/csv", "content-length": body.length, "x-api-key": KEY }
    }, (response) => {
      let text = ""
      response.on("data", (chunk) => (text += chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }))
    })
    request.on("error", (error) => resolve({ status: -1, body: String(error) }))
    request.write(body.subarray(0, body.length / 2))
    return {
      finish: Effect.sync(() => request.end(body.subarray(body.length / 2))),
      answer: Effect.promise(() => answered)
    }
  })

describe("node bin/api.js", () => {
  it.live("stops at once when DRAGONFLY_API_KEY is missing or too short", () =>
    Effect.gen(function*() {
      const result = yield* runNode(["bin/api.js"], {
        SUPABASE_DB_URL: "postgresql://postgres:secret-pw@127.0.0.1:1/x",
        SUPABASE_MODE: "dev",
        ENVIRONMENT: "test",
        DRAGONFLY_API_KEY: "short"
      })
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "DRAGONFLY_API_KEY: must be at least 16 characters")
      assert.notInclude(result.stderr + result.stdout, "secret-pw")
    }))

  it.scopedLive("on an unmigrated database, exits 1 with the command to run instead of answering 500", () =>
    Effect.gen(function*() {
      const empty = yield* TestDatabase.freshDatabase({ migrated: false })
      const result = yield* runNode(["bin/api.js"], apiEnv(empty, yield* closedPort))
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "error: the database is not migrated: it has no migrations")
      assert.include(result.stderr, "run: node bin/dragonfly.js db migrate")
    }))

  it.scopedLive("refuses a PORT that something else listens on, saying so", () =>
    Effect.gen(function*() {
      const url = yield* TestDatabase.freshDatabase()
      const holder = yield* Effect.acquireRelease(
        Effect.async<Net.Server>((resume) => {
          const server = Net.createServer().listen(0, "0.0.0.0", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const port = (holder.address() as Net.AddressInfo).port
      const result = yield* runNode(["bin/api.js"], apiEnv(url, port))
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, `error: port ${port} is in use (PORT)`)
      assert.notInclude(result.stderr, "ServeError")
    }))

  it.scopedLive("serves on $PORT, logs each request without the key, and drains on SIGTERM", () =>
    Effect.gen(function*() {
      const url = yield* TestDatabase.freshDatabase()
      const port = yield* closedPort
      const api = yield* startNode(["bin/api.js"], apiEnv(url, port))
      yield* api.waitFor(/Listening on/)

      const ok = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/v1/queues?token=${KEY}`, { headers: { authorization: `Bearer ${KEY}` } })
      )
      assert.strictEqual(ok.status, 200)
      const denied = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/v1/queues`, { headers: { "x-api-key": "nope" } }))
      assert.strictEqual(denied.status, 401)
      yield* api.waitFor(/"status":401/)
      const lines = api.output().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
      const requests = lines.filter((line) => line.annotations?.path === "/v1/queues" && line.annotations?.status === 200)
      assert.lengthOf(requests, 1)
      assert.notMatch(api.output(), /GET \/v1\/queues 200 [\d.]+ms\n[^{]/) // one logger: no pretty copy of the line
      const request = requests[0]
      assert.strictEqual(request.annotations.method, "GET")
      assert.isNumber(request.annotations.duration_ms)
      assert.match(request.annotations.trace_id, /^[0-9a-f]{32}$/)
      assert.notInclude(api.output(), KEY)

      // SIGTERM while an upload is half sent: no new connections, the upload still completes.
      const upload = yield* slowUpload(port, Buffer.from("a,b\n" + "1,2\n".repeat(50_000)))
      yield* Effect.sleep("300 millis")
      api.child.kill("SIGTERM")
      yield* Effect.sleep("500 millis")
      assert.isFalse(yield* acceptsConnections(port))
      yield* upload.finish
      const answer = yield* upload.answer
      assert.strictEqual(answer.status, 201, answer.body)
      // the answer closed its kept-alive connection, so the server stops without waiting for it
      const finished = yield* api.finished.pipe(Effect.timeout("3 seconds"))
      assert.strictEqual(finished.code, 0)
    }), 60_000)
})
