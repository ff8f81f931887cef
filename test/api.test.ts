import { SqlClient } from "@effect/sql"
import { assert, describe, inject, it } from "@effect/vitest"
import { Effect } from "effect"
import { adminQuery } from "./support/admin.js"
import * as ApiTest from "./support/api.js"
import { API_KEY, authorized, raw } from "./support/api.js"

const ENQUEUE = "/v1/jobs/probe_main"
const ORIGIN = "https://app.dragonfly.law"

describe("API: health, auth, errors", () => {
  it.layer(ApiTest.layer({ corsOrigins: [ORIGIN, "http://localhost:5173"], limits: { maxBodyBytes: 64 * 1024 } }))(
    "on a migrated database",
    (it) => {
      it.effect("GET /health answers without a key and without the database", () =>
        Effect.gen(function*() {
          const client = yield* ApiTest.client("")
          const health = yield* client.health()
          assert.strictEqual(health.status, "ok")
          assert.strictEqual(health.service, "dragonfly-api")
        }))

      it.effect("GET /health/db: reachable, pgmq present, migrations current", () =>
        Effect.gen(function*() {
          const response = yield* raw("/health/db")
          assert.strictEqual(response.status, 200)
          assert.strictEqual(response.json.status, "ok")
          assert.isTrue(response.json.checks.database.ok)
          assert.isTrue(response.json.checks.pgmq.ok)
          assert.isTrue(response.json.checks.migrations.ok)
        }))

      it.effect("401 with the same body for a missing key, a wrong key, a wrong bearer and a foreign scheme", () =>
        Effect.gen(function*() {
          const attempts = [
            {},
            { "x-api-key": "wrong-key-0123456789abcdef" },
            { authorization: "Bearer wrong-key-0123456789abcdef" },
            { authorization: `Basic ${Buffer.from(`user:${API_KEY}`).toString("base64")}` },
            { "x-api-key": "" },
            // both headers: every credential sent must be the key
            { "x-api-key": API_KEY, authorization: "Bearer wrong-key-0123456789abcdef" },
            { "x-api-key": "wrong-key-0123456789abcdef", authorization: `Bearer ${API_KEY}` }
          ]
          const bodies = new Set<string>()
          for (const headers of attempts) {
            const response = yield* raw("/v1/queues", { headers })
            assert.strictEqual(response.status, 401, JSON.stringify(headers))
            bodies.add(response.text)
          }
          assert.strictEqual(bodies.size, 1)
          const [body] = [...bodies]
          assert.strictEqual(JSON.parse(body!)._tag, "Unauthorized")
          assert.notInclude(body!, API_KEY)
        }))

      it.effect("the key is accepted as X-API-Key, as a bearer token, and as both", () =>
        Effect.gen(function*() {
          for (
            const headers of [
              { "x-api-key": API_KEY },
              { authorization: `Bearer ${API_KEY}` },
              { authorization: `bearer ${API_KEY}` },
              { "x-api-key": API_KEY, authorization: `Bearer ${API_KEY}` }
            ]
          ) {
            const response = yield* raw("/v1/queues", { headers })
            assert.strictEqual(response.status, 200, JSON.stringify(headers))
          }
          const client = yield* ApiTest.client()
          const queues = yield* client.queues.list()
          assert.isAbove(queues.queues.length, 0)
        }))

      it.effect("the derived client fails with Unauthorized for a wrong key", () =>
        Effect.gen(function*() {
          const client = yield* ApiTest.client("wrong-key-0123456789abcdef")
          const error = yield* Effect.flip(client.queues.list())
          assert.strictEqual(error._tag, "Unauthorized")
        }))

      it.effect("an unknown route is a JSON 404", () =>
        Effect.gen(function*() {
          const response = yield* raw("/v1/nothing-here", { headers: authorized() })
          assert.strictEqual(response.status, 404)
          assert.strictEqual(response.json._tag, "NotFound")
          assert.include(response.json.message, "/v1/nothing-here")
        }))

      it.effect("malformed JSON is a 400 with a JSON body", () =>
        Effect.gen(function*() {
          const response = yield* raw(ENQUEUE, {
            method: "POST",
            headers: authorized({ "content-type": "application/json" }),
            body: "{\"org_id\": "
          })
          assert.strictEqual(response.status, 400)
          assert.deepStrictEqual(response.json, { _tag: "MalformedBody", message: "request body is not valid JSON" })
        }))

      it.effect("a body over the limit is a 413, whether its length is declared or streamed", () =>
        Effect.gen(function*() {
          const big = JSON.stringify({ payload: { blob: "x".repeat(100 * 1024) } })
          const declared = yield* raw(ENQUEUE, {
            method: "POST",
            headers: authorized({ "content-type": "application/json" }),
            body: big
          })
          assert.strictEqual(declared.status, 413)
          assert.strictEqual(declared.json._tag, "PayloadTooLarge")
          assert.strictEqual(declared.json.limit_bytes, 64 * 1024)
          // Without a Content-Length the server stops reading at the limit and drops the connection.
          const streamed = yield* Effect.flatMap(ApiTest.baseUrl, (url) =>
            Effect.promise(() =>
              fetch(`${url}${ENQUEUE}`, {
                method: "POST",
                headers: authorized({ "content-type": "application/json" }),
                body: new ReadableStream({
                  start(controller) {
                    controller.enqueue(new TextEncoder().encode(big))
                    controller.close()
                  }
                }),
                duplex: "half"
              } as RequestInit).then((response) => response.status, () => "closed")
            ))
          assert.include([413, "closed"], streamed)
          assert.strictEqual((yield* raw("/health")).status, 200)
        }))

      it.effect("a bad query parameter is a 400 naming it", () =>
        Effect.gen(function*() {
          const response = yield* raw("/v1/workers?stale_minutes=soon", { headers: authorized() })
          assert.strictEqual(response.status, 400)
          assert.strictEqual(response.json._tag, "HttpApiDecodeError")
          assert.include(JSON.stringify(response.json), "stale_minutes")
        }))

      it.effect("every answer carries a trace id; a caller's traceparent is kept", () =>
        Effect.gen(function*() {
          const plain = yield* raw("/health")
          assert.match(plain.headers.get("x-trace-id") ?? "", /^[0-9a-f]{32}$/)
          const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
          const traced = yield* raw("/health", { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })
          assert.strictEqual(traced.headers.get("x-trace-id"), traceId)
        }))

      it.effect("CORS: an allowed origin gets its headers, another gets none", () =>
        Effect.gen(function*() {
          const allowed = yield* raw("/v1/queues", { headers: authorized({ origin: ORIGIN }) })
          assert.strictEqual(allowed.status, 200)
          assert.strictEqual(allowed.headers.get("access-control-allow-origin"), ORIGIN)
          assert.include(allowed.headers.get("vary") ?? "", "Origin")
          const refused = yield* raw("/v1/queues", { headers: authorized({ origin: "https://evil.example" }) })
          assert.strictEqual(refused.status, 200)
          assert.isNull(refused.headers.get("access-control-allow-origin"))
          // errors carry them too, so a browser can read a 401
          const unauthorized = yield* raw("/v1/queues", { headers: { origin: ORIGIN } })
          assert.strictEqual(unauthorized.status, 401)
          assert.strictEqual(unauthorized.headers.get("access-control-allow-origin"), ORIGIN)
        }))

      it.effect("CORS preflight: answered without a key for an allowed origin, without CORS headers otherwise", () =>
        Effect.gen(function*() {
          const preflight = (origin: string) =>
            raw("/v1/jobs/probe_main", {
              method: "OPTIONS",
              headers: {
                origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type, x-api-key"
              }
            })
          const allowed = yield* preflight("http://localhost:5173")
          assert.strictEqual(allowed.status, 204)
          assert.strictEqual(allowed.headers.get("access-control-allow-origin"), "http://localhost:5173")
          assert.include(allowed.headers.get("access-control-allow-methods") ?? "", "POST")
          assert.include(allowed.headers.get("access-control-allow-headers") ?? "", "x-api-key")
          const refused = yield* preflight("https://evil.example")
          assert.strictEqual(refused.status, 204)
          assert.isNull(refused.headers.get("access-control-allow-origin"))
          assert.isNull(refused.headers.get("access-control-allow-methods"))
        }))

      it.effect("/openapi.json describes every endpoint and both ways to send the key; /docs serves the UI", () =>
        Effect.gen(function*() {
          const spec = yield* raw("/openapi.json")
          assert.strictEqual(spec.status, 200)
          for (
            const path of [
              "/health",
              "/health/db",
              "/v1/jobs/{queue}",
              "/v1/jobs/{job_id}",
              "/v1/queues",
              "/v1/queues/{queue}",
              "/v1/workers",
              "/v1/dead-letters",
              "/v1/dead-letters/{id}",
              "/v1/dead-letters/{id}/replay",
              "/v1/dead-letters/replay",
              "/v1/uploads",
              "/v1/judgments/{id}",
              "/v1/plaintiffs/{id}/collectability"
            ]
          ) assert.property(spec.json.paths, path)
          assert.deepStrictEqual(Object.keys(spec.json.components.securitySchemes).sort(), ["apiKey", "bearer"])
          assert.property(spec.json.paths["/v1/jobs/{queue}"].post.responses, "422")
          assert.deepStrictEqual(spec.json.paths["/health"].get.security, [])
          const docs = yield* raw("/docs")
          assert.strictEqual(docs.status, 200)
          assert.include(docs.headers.get("content-type") ?? "", "text/html")
          assert.include(docs.text, "swagger")
        }))

      it.effect("/health keeps answering and /health/db says why when the database goes away", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const name = (yield* sql<{ name: string }>`SELECT current_database() AS name`)[0]!.name
          const admin = inject("adminDatabaseUrl")
          yield* Effect.promise(() => adminQuery(admin, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`))
          yield* Effect.promise(() =>
            adminQuery(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`)
          )
          const health = yield* raw("/health")
          assert.strictEqual(health.status, 200)
          const db = yield* raw("/health/db")
          assert.strictEqual(db.status, 503)
          assert.strictEqual(db.json._tag, "DatabaseUnhealthy")
          assert.isFalse(db.json.checks.database.ok)
          assert.notInclude(db.text, "postgres:")
          assert.notInclude(db.text, "127.0.0.1")
          yield* Effect.promise(() => adminQuery(admin, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`))
        }), 30_000)
    }
  )

  it.layer(ApiTest.layer({ migrated: false }))("on an empty database", (it) => {
    it.effect("GET /health/db is 503 naming the failed checks", () =>
      Effect.gen(function*() {
        const response = yield* raw("/health/db")
        assert.strictEqual(response.status, 503)
        assert.strictEqual(response.json._tag, "DatabaseUnhealthy")
        assert.strictEqual(response.json.message, "failed: pgmq, migrations")
        assert.isTrue(response.json.checks.database.ok)
        assert.isFalse(response.json.checks.pgmq.ok)
        assert.isFalse(response.json.checks.migrations.ok)
      }))
  })

  it.layer(ApiTest.layer())("without DRAGONFLY_CORS_ORIGINS", (it) => {
    it.effect("no CORS headers at all, and OPTIONS is not special", () =>
      Effect.gen(function*() {
        const response = yield* raw("/health", { headers: { origin: ORIGIN } })
        assert.isNull(response.headers.get("access-control-allow-origin"))
        const preflight = yield* raw("/v1/queues", {
          method: "OPTIONS",
          headers: { origin: ORIGIN, "access-control-request-method": "GET" }
        })
        assert.strictEqual(preflight.status, 404)
        assert.isNull(preflight.headers.get("access-control-allow-origin"))
      }))
  })
})
