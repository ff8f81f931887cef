import { Schema } from "effect"

/** What a probe job asks for: nothing, an effect row, failures, or a crash. */
export const ProbePayload = Schema.Union(
  Schema.Struct({ action: Schema.Literal("noop") }),
  /** Records the job's effect in `workers.probe_effects`, committed with the acknowledgement. */
  Schema.Struct({
    action: Schema.Literal("record"),
    sleep_ms: Schema.optional(Schema.Int.pipe(Schema.between(0, 600_000))),
    /** Sleep on the first delivery only (a job that is slow until another worker takes it over). */
    sleep_first_delivery_only: Schema.optional(Schema.Boolean),
    /** On the first delivery, the writes wait this long inside the acknowledging transaction. */
    hold_commit_ms: Schema.optional(Schema.Int.pipe(Schema.between(0, 600_000))),
    /**
     * Also POST the job to `PROBE_EXTERNAL_URL` (an external side effect, at least once by nature),
     * with its `Idempotency-Key`, before the writes commit.
     */
    call_external: Schema.optional(Schema.Boolean)
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
