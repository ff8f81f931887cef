import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Option } from "effect"
import { Clock } from "effect"
import { ContactHistory, type OutboxMessage, OutboxMessages } from "../../domain/communications/index.js"
import { CommsRequests } from "../../jobs/CommsRequests.js"
import { Api } from "../Api.js"
import { BadRequest, NotFound } from "../errors.js"
import { DebtorEventRecorded, InboundAccepted, MessageAccepted, OutboxMessageList, OutboxMessageView } from "../schemas.js"

const view = (message: OutboxMessage) =>
  new OutboxMessageView({
    outbox_id: message.id,
    org_id: message.orgId,
    judgment_id: message.judgmentId,
    task_id: message.taskId,
    channel: message.channel,
    kind: message.kind,
    recipient: message.recipient,
    subject: message.subject,
    body: message.body,
    status: message.status,
    job_id: message.jobId,
    requested_by: message.requestedBy,
    not_before: message.notBefore,
    send_attempts: message.sendAttempts,
    deferrals: message.deferrals,
    provider: message.provider,
    provider_message_id: message.providerMessageId,
    blocked_rule: message.blockedRule,
    decision: message.decision,
    error: message.error,
    created_at: message.createdAt,
    sent_at: message.sentAt
  })

export const CommsLive = HttpApiBuilder.group(Api, "comms", (handlers) =>
  Effect.gen(function*() {
    const messages = yield* OutboxMessages
    const requests = yield* CommsRequests
    const history = yield* ContactHistory
    return handlers
      .handle("messages", ({ path, urlParams }) =>
        messages.forJudgment(urlParams.org_id, path.id).pipe(
          Effect.orDie,
          Effect.map((all) => new OutboxMessageList({ messages: all.map(view) }))
        ))
      .handle("message", ({ path, urlParams }) =>
        messages.get(urlParams.org_id, path.id).pipe(
          Effect.orDie,
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(new NotFound({ message: `no message ${path.id} in organisation ${urlParams.org_id}` })),
            onSome: (message) => Effect.succeed(view(message))
          }))
        ))
      .handle("send", ({ payload }) =>
        requests.send({
          orgId: payload.org_id,
          judgmentId: payload.judgment_id,
          channel: payload.channel,
          kind: payload.kind,
          idempotencyKey: payload.idempotency_key ?? null
        }).pipe(
          Effect.map((entry) => new MessageAccepted({ outbox_id: entry.outboxId, job_id: entry.jobId, created: entry.created })),
          Effect.catchTags({
            MessageRefused: (refused) =>
              refused.notFound ? new NotFound({ message: refused.message }) : new BadRequest({ message: refused.message }),
            SqlError: Effect.die
          })
        ))
      .handle("event", ({ payload }) =>
        Effect.gen(function*() {
          const at = payload.at ?? new Date(yield* Clock.currentTimeMillis)
          const event = payload.event.type === "call_attempt"
            ? { type: "call_attempt" as const, connected: payload.event.connected, consented: payload.event.consented ?? false }
            : payload.event
          yield* history.record(payload.org_id, payload.judgment_id, event, at, payload.source ?? "api")
          return new DebtorEventRecorded({ judgment_id: payload.judgment_id, type: payload.event.type, at })
        }).pipe(
          Effect.catchTags({
            DebtNotFound: (error) => new NotFound({ message: error.message }),
            SqlError: Effect.die
          })
        ))
      .handle("inbound", ({ payload }) =>
        requests.inbound({ orgId: payload.org_id, from: payload.from, body: payload.body }).pipe(
          Effect.map((result) =>
            new InboundAccepted({
              opted_out: result.optedOut,
              suppression_id: result.suppressionId,
              debts: result.debts,
              confirmation_outbox_id: result.confirmation?.outboxId ?? null
            })
          ),
          Effect.catchTags({
            MessageRefused: (refused) => new BadRequest({ message: refused.message }),
            SqlError: Effect.die
          })
        ))
  }))
