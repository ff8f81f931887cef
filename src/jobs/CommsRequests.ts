import { SqlClient } from "@effect/sql"
import { Data, Effect, Option } from "effect"
import { randomUUID } from "node:crypto"
import { OptionalCollectorConfig } from "../config/index.js"
import {
  ContactHistory,
  normaliseEmail,
  renderMessage,
  type RenderedMessage,
  toE164
} from "../domain/communications/index.js"
import { PlanRepository } from "../domain/enforcement/index.js"
import { LegalRules } from "../domain/legal/LegalRules.js"
import { Outbox, type OutboxChannel, type OutboxEntry } from "./Outbox.js"

/** What an operator may ask to send; the validation notice comes from a plan. */
export const OperatorMessageKinds = ["initial", "follow_up", "collection_stopped"] as const
export type OperatorMessageKind = (typeof OperatorMessageKinds)[number]

export class MessageRefused extends Data.TaggedError("MessageRefused")<{ readonly message: string; readonly notFound: boolean }> {}

export interface OperatorMessage {
  readonly orgId: string
  readonly judgmentId: string
  readonly channel: OutboxChannel
  readonly kind: OperatorMessageKind
  /** Repeating a request with the same key answers the first message. */
  readonly idempotencyKey: string | null
}

export interface InboundText {
  readonly orgId: string
  /** The debtor's number, as the SMS provider gives it. */
  readonly from: string
  readonly body: string
}

export interface InboundResult {
  readonly optedOut: boolean
  readonly suppressionId: number | null
  readonly debts: ReadonlyArray<string>
  /** The one confirmation text allowed after an opt-out; null without debts or a collector to sign it. */
  readonly confirmation: OutboxEntry | null
}

/** A text that is an opt-out keyword, alone or leading ("Stop please", "opt-out"). */
export const isOptOut = (body: string, keywords: ReadonlyArray<string>) => {
  const text = body.trim().toUpperCase().replace(/[-_]/g, " ").replace(/\s+/g, " ").replace(/[.!]+$/, "")
  return keywords.some((keyword) => text === keyword || text.startsWith(`${keyword} `))
}

/**
 * Messages asked for outside a plan: an operator's request for one debt (rendered from the
 * judgment and its plan in force, written to the outbox with its job), and inbound texts (an
 * opt-out suppresses texts to the number at once, and asks for the one confirmation allowed).
 */
export class CommsRequests extends Effect.Service<CommsRequests>()("jobs/CommsRequests", {
  effect: Effect.gen(function*() {
    const collector = yield* OptionalCollectorConfig
    const legal = yield* LegalRules
    const sql = yield* SqlClient.SqlClient
    const plans = yield* PlanRepository
    const history = yield* ContactHistory
    const outbox = yield* Outbox

    const requireCollector = Option.match(collector, {
      onNone: () =>
        Effect.fail(new MessageRefused({
          message: "messages need the collector's details: set COLLECTOR_NAME, COLLECTOR_ADDRESS, COLLECTOR_PHONE and COLLECTOR_EMAIL",
          notFound: false
        })),
      onSome: Effect.succeed
    })

    const send = Effect.fn("CommsRequests.send")(function*(request: OperatorMessage) {
      const signer = yield* requireCollector
      const parties = (yield* plans.parties(request.orgId, [request.judgmentId])).get(request.judgmentId)
      if (parties === undefined) {
        return yield* new MessageRefused({ message: `no judgment ${request.judgmentId} in organisation ${request.orgId}`, notFound: true })
      }
      const recipient = request.channel === "email" ? normaliseEmail(parties.email) : toE164(parties.phone)
      if (recipient === null) {
        return yield* new MessageRefused({
          message: `judgment ${request.judgmentId} has no ${request.channel === "email" ? "email address" : "US phone number"} on file`,
          notFound: false
        })
      }
      const [amount] = yield* sql<{ readonly cents: string }>`
        SELECT coalesce((SELECT (p.interest ->> 'totalDueCents') FROM dragonfly.enforcement_plans p
          WHERE p.org_id = j.org_id AND p.judgment_id = j.id AND p.status = 'active'), j.current_balance_cents::text) AS cents
        FROM dragonfly.judgments j WHERE j.org_id = ${request.orgId}::uuid AND j.id = ${request.judgmentId}`
      const account = { collector: signer, consumerName: parties.debtorName, accountNumber: parties.caseNumber ?? request.judgmentId }
      const rendered: RenderedMessage = request.kind === "collection_stopped"
        ? renderMessage("collection_stopped", { channel: request.channel, ...account }, legal.communications)
        : renderMessage(request.kind, {
          channel: request.channel,
          ...account,
          currentCreditor: parties.plaintiffName,
          currentAmountCents: Number(amount?.cents ?? 0)
        }, legal.communications)
      return yield* outbox.request({
        orgId: request.orgId,
        judgmentId: request.judgmentId,
        channel: request.channel,
        kind: request.kind,
        recipient,
        subject: rendered.subject,
        body: rendered.body,
        disclosures: rendered.disclosures,
        requestedBy: "api",
        idempotencyKey: `api:${request.idempotencyKey ?? randomUUID()}`
      })
    })

    const inbound = Effect.fn("CommsRequests.inbound")(function*(text: InboundText) {
      const phone = toE164(text.from)
      if (phone === null) {
        return yield* new MessageRefused({ message: `'${text.from}' is not a US phone number`, notFound: false })
      }
      const debts = yield* history.debtsOfPhone(text.orgId, phone)
      if (!isOptOut(text.body, legal.communications.optOut.keywords)) {
        return { optedOut: false, suppressionId: null, debts, confirmation: null } satisfies InboundResult
      }
      return yield* sql.withTransaction(Effect.gen(function*() {
        const suppressionId = yield* history.addSuppression({
          orgId: text.orgId,
          judgmentId: null,
          channel: "sms",
          address: phone,
          reason: "opt_out",
          source: "inbound",
          detail: text.body.slice(0, 200)
        })
        const newest = debts[0]
        if (newest === undefined || Option.isNone(collector)) {
          return { optedOut: true, suppressionId, debts, confirmation: null } satisfies InboundResult
        }
        const rendered = renderMessage("opt_out_confirmation", { collector: collector.value }, legal.communications)
        const confirmation = yield* outbox.request({
          orgId: text.orgId,
          judgmentId: newest,
          channel: "sms",
          kind: "opt_out_confirmation",
          recipient: phone,
          subject: null,
          body: rendered.body,
          disclosures: rendered.disclosures,
          requestedBy: `inbound:${suppressionId}`,
          idempotencyKey: `opt_out_confirmation:${suppressionId}`
        })
        return { optedOut: true, suppressionId, debts, confirmation } satisfies InboundResult
      }))
    })

    return { send, inbound } as const
  }),
  dependencies: [PlanRepository.Default, ContactHistory.Default, Outbox.Default, LegalRules.Default]
}) {}
