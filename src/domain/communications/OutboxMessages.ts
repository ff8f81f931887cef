import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"

export const OutboxStatuses = ["pending", "deferred", "sending", "sent", "blocked", "failed", "review"] as const
export type OutboxStatus = (typeof OutboxStatuses)[number]

/** A row of `dragonfly.outbox`. */
export class OutboxMessage extends Schema.Class<OutboxMessage>("OutboxMessage")({
  id: Schema.String,
  orgId: Schema.String,
  judgmentId: Schema.String,
  taskId: Schema.NullOr(Schema.String),
  channel: Schema.Literal("email", "sms"),
  kind: Schema.String,
  recipient: Schema.String,
  subject: Schema.NullOr(Schema.String),
  body: Schema.String,
  disclosures: Schema.Array(Schema.String),
  templateData: Schema.NullOr(Schema.Unknown),
  status: Schema.Literal(...OutboxStatuses),
  idempotencyKey: Schema.String,
  jobId: Schema.String,
  requestedBy: Schema.String,
  notBefore: Schema.NullOr(Schema.DateFromSelf),
  sendAttempts: Schema.Number,
  deferrals: Schema.Number,
  provider: Schema.NullOr(Schema.String),
  providerMessageId: Schema.NullOr(Schema.String),
  decision: Schema.NullOr(Schema.Unknown),
  blockedRule: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromSelf,
  sendingAt: Schema.NullOr(Schema.DateFromSelf),
  sentAt: Schema.NullOr(Schema.DateFromSelf),
  updatedAt: Schema.DateFromSelf
}) {}

const decodeMessages = Schema.decodeUnknown(Schema.Array(OutboxMessage))

const COLUMNS = `id::text AS "id", org_id::text AS "orgId", judgment_id AS "judgmentId", task_id::text AS "taskId",
  channel, kind, recipient, subject, body, disclosures, template_data AS "templateData", status, idempotency_key AS "idempotencyKey",
  job_id::text AS "jobId", requested_by AS "requestedBy", not_before AS "notBefore", send_attempts AS "sendAttempts",
  deferrals,
  provider, provider_message_id AS "providerMessageId", decision, blocked_rule AS "blockedRule", error,
  created_at AS "createdAt", sending_at AS "sendingAt", sent_at AS "sentAt", updated_at AS "updatedAt"`

/** What the comms guard decided, as stored with the message. */
export interface StoredDecision {
  readonly decision: "allow" | "defer" | "block"
  readonly ruleIds: ReadonlyArray<string>
  readonly reason: string
  readonly evaluated: unknown
  readonly decidedAt: Date
}

/**
 * The outbox rows and their states. A message moves pending → sending → sent, or to deferred
 * (and back), blocked, failed or review (a send whose outcome cannot be known). Statements run on
 * the caller's transaction when it has one.
 */
