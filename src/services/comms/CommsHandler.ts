import { SqlClient } from "@effect/sql"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import {
  commsGuard,
  ContactHistory,
  type DisclosureId,
  type GuardDecision,
  MessageKinds,
  OutboxMessage,
  OutboxMessages,
  renderMessage,
  type StoredDecision,
  type ValidationNoticeData
} from "../../domain/communications/index.js"
import { calendarDate } from "../../domain/calendar.js"
import { LegalRules } from "../../domain/legal/LegalRules.js"
import { CommsPayload, Outbox } from "../../jobs/Outbox.js"
import { JobRequests } from "../../jobs/JobRequests.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { JobHandler, type Job, makeJobHandler, noWrites, Permanent, Retryable, type Writes } from "../../runtime/index.js"
import { Channels, ChannelsLive, requireChannels, type SendReceipt } from "./channels/index.js"

const isMessageKind = Schema.is(Schema.Literal(...MessageKinds))

const stored = (decision: GuardDecision, decidedAt: Date): StoredDecision => {
  switch (decision._tag) {
    case "Allow":
      return { decision: "allow", ruleIds: [], reason: "every rule passed", evaluated: decision.evaluated, decidedAt }
    case "Defer":
      return { decision: "defer", ruleIds: decision.ruleIds, reason: decision.reason, evaluated: decision.evaluated, decidedAt }
    case "Block":
      return { decision: "block", ruleIds: [decision.ruleId], reason: decision.reason, evaluated: decision.evaluated, decidedAt }
  }
}

/** Every decision is logged with the rule ids and the config values each rule used. */
const logDecision = (message: OutboxMessage, decision: GuardDecision) => {
  const summary = decision._tag === "Allow"
    ? "allow"
    : decision._tag === "Defer"
    ? `defer until ${decision.until.toISOString()} (${decision.ruleIds.join(", ")}): ${decision.reason}`
    : `block (${decision.ruleId}): ${decision.reason}`
  return Effect.logInfo(`comms guard: ${summary}`).pipe(
    Effect.annotateLogs({
      outbox_id: message.id,
      channel: message.channel,
      kind: message.kind,
      rules: JSON.stringify(decision.evaluated.map((rule) => ({ rule: rule.ruleId, outcome: rule.outcome, detail: rule.detail, config: rule.config })))
    })
  )
}

/**
 * `comms_outbound` jobs: send one outbox message, at most once. The comms guard decides at send
 * time (allow, defer to an instant, block with a rule id). An allowed message is claimed
 * (`sending`, committed) before the provider call and recorded `sent` with the acknowledgement, so
 * a crash between the two finds it `sending`: sent again under the same idempotency key when the
 * channel deduplicates, otherwise left for a person (`review`), never sent twice.
 */
