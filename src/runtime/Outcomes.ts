import type { SqlError } from "@effect/sql"
import { Cause, type Context, Duration, Effect, Either, Option } from "effect"
import { Alert, type Discord } from "../alerts/index.js"
import type { WorkerSettings } from "../config/index.js"
import type { DeadLetterReason, ErrorInfo } from "../deadletter/DeadLetter.js"
import type { Heartbeat } from "../heartbeat/Heartbeat.js"
import * as Metrics from "../observability/Metrics.js"
import type { QueueName } from "../queue/QueueName.js"
import type { Acknowledger, SettleResult } from "./Acknowledger.js"
import type { Deliveries, DeliveryHistory, Held } from "./Deliveries.js"
import type { InvalidPayload, JobFailure } from "./errors.js"
import { redeliveryDelaySeconds } from "./retryPolicy.js"
import type { WorkerIdentity } from "./WorkerIdentity.js"

/** Tag, message and details of a defect (or an error without a tag of ours). */
export const errorInfo = (cause: Cause.Cause<unknown>): ErrorInfo => {
  const failure = Option.orElse(Cause.failureOption(cause), () => Cause.dieOption(cause))
  if (Option.isNone(failure)) return { tag: "Interrupted", message: "interrupted" }
  const error = failure.value
  if (typeof error === "object" && error !== null) {
    const tagged = error as { readonly _tag?: unknown; readonly message?: unknown }
    const tag = typeof tagged._tag === "string" ? tagged._tag : error instanceof Error ? error.name : "Error"
    const own = typeof tagged.message === "string" && tagged.message !== "" ? tagged.message : String(error)
    return { tag, message: withCause(own, error) }
  }
  return { tag: "Error", message: String(error) }
}

/** An SqlError says "Failed to execute statement"; what the database said is in its cause. */
const withCause = (own: string, error: unknown) => {
  const cause = error instanceof Error ? error.cause : undefined
  return cause instanceof Error && cause.message !== "" && !own.includes(cause.message) ? `${own}: ${cause.message}` : own
}

const typedInfo = (error: JobFailure | InvalidPayload | SqlError.SqlError): ErrorInfo => {
  switch (error._tag) {
    case "InvalidPayload":
      return { tag: error._tag, message: error.message, details: error.problems }
    case "SqlError":
      return { tag: error._tag, message: withCause(error.message, error) }
    default:
      return error.details === undefined
        ? { tag: error._tag, message: error.message }
        : { tag: error._tag, message: error.message, details: error.details }
  }
}

const times = (n: number) => `${n} time${n === 1 ? "" : "s"}`

/** Why a job is out of attempts, for its dead letter. */
export const exhausted = (history: DeliveryHistory, delivery: number, limit: number): ErrorInfo => ({
  tag: "MaxAttemptsExceeded",
  message: `out of attempts (limit ${limit}): failed ${times(history.failures)}, and took its worker down ${
    times(history.crashes)
  } while running alone (the process died or hung); delivered ${times(delivery)}`,
  details: { failures: history.failures, crashes: history.crashes, deliveries: delivery, limit }
})

/** The bound on writing a delivery's end when it is handed back (shutdown, failed commit). */
const RELEASE_TIMEOUT = Duration.seconds(5)

export interface OutcomesDeps {
  readonly config: WorkerSettings
  readonly acknowledger: Acknowledger
  readonly deliveries: Deliveries
  readonly heartbeat: Heartbeat
  readonly discord: Context.Tag.Service<Discord>
  readonly identity: Context.Tag.Service<WorkerIdentity>
}

/**
 * Where a job goes when it did not simply complete: dead-lettered (it can never succeed, or it is
 * out of attempts), scheduled for another attempt, or handed back unfinished. The decision is made
 * here, on the error's tag.
 */