export class OutboxMessages extends Effect.Service<OutboxMessages>()("communications/OutboxMessages", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const decode = (rows: ReadonlyArray<unknown>) => Effect.orDie(decodeMessages(rows))

    const get = Effect.fn("OutboxMessages.get")(function*(orgId: string, id: string) {
      const rows = yield* sql`SELECT ${sql.literal(COLUMNS)} FROM dragonfly.outbox
        WHERE org_id = ${orgId}::uuid AND id = ${id}::uuid`
      return Option.fromNullable((yield* decode(rows))[0])
    })

    const forJudgment = Effect.fn("OutboxMessages.forJudgment")(function*(orgId: string, judgmentId: string) {
      const rows = yield* sql`SELECT ${sql.literal(COLUMNS)} FROM dragonfly.outbox
        WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId}
        ORDER BY created_at DESC, id LIMIT 500`
      return yield* decode(rows)
    })

    /**
     * Claims the message for a provider call, in its own committed statement, so a crash after the
     * call finds it `sending`. Refused (none) when the message moved on, or when a suppression newer
     * than the guard's reading (`suppressionsSeen`) concerns it: an opt-out that raced the decision.
     */
    const claimForSending = Effect.fn("OutboxMessages.claimForSending")(
      function*(message: OutboxMessage, suppressionsSeen: number) {
        // The text as it goes out: a message rendered again at send time keeps what was sent.
        const rows = yield* sql<{ readonly send_attempts: number }>`
          UPDATE dragonfly.outbox o SET status = 'sending', sending_at = now(), send_attempts = send_attempts + 1,
            subject = ${message.subject}, body = ${message.body}, updated_at = now()
          WHERE o.org_id = ${message.orgId}::uuid AND o.id = ${message.id}::uuid
            AND o.status IN ('pending', 'deferred', 'sending')
            AND NOT EXISTS (
              SELECT 1 FROM dragonfly.comms_suppressions s
              WHERE s.org_id = o.org_id AND s.id > ${suppressionsSeen}
                AND s.channel IN (o.channel, 'all')
                AND (s.address = o.recipient OR s.judgment_id = o.judgment_id))
          RETURNING send_attempts`
        return rows.length > 0
      }
    )

    /** Back to pending: the provider surely did not take it (it was unreachable, or refused to answer at once). */
    const unclaim = Effect.fn("OutboxMessages.unclaim")(function*(message: OutboxMessage, error: string) {
      yield* sql`UPDATE dragonfly.outbox SET status = 'pending', error = ${error}, updated_at = now()
        WHERE org_id = ${message.orgId}::uuid AND id = ${message.id}::uuid AND status = 'sending'`
    })

    const decisionJson = (decision: StoredDecision) =>
      JSON.stringify({
        decision: decision.decision,
        rule_ids: decision.ruleIds,
        reason: decision.reason,
        evaluated: decision.evaluated,
        decided_at: decision.decidedAt.toISOString()
      })

    const markSent = Effect.fn("OutboxMessages.markSent")(
      function*(message: OutboxMessage, receipt: { readonly provider: string; readonly providerMessageId: string }, decision: StoredDecision) {
        yield* sql`UPDATE dragonfly.outbox SET status = 'sent', sent_at = ${decision.decidedAt}, provider = ${receipt.provider},
            provider_message_id = ${receipt.providerMessageId}, decision = ${decisionJson(decision)}::jsonb,
            error = NULL, updated_at = now()
          WHERE org_id = ${message.orgId}::uuid AND id = ${message.id}::uuid`
      }
    )

    const markBlocked = Effect.fn("OutboxMessages.markBlocked")(
      function*(message: OutboxMessage, ruleId: string, decision: StoredDecision) {
        yield* sql`UPDATE dragonfly.outbox SET status = 'blocked', blocked_rule = ${ruleId},
            decision = ${decisionJson(decision)}::jsonb, updated_at = now()
          WHERE org_id = ${message.orgId}::uuid AND id = ${message.id}::uuid`
      }
    )

    /** Answers the number of this deferral (1 on the first), which keys its job. */
    const markDeferred = Effect.fn("OutboxMessages.markDeferred")(
      function*(message: OutboxMessage, until: Date, decision: StoredDecision) {
        const [row] = yield* sql<{ readonly deferrals: number }>`
          UPDATE dragonfly.outbox SET status = 'deferred', not_before = ${until}, deferrals = deferrals + 1,
            decision = ${decisionJson(decision)}::jsonb, updated_at = now()
          WHERE org_id = ${message.orgId}::uuid AND id = ${message.id}::uuid
          RETURNING deferrals`
        return row?.deferrals ?? 0
      }
    )

    /** Ended without a send: refused by the provider (`failed`) or needing a person (`review`). */
    const markEnded = Effect.fn("OutboxMessages.markEnded")(
      function*(message: OutboxMessage, status: "failed" | "review", error: string) {
        yield* sql`UPDATE dragonfly.outbox SET status = ${status}, error = ${error}, updated_at = now()
          WHERE org_id = ${message.orgId}::uuid AND id = ${message.id}::uuid`
      }
    )

    return { get, forJudgment, claimForSending, unclaim, markSent, markBlocked, markDeferred, markEnded } as const
  })
}) {}
