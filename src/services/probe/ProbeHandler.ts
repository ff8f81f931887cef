import { SqlClient } from "@effect/sql"
import { Clock, Effect, Layer } from "effect"
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
