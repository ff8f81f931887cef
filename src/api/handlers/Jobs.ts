import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Either, Option } from "effect"
import * as Envelope from "../../envelope/index.js"
import { JobRequests } from "../../jobs/JobRequests.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { InvalidPayload } from "../../runtime/index.js"
import { payloadProblemsFor } from "../../services/index.js"
import { Api } from "../Api.js"
import { Conflict, NotFound } from "../errors.js"
import { BatchEnqueued, type BatchItemResult, JobAccepted, JobAlreadyEnqueued, JobStatus } from "../schemas.js"
import * as Metrics from "../../observability/Metrics.js"

const traceIdAsUuid = Envelope.TraceLink.currentTraceUuid

/** The request's trace id goes into an envelope that has none, so the job's logs join the request's. */
const withTraceId = (body: unknown, traceId: Option.Option<string>) =>
  typeof body === "object" && body !== null && !Array.isArray(body) && Option.isSome(traceId) &&
    ((body as Record<string, unknown>)["trace_id"] ?? null) === null
    ? { ...body, trace_id: traceId.value }
    : body

/** An envelope with a NUL anywhere, which Postgres cannot store, is refused like any other problem. */
const storable = (body: unknown): Either.Either<unknown, Envelope.InvalidEnvelope> => {
  const fields = Envelope.fieldsWithNul(body)
  return fields.length === 0
    ? Either.right(body)
    : Either.left(new Envelope.InvalidEnvelope({
      problems: fields.map((field) => ({ field, problem: "must not contain the NUL character (\\u0000): Postgres cannot store it" }))
    }))
}

export const JobsLive = HttpApiBuilder.group(Api, "jobs", (handlers) =>
  Effect.gen(function*() {
    const jobs = yield* JobRequests
    const directory = yield* QueueDirectory
    return handlers
      .handle("enqueue", ({ path, payload }) =>
        Effect.gen(function*() {
          const queue = yield* directory.resolve(path.queue, { forJobs: true })
          const envelope = yield* Envelope.decode(withTraceId(yield* storable(payload), yield* traceIdAsUuid))
          // Refused now rather than dead-lettered by the worker later.
          const problems = payloadProblemsFor(queue)(envelope.payload)
          if (problems.length > 0) return yield* new InvalidPayload({ problems })
          const began = performance.now()
          // Its spans join the envelope's trace: the request's when the caller gave no trace_id.
          const result = yield* Envelope.TraceLink.inTraceOf(envelope, jobs.enqueue(queue, envelope))
          Metrics.enqueueDuration({ queue })((performance.now() - began) / 1000)
          return result._tag === "Enqueued"
            ? new JobAccepted({ job_id: result.jobId, msg_id: result.msgId, queue: result.queue, trace_id: result.traceId })
            : new JobAlreadyEnqueued({
              job_id: result.jobId,
              msg_id: result.msgId,
              queue: result.queue,
              enqueued_at: result.enqueuedAt,
              duplicate: true
            })
        }).pipe(
          Effect.catchTags({
            UnknownQueue: (error) => new NotFound({ message: error.message }),
            JobIdTaken: (error) => new Conflict({ message: error.message })
          })
        ))
      .handle("enqueueBatch", ({ path, payload }) =>
        Effect.gen(function*() {
          const queue = yield* directory.resolve(path.queue, { forJobs: true })
          const traceId = yield* traceIdAsUuid
          const check = payloadProblemsFor(queue)
          const decoded = payload.jobs.map((body) =>
            Either.flatMap(
              Either.flatMap(storable(body), (body) => Envelope.decodeEither(withTraceId(body, traceId))),
              (envelope) => {
                const problems = check(envelope.payload)
                return problems.length === 0 ? Either.right(envelope) : Either.left({ problems })
              }
            ))
          const valid = decoded.flatMap((result, index) => (Either.isRight(result) ? [{ index, envelope: result.right }] : []))
          const outcomes = yield* jobs.enqueueMany(queue, valid.map((v) => v.envelope))
          const enqueued = new Map(valid.map(({ index }, i) => [index, outcomes[i]!] as const))
          const results = decoded.map((result, index): typeof BatchItemResult.Type => {
            if (Either.isLeft(result)) return { index, status: "invalid", problems: result.left.problems }
            const outcome = enqueued.get(index)!
            switch (outcome._tag) {
              case "Enqueued":
                return { index, status: "created", job_id: outcome.jobId, msg_id: outcome.msgId, trace_id: outcome.traceId }
              case "Duplicate":
                return {
                  index,
                  status: "duplicate",
                  job_id: outcome.jobId,
                  msg_id: outcome.msgId,
                  queue: outcome.queue,
                  enqueued_at: outcome.enqueuedAt
                }
              case "JobIdTaken":
                return { index, status: "conflict", message: outcome.message }
            }
          })
          const counted = (status: string) => results.filter((r) => r.status === status).length
          return new BatchEnqueued({
            queue,
            created: counted("created"),
            duplicates: counted("duplicate"),
            invalid: counted("invalid"),
            conflicts: counted("conflict"),
            results
          })
        }).pipe(Effect.catchTags({ UnknownQueue: (error) => new NotFound({ message: error.message }) })))
      .handle("status", ({ path }) =>
        Effect.flatMap(jobs.status(path.job_id), (status) =>
          Option.match(status, {
            onNone: () => Effect.fail(new NotFound({ message: `no job ${path.job_id}` })),
            onSome: (job) =>
              Effect.succeed(
                new JobStatus({
                  job_id: job.jobId,
                  state: job.state,
                  queue: job.queue,
                  msg_id: job.msgId,
                  org_id: job.orgId,
                  idempotency_key: job.idempotencyKey,
                  attempts: job.attempts,
                  enqueued_at: job.enqueuedAt,
                  visible_at: job.visibleAt,
                  completed_at: job.completedAt,
                  worker_id: job.workerId,
                  last_error: job.lastError === null ? null : {
                    reason: job.lastError.reason,
                    tag: job.lastError.tag,
                    message: job.lastError.message,
                    ...(job.lastError.details === undefined ? {} : { details: job.lastError.details }),
                    at: job.lastError.at,
                    dead_letter_id: job.lastError.deadLetterId
                  },
                  replays: job.replays
                })
              )
          })))
  }))