export const CommsHandlerLive = Layer.effect(
  JobHandler,
  Effect.gen(function*() {
    const messages = yield* OutboxMessages
    const history = yield* ContactHistory
    const outbox = yield* Outbox
    const channels = yield* Channels
    const legal = yield* LegalRules
    const sql = yield* SqlClient.SqlClient

    /** The validation notice states its own validation period: rendered for the day it goes out. */
    const datedBySending = (message: OutboxMessage, now: Date) => {
      if (message.kind !== "validation_notice" || message.templateData === null || message.status === "sending") return message
      const data = message.templateData as ValidationNoticeData
      const sentOn = calendarDate(now, legal.communications.businessTimeZone)
      if (data.sentOn === sentOn) return message
      const fresh = renderMessage("validation_notice", { ...data, sentOn }, legal.communications)
      return new OutboxMessage({ ...message, subject: fresh.subject, body: fresh.body, disclosures: fresh.disclosures })
    }

    const recordSent = (message: OutboxMessage, receipt: SendReceipt, decision: StoredDecision): Writes =>
      Effect.gen(function*() {
        yield* messages.markSent(message, receipt, decision)
        yield* history.appendAttempt({
          orgId: message.orgId,
          judgmentId: message.judgmentId,
          medium: message.channel,
          direction: "outbound",
          kind: message.kind === "opt_out_confirmation" ? "opt_out_confirmation" : "attempt",
          connected: true,
          outboxId: message.id,
          detail: `${receipt.provider} ${receipt.providerMessageId}${receipt.duplicate ? " (repeated key: the provider had it)" : ""}`,
          at: decision.decidedAt
        })
        yield* history.noteSent(message.orgId, message.judgmentId, message.kind, decision.decidedAt)
      })

    const send = (message: OutboxMessage, decision: StoredDecision) =>
      channels.send({
        channel: message.channel,
        outboxId: message.id,
        idempotencyKey: `outbox:${message.id}`,
        to: message.recipient,
        subject: message.subject,
        body: message.body
      }).pipe(
        Effect.tap((receipt) => Effect.logInfo(`sent ${message.kind} by ${message.channel} (${receipt.provider})`)),
        Effect.map((receipt) => recordSent(message, receipt, decision)),
        Effect.catchTags({
          SendRejected: (error) => Effect.succeed<Writes>(messages.markEnded(message, "failed", error.message)),
          SendUnavailable: (error) =>
            Effect.zipRight(messages.unclaim(message, error.message), new Retryable({ message: `${message.channel} unavailable: ${error.message}` })),
          SendOutcomeUnknown: (error) =>
            channels.deduplicates(message.channel)
              ? new Retryable({ message: `${message.channel} send outcome unknown, sent again under the same key: ${error.message}` })
              : Effect.succeed<Writes>(messages.markEnded(
                message,
                "review",
                `the provider may have taken it (${error.message}); ${message.channel} cannot deduplicate, so a person decides`
              ))
        })
      )

    const handle = Effect.fn("CommsHandler.handle")(function*(job: Job<typeof CommsPayload.Type>) {
      const orgId = job.envelope.org_id
      const found = yield* messages.get(orgId, job.payload.outbox_id)
      if (Option.isNone(found)) {
        return yield* new Permanent({ message: `outbox message ${job.payload.outbox_id} not found in organisation ${orgId}` })
      }
      const now = new Date(yield* Clock.currentTimeMillis)
      const message = datedBySending(found.value, now)
      yield* Effect.annotateCurrentSpan({ outbox_id: message.id, status: message.status })
      if (message.status === "sent" || message.status === "blocked" || message.status === "failed" || message.status === "review") {
        yield* Effect.logInfo(`outbox message already ${message.status}`)
        return noWrites
      }
      if (message.status === "sending") {
        if (!channels.deduplicates(message.channel)) {
          return messages.markEnded(
            message,
            "review",
            "an earlier delivery stopped between the provider call and its record: it may have been sent, and this channel cannot tell"
          )
        }
        yield* Effect.logWarning("an earlier delivery stopped while sending: sending again under the same key")
        return yield* send(message, { decision: "allow", ruleIds: [], reason: "allowed before the interrupted send", evaluated: [], decidedAt: now })
      }
      const kind = message.kind
      if (!isMessageKind(kind)) return yield* new Permanent({ message: `unknown message kind '${kind}'` })
      // Decided and claimed under the debt's lock: see ContactHistory.load.
      const decided = yield* sql.withTransaction(Effect.gen(function*() {
        const { context, suppressionsSeen } = yield* history.load(orgId, message.judgmentId, now)
        const decision = commsGuard(
          {
            channel: message.channel,
            kind,
            body: message.body,
            subject: message.subject,
            recipient: message.recipient,
            disclosures: message.disclosures as ReadonlyArray<DisclosureId>
          },
          context,
          now,
          legal.communications
        )
        const claimed = decision._tag === "Allow" ? yield* messages.claimForSending(message, suppressionsSeen) : false
        return { decision, claimed }
      })).pipe(Effect.catchTag("DebtNotFound", (error) => new Permanent({ message: error.message })))
      const { claimed, decision } = decided
      yield* logDecision(message, decision)
      const record = stored(decision, now)
      switch (decision._tag) {
        case "Block":
          return messages.markBlocked(message, decision.ruleId, record)
        case "Defer": {
          const delaySeconds = Math.max(1, Math.ceil((decision.until.getTime() - now.getTime()) / 1000))
          return Effect.gen(function*() {
            const deferral = yield* messages.markDeferred(message, decision.until, record)
            yield* outbox.reschedule(orgId, message.id, deferral, delaySeconds, job.envelope.trace_id)
          })
        }
        case "Allow": {
          if (!claimed) {
            return yield* new Retryable({ message: "a suppression arrived while the rules were read: deciding again" })
          }
          return yield* send(message, record)
        }
      }
    })

    return makeJobHandler({
      payload: CommsPayload,
      handle: (job) =>
        handle(job).pipe(
          Effect.catchTag("SqlError", (error) => new Retryable({ message: `database error: ${error.message}` }))
        )
    })
  })
)

export const CommsDependencies = Layer.mergeAll(OutboxMessages.Default, ContactHistory.Default, Outbox.Default).pipe(
  Layer.provideMerge(JobRequests.Default),
  Layer.provideMerge(QueueDirectory.Default.pipe(Layer.provideMerge(PgmqQueue.Default)))
)

/** `node bin/worker.js comms`: refuses to start when no channel can deliver (no SMTP, no SMS, no capture). */
export const CommsServiceLive = Layer.unwrapEffect(Effect.gen(function*() {
  const channels = yield* Channels
  const available = yield* requireChannels
  const where = channels.describe()
  yield* Effect.logInfo(`channels: email → ${where.email}; sms → ${where.sms}`).pipe(
    Effect.annotateLogs({ available: available.join(",") })
  )
  return CommsHandlerLive.pipe(Layer.provide(CommsDependencies), Layer.provide(LegalRules.Default))
})).pipe(Layer.provide(ChannelsLive))
