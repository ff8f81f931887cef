import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Ref } from "effect"
import { calendarDate } from "../src/domain/calendar.js"
import {
  defaultCommsRules,
  formatLongDate,
  OutboxMessages,
  renderMessage,
  type ValidationNoticeData,
  validationPeriodEnd
} from "../src/domain/communications/index.js"
import { CommsRequests } from "../src/jobs/CommsRequests.js"
import { JobRequests } from "../src/jobs/JobRequests.js"
import { Outbox } from "../src/jobs/Outbox.js"
import { LegalRulesConfig, OptionalCollectorConfig } from "../src/config/index.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { QueueDirectory } from "../src/queue/QueueDirectory.js"
import { clockAt, nextNewYorkNoon } from "./support/clock.js"
import { smsServer } from "./support/smsServer.js"
import { smtpServer } from "./support/smtpServer.js"
import { collectorSettings, eventually, ORG, recordedAlerts, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const SID = "AC0123456789abcdef0123456789abcdef"
const TOKEN = "sms-token-0123456789"
const PHONE = "+15185550142"
const FROM = "Example Recovery LLP <collections@example.com>"

/** Noon in New York today: inside every contact-hour window of Albany (518). */
// Noon, and after the opt-outs and events the database records during a test (see nextNewYorkNoon).
const atNoonInNewYork = () => clockAt(nextNewYorkNoon())

/** j-1: a consumer in Albany, validated a week ago, who agreed to texts and emails in writing. */
const seed = (options: { readonly smsConsent: boolean }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO dragonfly.plaintiffs (org_id, id, name) VALUES (${ORG}::uuid, 'p-1', 'Example Funding LLC (TEST)')`
    yield* sql`INSERT INTO dragonfly.judgments ${
      sql.insert({
        org_id: ORG,
        id: "j-1",
        plaintiff_id: "p-1",
        source: "test",
        case_number: "CASE-1",
        account_type: "N",
        judgment_date: "2025-01-15",
        judgment_amount_cents: 500_000,
        current_balance_cents: 500_000,
        debtor_first_name: "Pat",
        debtor_last_name: "Example",
        debtor_city: "Albany",
        debtor_state: "NY",
        debtor_zip: "12210",
        debtor_county: "Albany",
        debtor_phone: "(518) 555-0142",
        debtor_email: "pat@example.com"
      })
    }`
    yield* sql`INSERT INTO dragonfly.comms_accounts (org_id, judgment_id, initial_communication_at, validation_notice_sent_at)
      VALUES (${ORG}::uuid, 'j-1', now() - interval '7 days', now() - interval '7 days')`
    if (options.smsConsent) {
      yield* sql`INSERT INTO dragonfly.comms_consents (org_id, judgment_id, channel, kind, address, given_at, source)
        VALUES (${ORG}::uuid, 'j-1', 'sms', 'prior_express', ${PHONE}, now() - interval '30 days', 'test'),
               (${ORG}::uuid, 'j-1', 'sms', 'written', ${PHONE}, now() - interval '30 days', 'test')`
    }
  })

const followUp = (channel: "email" | "sms", key: string) =>
  Effect.flatMap(Outbox, (outbox) => {
    const message = renderMessage("follow_up", {
      channel,
      collector: collectorSettings,
      consumerName: "Pat Example",
      accountNumber: "CASE-1",
      currentCreditor: "Example Funding LLC (TEST)",
      currentAmountCents: 500_000
    })
    return outbox.request({
      orgId: ORG,
      judgmentId: "j-1",
      channel,
      kind: "follow_up",
      recipient: channel === "sms" ? PHONE : "pat@example.com",
      subject: message.subject,
      body: message.body,
      disclosures: message.disclosures,
      requestedBy: "test",
      idempotencyKey: key
    })
  })

const statusOf = (outboxId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ status: string; blocked_rule: string | null; provider_message_id: string | null; error: string | null }>`
        SELECT status, blocked_rule, provider_message_id, error FROM dragonfly.outbox WHERE id = ${outboxId}::uuid`,
      (rows) => rows[0]!
    ))

const settledStatus = (outboxId: string) =>
  Effect.zipRight(
    eventually(Effect.map(statusOf(outboxId), (row) => !["pending", "sending", "deferred"].includes(row.status)), "30 seconds"),
    statusOf(outboxId)
  )

/** The outbox and the operator's requests, as the API has them. */
const Requests = Layer.mergeAll(Outbox.Default, CommsRequests.Default, OutboxMessages.Default).pipe(
  Layer.provide(Layer.succeed(OptionalCollectorConfig, Option.some(collectorSettings))),
  Layer.provide(Layer.succeed(LegalRulesConfig, { directory: Option.none() })),
  Layer.provideMerge(JobRequests.Default),
  Layer.provideMerge(QueueDirectory.Default)
)

const Infrastructure = Requests.pipe(
  Layer.provideMerge(Layer.mergeAll(PgmqQueue.Default, recordedAlerts)),
  Layer.provideMerge(TestDatabase.layer())
)

const smsSettings = (url: URL) => Option.some({ apiUrl: url, accountSid: SID, authToken: Redacted.make(TOKEN), from: "+15185550100" })

describe("comms worker", () => {
  it.live("a send whose record was lost: an email goes to review and is never sent twice; a deduplicating SMS provider keeps one message", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed({ smsConsent: true })
      const smtp = yield* smtpServer()
      const sms = yield* smsServer({ accountSid: SID, authToken: TOKEN })
      const email = yield* followUp("email", "crash-email")
      const text = yield* followUp("sms", "crash-sms")
      // The earlier deliveries claimed both and reached the providers (the SMS one, at least), then died.
      const earlier = yield* Effect.tryPromise(() =>
        fetch(new URL(`/2010-04-01/Accounts/${SID}/Messages.json`, sms.url), {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
            "i-twilio-idempotency-token": `outbox:${text.outboxId}`
          },
          body: new URLSearchParams({ To: PHONE, From: "+15185550100", Body: "the earlier send" })
        }).then((response) => response.json() as Promise<{ sid: string }>)
      )
      yield* sql`UPDATE dragonfly.outbox SET status = 'sending', sending_at = now(), send_attempts = 1
        WHERE id IN (${email.outboxId}::uuid, ${text.outboxId}::uuid)`
      yield* Layer.build(
        serviceWorker("comms", {}, {}, {
          comms: {
            email: Option.some({ smtpUrl: Redacted.make(smtp.url()), from: FROM }),
            sms: smsSettings(sms.url),
            smsDeduplicates: true
          }
        }).pipe(Layer.provide(atNoonInNewYork()))
      )
      const emailed = yield* settledStatus(email.outboxId)
      assert.strictEqual(emailed.status, "review")
      assert.include(emailed.error, "may have been sent")
      assert.lengthOf(yield* Ref.get(smtp.received), 0)
      const texted = yield* settledStatus(text.outboxId)
      assert.deepInclude(texted, { status: "sent", provider_message_id: earlier.sid })
      assert.lengthOf(yield* Ref.get(sms.messages), 1)
      assert.strictEqual((yield* sms.sendsPerToken).get(`outbox:${text.outboxId}`), 2)
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 60_000 })

  it.live("STOP stops texts at once and allows one confirmation; a text without consent is blocked (C6)", () =>
    Effect.gen(function*() {
      yield* seed({ smsConsent: true })
      const sms = yield* smsServer({ accountSid: SID, authToken: TOKEN })
      const requests = yield* CommsRequests
      const pending = yield* followUp("sms", "before-stop")
      const stop = yield* requests.inbound({ orgId: ORG, from: "518-555-0142", body: "Stop" })
      assert.isTrue(stop.optedOut)
      assert.deepStrictEqual(stop.debts, ["j-1"])
      assert.isNotNull(stop.confirmation)
      const notStop = yield* requests.inbound({ orgId: ORG, from: PHONE, body: "Can you call me tomorrow?" })
      assert.isFalse(notStop.optedOut)
      const again = yield* requests.inbound({ orgId: ORG, from: PHONE, body: "STOP" })
      yield* Layer.build(
        serviceWorker("comms", {}, {}, { comms: { sms: smsSettings(sms.url) } }).pipe(Layer.provide(atNoonInNewYork()))
      )
      const blocked = yield* settledStatus(pending.outboxId)
      assert.strictEqual(blocked.status, "blocked")
      assert.include(["C4", "C5"], blocked.blocked_rule)
      const confirmed = yield* settledStatus(stop.confirmation!.outboxId)
      const second = yield* settledStatus(again.confirmation!.outboxId)
      // The two confirmations race for the one allowed: exactly one is sent.
      assert.sameMembers([confirmed.status, second.status], ["sent", "blocked"])
      assert.lengthOf(yield* Ref.get(sms.messages), 1)
      assert.include((yield* Ref.get(sms.messages))[0]!.body, "You have opted out")

      const sql = yield* SqlClient.SqlClient
      yield* sql`DELETE FROM dragonfly.comms_suppressions`
      yield* sql`DELETE FROM dragonfly.comms_consents`
      const noConsent = yield* followUp("sms", "no-consent")
      assert.deepInclude(yield* settledStatus(noConsent.outboxId), { status: "blocked", blocked_rule: "C6" })
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 60_000 })

  it.effect("an opt-out that lands between the rules' reading and the send refuses the claim", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed({ smsConsent: true })
      const entry = yield* followUp("sms", "race")
      const messages = yield* OutboxMessages
      const message = Option.getOrThrow(yield* messages.get(ORG, entry.outboxId))
      const [seen] = yield* sql<{ id: string | null }>`SELECT max(id)::text AS id FROM dragonfly.comms_suppressions`
      yield* sql`INSERT INTO dragonfly.comms_suppressions (org_id, channel, address, reason, source)
        VALUES (${ORG}::uuid, 'sms', ${PHONE}, 'opt_out', 'test')`
      assert.isFalse(yield* messages.claimForSending(message, Number(seen?.id ?? 0)))
      assert.strictEqual((yield* statusOf(entry.outboxId)).status, "pending")
      const [latest] = yield* sql<{ id: string }>`SELECT max(id)::text AS id FROM dragonfly.comms_suppressions`
      assert.isTrue(yield* messages.claimForSending(message, Number(latest!.id)))
      assert.strictEqual((yield* statusOf(entry.outboxId)).status, "sending")
    }).pipe(Effect.provide(Infrastructure)))

  it.live("a validation notice planned days ago is rendered again for the day it is sent: its validation period runs from then", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed({ smsConsent: false })
      yield* sql`UPDATE dragonfly.comms_accounts SET initial_communication_at = NULL, validation_notice_sent_at = NULL`
      const smtp = yield* smtpServer()
      const planned = calendarDate(new Date(Date.now() - 3 * 86_400_000), "America/New_York")
      const data: ValidationNoticeData = {
        collector: collectorSettings,
        consumer: { name: "Pat Example", mailingAddress: "12 Lark St, Albany, NY 12210", state: "NY" },
        accountNumber: "CASE-1",
        creditorOnItemizationDate: "Example Funding LLC (TEST)",
        currentCreditor: "Example Funding LLC (TEST)",
        itemizationDate: "2025-01-15",
        amountOnItemizationDateCents: 500_000,
        itemization: { interestCents: 0, feesCents: 0, paymentsCents: 0, creditsCents: 0 },
        sentOn: planned
      }
      const notice = renderMessage("validation_notice", data)
      const entry = yield* Effect.flatMap(Outbox, (outbox) =>
        outbox.request({
          orgId: ORG,
          judgmentId: "j-1",
          channel: "email",
          kind: "validation_notice",
          recipient: "pat@example.com",
          subject: notice.subject,
          body: notice.body,
          disclosures: notice.disclosures,
          templateData: data,
          requestedBy: "test",
          idempotencyKey: "stale-notice"
        }))
      const noon = nextNewYorkNoon()
      yield* Layer.build(
        serviceWorker("comms", {}, {}, { comms: { email: Option.some({ smtpUrl: Redacted.make(smtp.url()), from: FROM }) } }).pipe(
          Layer.provide(clockAt(noon))
        )
      )
      assert.strictEqual((yield* settledStatus(entry.outboxId)).status, "sent")
      const today = calendarDate(noon, "America/New_York")
      const [sent] = yield* Ref.get(smtp.received)
      assert.include(sent!.body, formatLongDate(validationPeriodEnd(today, defaultCommsRules)))
      assert.notInclude(sent!.body, formatLongDate(validationPeriodEnd(planned, defaultCommsRules)))
      const [stored] = yield* sql<{ body: string }>`SELECT body FROM dragonfly.outbox WHERE id = ${entry.outboxId}::uuid`
      assert.include(stored!.body, formatLongDate(validationPeriodEnd(today, defaultCommsRules)))
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 60_000 })
})
