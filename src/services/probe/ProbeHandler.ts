import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { JobHandler, makeJobHandler, noWrites, Permanent, Retryable } from "../../runtime/index.js"

/**
 * The probe service: a diagnostic worker for smoke tests, benchmarks and the runtime's own tests.
 * It is never deployed with real queues: it consumes only `probe_*` queues, which nothing else uses.
 */
export const ProbePayload = Schema.Union(
  Schema.Struct({ action: Schema.Literal("noop") }),
  /** Records the job's effect in `workers.probe_effects`, committed with the acknowledgement. */
  Schema.Struct({
    action: Schema.Literal("record"),
    sleep_ms: Schema.optional(Schema.Int.pipe(Schema.between(0, 600_000))),
    /** Sleep on the first delivery only (a job that is slow until another worker takes it over). */
    sleep_first_attempt_only: Schema.optional(Schema.Boolean)
  }),
  /** Fails `times` deliveries (retryable) or every delivery (permanent), then records. */
  Schema.Struct({
    action: Schema.Literal("fail"),
    kind: Schema.Literal("retryable", "permanent", "defect"),
    times: Schema.optional(Schema.Int.pipe(Schema.positive()))
  }),
  /** Kills the process mid-job: a poison message. */
  Schema.Struct({ action: Schema.Literal("crash") })
)
export type ProbePayload = typeof ProbePayload.Type

export const ProbeHandlerLive = Layer.effect(
  JobHandler,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return makeJobHandler({
      payload: ProbePayload,
      handle: Effect.fn("ProbeHandler.handle")(function*(job) {
        const record = sql`
          INSERT INTO workers.probe_effects (job_id, org_id, idempotency_key, attempt)
          VALUES (${job.envelope.job_id}::uuid, ${job.envelope.org_id}::uuid, ${job.envelope.idempotency_key}, ${job.attempt})`
          .pipe(Effect.asVoid)
        switch (job.payload.action) {
          case "noop":
            return noWrites
          case "record":
            if (job.payload.sleep_ms && (job.attempt === 1 || !job.payload.sleep_first_attempt_only)) {
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
