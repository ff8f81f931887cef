import { Effect, Option, Tracer } from "effect"
import type { JobEnvelope } from "./JobEnvelope.js"

/**
 * How a job's spans join its envelope's trace. The envelope's `trace_id` (a UUID) is the trace id
 * (its 32 hex digits); the message also carries `span_id`, the span that enqueued it, which the
 * worker's job span takes as its parent. `span_id` is a top-level field the envelope schema
 * ignores: messages without it (other producers) still join the trace, under a parent derived from
 * the job id.
 */
export const SPAN_ID_FIELD = "span_id"

const SPAN_ID = /^[0-9a-f]{16}$/

export const traceIdOf = (envelope: Pick<JobEnvelope, "trace_id">) => envelope.trace_id.replaceAll("-", "").toLowerCase()

/** The current span's trace id (32 hex digits) written as a UUID, the envelope's format for trace_id. */
export const currentTraceUuid: Effect.Effect<Option.Option<string>> = Effect.map(
  Effect.option(Effect.currentSpan),
  (span) =>
    Option.flatMap(span, ({ traceId }) =>
      /^[0-9a-f]{32}$/.test(traceId)
        ? Option.some(
          `${traceId.slice(0, 8)}-${traceId.slice(8, 12)}-${traceId.slice(12, 16)}-${traceId.slice(16, 20)}-${
            traceId.slice(20)
          }`
        )
        : Option.none())
)

/** The enqueuing span the message names, or one derived from the job id. */
export const parentOf = (envelope: Pick<JobEnvelope, "trace_id" | "job_id">, message: unknown): Tracer.ExternalSpan => {
  const given = typeof message === "object" && message !== null ? (message as Record<string, unknown>)[SPAN_ID_FIELD] : undefined
  return Tracer.externalSpan({
    traceId: traceIdOf(envelope),
    spanId: typeof given === "string" && SPAN_ID.test(given) ? given : envelope.job_id.replaceAll("-", "").slice(0, 16),
    sampled: true
  })
}

/** The encoded envelope with `span_id` when the current span belongs to the envelope's trace. */
export const withSpanId = (envelope: Pick<JobEnvelope, "trace_id">, encoded: object) =>
  Effect.map(Effect.option(Effect.currentSpan), (span) =>
    Option.isSome(span) && span.value.traceId === traceIdOf(envelope)
      ? { ...encoded, [SPAN_ID_FIELD]: span.value.spanId }
      : encoded)

/** Runs `self` inside the envelope's trace, unless it already is (its spans then join that trace). */
export const inTraceOf = <A, E, R>(envelope: Pick<JobEnvelope, "trace_id" | "job_id">, self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
    Option.isSome(span) && span.value.traceId === traceIdOf(envelope)
      ? self
      : Effect.withParentSpan(self, parentOf(envelope, undefined)))