export const make = ({ acknowledger, config, deliveries, discord, heartbeat, identity }: OutcomesDeps) => {
  /** Hands messages back unfinished, visible at once; no attempt is counted against them. */
  const release = (queue: QueueName, helds: ReadonlyArray<Held>) =>
    deliveries.release(queue, helds.map((held) => held.message)).pipe(
      Effect.timeout(RELEASE_TIMEOUT),
      Effect.catchAllCause((cause) =>
        Effect.logWarning("could not hand the message back; it is delivered again when its lease expires", cause)
      )
    )

  const deadLetter = (held: Held, reason: DeadLetterReason, error: ErrorInfo) =>
    Effect.gen(function*() {
      const result = yield* acknowledger.settle({
        _tag: "DeadLetter",
        held,
        input: { queue: held.queue, message: held.message, reason, error }
      })
      if (result._tag !== "Settled") return yield* Effect.logWarning(`not dead-lettered (${result._tag})`)
      Metrics.forQueue(held.queue).deadLettered(reason)
      yield* Effect.logError(`dead-lettered: ${reason}`, error)
      const envelope = held.message.message as { readonly job_id?: unknown; readonly trace_id?: unknown } | null
      yield* discord.notify(Alert.DeadLettered({
        queue: held.queue,
        msgId: held.message.msgId,
        reason,
        readCt: held.message.readCt,
        errorTag: error.tag,
        errorMessage: error.message,
        jobId: typeof envelope?.job_id === "string" ? envelope.job_id : null,
        traceId: typeof envelope?.trace_id === "string" ? envelope.trace_id : null,
        workerId: identity.workerId
      }))
    })

  /** A failed attempt worth another: redelivered after the retry delay, or dead-lettered when it was the last. */
  const retry = (held: Held, error: ErrorInfo, attempt: number) =>
    Effect.gen(function*() {
      if (attempt >= config.maxAttempts) return yield* deadLetter(held, "max_attempts_exceeded", error)
      const delay = yield* redeliveryDelaySeconds(attempt)
      const recorded = yield* deliveries.failed(held, delay, `${error.tag}: ${error.message}`.slice(0, 2000)).pipe(Effect.either)
      if (Either.isLeft(recorded)) {
        return yield* Effect.logWarning(
          `attempt ${attempt} failed, and its retry could not be scheduled (${recorded.left.message}): the message is delivered again when its lease expires`,
          error
        )
      }
      if (recorded.right) Metrics.forQueue(held.queue).retried()
      yield* Effect.logWarning(
        recorded.right ? `attempt ${attempt} failed; next delivery in ${delay}s` : `attempt ${attempt} failed; lease already lost`,
        error
      )
    })

  const counted = (held: Held) => (error: ErrorInfo) =>
    Effect.suspend(() => {
      Metrics.forQueue(held.queue).failed()
      return heartbeat.failed(`${error.tag}: ${error.message}`)
    }).pipe(Effect.as(error))

  /** The attempt failed, in its handler or in its writes: by the error's tag, or as a defect. */
  const failed = (held: Held, cause: Cause.Cause<InvalidPayload | JobFailure | SqlError.SqlError>, attempt: number) =>
    Effect.failCause(cause).pipe(
      Effect.catchTags({
        InvalidPayload: (error) => Effect.flatMap(counted(held)(typedInfo(error)), (info) => deadLetter(held, "invalid_payload", info)),
        Permanent: (error) => Effect.flatMap(counted(held)(typedInfo(error)), (info) => deadLetter(held, "permanent_failure", info)),
        Retryable: (error) => Effect.flatMap(counted(held)(typedInfo(error)), (info) => retry(held, info, attempt)),
        SqlError: (error) => Effect.flatMap(counted(held)(typedInfo(error)), (info) => retry(held, info, attempt))
      }),
      // A defect (anything the handler threw or died with) is retried like `Retryable`.
      Effect.catchAllCause((defect) => Effect.flatMap(counted(held)(errorInfo(defect)), (info) => retry(held, info, attempt)))
    )

  /** What the group commit said, when it was not "settled". */
  const unsettled = (held: Held, result: Exclude<SettleResult, { readonly _tag: "Settled" }>, attempt: number) => {
    switch (result._tag) {
      case "WritesFailed":
        return failed(held, result.cause, attempt)
      case "LeaseLost":
        return Effect.logWarning("lease lost before commit: another delivery will complete the job")
      case "CommitFailed": {
        const error = errorInfo(result.cause)
        Metrics.forQueue(held.queue).failed()
        return heartbeat.failed(`commit failed: ${error.tag}: ${error.message}`).pipe(
          Effect.zipRight(Effect.logWarning("commit failed or unconfirmed; the message will be delivered again", error)),
          Effect.zipRight(release(held.queue, [held]))
        )
      }
    }
  }

  return { release, deadLetter, failed, unsettled } as const
}

export type Outcomes = ReturnType<typeof make>
