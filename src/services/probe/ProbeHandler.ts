import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Layer, Option } from "effect"
import { ProbeConfig } from "../../config/index.js"
import { JobHandler, makeJobHandler, noWrites, Permanent, Retryable } from "../../runtime/index.js"
import { ProbePayload } from "./payload.js"

/**
 * The probe service: a diagnostic worker for smoke tests, benchmarks and the runtime's own tests.
 * It is never deployed with real queues: it consumes only `probe_*` queues, which nothing else uses.
 */
export const ProbeHandlerLive = Layer.effect(
  JobHandler,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const http = yield* HttpClient.HttpClient
    const { externalUrl } = yield* ProbeConfig

    /** The external side effect: one POST per delivery, which the peer may deduplicate by its key. */
    const callExternal = Effect.fnUntraced(function*(job: { readonly envelope: { readonly job_id: string; readonly org_id: string; readonly idempotency_key: string }; readonly delivery: number }) {
      if (Option.isNone(externalUrl)) {
        return yield* new Permanent({ message: "probe: call_external needs PROBE_EXTERNAL_URL" })
      }
      const request = HttpClientRequest.post(externalUrl.value).pipe(
        HttpClientRequest.setHeader("Idempotency-Key", `${job.envelope.org_id}/${job.envelope.idempotency_key}`),
        HttpClientRequest.bodyUnsafeJson({ job_id: job.envelope.job_id, delivery: job.delivery })
      )
      const response = yield* http.execute(request).pipe(
        Effect.scoped,
        Effect.timeout("10 seconds"),
        Effect.mapError((error) => new Retryable({ message: `probe: external call failed: ${error.message}` }))
      )
      if (response.status >= 300) {
        return yield* new Retryable({ message: `probe: external call answered ${response.status}` })
      }
    })

    return makeJobHandler({
      payload: ProbePayload,
      handle: Effect.fn("ProbeHandler.handle")(function*(job) {
        const startedAt = new Date(yield* Clock.currentTimeMillis)
        const hold = job.payload.action === "record" && job.delivery === 1 ? job.payload.hold_commit_ms ?? 0 : 0
        const record = Effect.gen(function*() {
          if (hold > 0) yield* sql`SELECT pg_sleep(${hold / 1000}::float8)`
          yield* sql`
            INSERT INTO workers.probe_effects (job_id, org_id, idempotency_key, attempt, delivery, started_at)
            VALUES (${job.envelope.job_id}::uuid, ${job.envelope.org_id}::uuid, ${job.envelope.idempotency_key},
                    ${job.attempt}, ${job.delivery}, ${startedAt})`
        })
        switch (job.payload.action) {
          case "noop":
            return noWrites
          case "record":
            if (job.payload.sleep_ms && (job.delivery === 1 || !job.payload.sleep_first_delivery_only)) {
              yield* Effect.sleep(job.payload.sleep_ms)
            }
            if (job.payload.call_external) yield* callExternal(job)
            return record
          case "fail": {
            const { kind, times } = job.payload
            if (kind === "permanent") return yield* new Permanent({ message: "probe: permanent failure" })
            if (times === undefined || job.attempt <= times) {
              if (kind === "defect") return yield* Effect.die(new Error(`probe: defect on attempt ${job.attempt}`))
              return yield* new Retryable({ message: `probe: retryable failure on attempt ${job.attempt}` })
            }
            return record
          }
          case "crash":
            process.kill(process.pid, "SIGKILL")
            return yield* Effect.never
        }
      })
    })
  })
)
