import { SqlClient } from "@effect/sql"
import { Data, Effect, Schema } from "effect"
import { isBusinessDebtor } from "../judgments/index.js"
import { normaliseEmail, toE164 } from "./addresses.js"
import type { ContactAttempt, GuardContext } from "./guard.js"
import { isNewYorkCity } from "./guard.js"

export class DebtNotFound extends Data.TaggedError("DebtNotFound")<{ readonly orgId: string; readonly judgmentId: string }> {
  override get message() {
    return `judgment ${this.judgmentId} not found in organisation ${this.orgId}`
  }
}

/** How far back the ledger is read: the longest window of the rules (7 days after a conversation, 7 in 7) with room. */
const LOOKBACK_DAYS = 31

const DebtRow = Schema.Struct({
  accountType: Schema.NullOr(Schema.String),
  debtorFirstName: Schema.NullOr(Schema.String),
  debtorLastName: Schema.NullOr(Schema.String),
  debtorCompanyName: Schema.NullOr(Schema.String),
  state: Schema.NullOr(Schema.String),
  zip: Schema.NullOr(Schema.String),
  county: Schema.NullOr(Schema.String),
  city: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String),
  email: Schema.NullOr(Schema.String),
  bankruptcy: Schema.NullOr(Schema.Literal("none", "open", "discharged", "dismissed")),
  bankruptcyReaffirmed: Schema.Boolean,
  deceased: Schema.Boolean,
  emailConsented: Schema.Boolean,
  emailConsentAt: Schema.NullOr(Schema.DateFromSelf),
  ratePercent: Schema.NullOr(Schema.NumberFromString),
  initialCommunicationAt: Schema.NullOr(Schema.DateFromSelf),
  validationNoticeSentAt: Schema.NullOr(Schema.DateFromSelf),
  disputeReceivedAt: Schema.NullOr(Schema.DateFromSelf),
  verificationMailedAt: Schema.NullOr(Schema.DateFromSelf),
  ceaseRequestedAt: Schema.NullOr(Schema.DateFromSelf),
  attorneyRepresentedAt: Schema.NullOr(Schema.DateFromSelf)
})
const SuppressionRow = Schema.Struct({
  id: Schema.NumberFromString,
  channel: Schema.Literal("email", "sms", "call", "all"),
  address: Schema.NullOr(Schema.String),
  reason: Schema.Literal("opt_out", "cease", "attorney", "do_not_use"),
  at: Schema.DateFromSelf
})
const ConsentRow = Schema.Struct({
  channel: Schema.Literal("email", "sms", "call"),
  kind: Schema.Literal("written", "prior_express"),
  givenAt: Schema.DateFromSelf,
  revokedAt: Schema.NullOr(Schema.DateFromSelf)
})
const AttemptRow = Schema.Struct({
  medium: Schema.Literal("call", "sms", "email", "letter"),
  direction: Schema.Literal("outbound", "inbound"),
  kind: Schema.Literal("attempt", "conversation", "opt_out_confirmation"),
  connected: Schema.Boolean,
  consentedCall: Schema.Boolean,
  at: Schema.DateFromSelf
})
const decodeDebt = Schema.decodeUnknown(Schema.Array(DebtRow))
const decodeSuppressions = Schema.decodeUnknown(Schema.Array(SuppressionRow))
const decodeConsents = Schema.decodeUnknown(Schema.Array(ConsentRow))
const decodeAttempts = Schema.decodeUnknown(Schema.Array(AttemptRow))

export interface LoadedContext {
  readonly context: GuardContext
  /** The newest suppression read: a send is refused if a newer one concerns it (see OutboxMessages). */
  readonly suppressionsSeen: number
}

export interface NewAttempt {
  readonly orgId: string
  readonly judgmentId: string
  readonly medium: ContactAttempt["medium"]
  readonly direction: ContactAttempt["direction"]
  readonly kind: ContactAttempt["kind"]
  readonly connected: boolean
  readonly outboxId: string | null
  readonly detail: string | null
  readonly at: Date
}

/** What a debtor said or did that the comms rules read, as an operator records it. */
export type DebtorEvent =
  | { readonly type: "consent"; readonly channel: "email" | "sms" | "call"; readonly kind: "written" | "prior_express" }
  | { readonly type: "consent_revoked"; readonly channel: "email" | "sms" | "call" }
  | { readonly type: "do_not_use"; readonly channel: "email" | "sms" | "call" }
  | { readonly type: "cease" }
  | { readonly type: "attorney" }
  | { readonly type: "dispute" }
  | { readonly type: "verification_mailed" }
  | { readonly type: "conversation" }
  | { readonly type: "call_attempt"; readonly connected: boolean; readonly consented: boolean }

export interface NewSuppression {
  readonly orgId: string
  readonly judgmentId: string | null
  readonly channel: "email" | "sms" | "call" | "all"
  readonly address: string | null
  readonly reason: "opt_out" | "cease" | "attorney" | "do_not_use"
  readonly source: string
  readonly detail: string | null
}

/**
 * What the comms rules read about a debt and its debtor: who and where they are, the legal gates,
 * what they asked for (suppressions) and agreed to (consents), the per-debt dates, and the
 * append-only ledger of contact attempts. One debt is one judgment; its debtor is the person.
 */
export class ContactHistory extends Effect.Service<ContactHistory>()("communications/ContactHistory", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /**
     * Run it in a transaction that also claims the message: the debt's row is locked, so two
     * messages about one debt are decided one after the other, and messages claimed but not yet
     * recorded (`sending`) count as attempts.
     */
    const load = Effect.fn("ContactHistory.load")(function*(orgId: string, judgmentId: string, now: Date) {
      yield* sql`INSERT INTO dragonfly.comms_accounts (org_id, judgment_id)
        SELECT org_id, id FROM dragonfly.judgments WHERE org_id = ${orgId}::uuid AND id = ${judgmentId}
        ON CONFLICT (org_id, judgment_id) DO NOTHING`
      yield* sql`SELECT 1 FROM dragonfly.comms_accounts WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId} FOR UPDATE`
      const debts = yield* sql`
        SELECT j.account_type AS "accountType", j.debtor_first_name AS "debtorFirstName",
          j.debtor_last_name AS "debtorLastName", j.debtor_company_name AS "debtorCompanyName",
          j.debtor_state AS state, j.debtor_zip AS zip, coalesce(j.debtor_county, j.court_county) AS county,
          j.debtor_city AS city, j.debtor_phone AS phone, j.debtor_email AS email,
          f.bankruptcy_status AS bankruptcy, coalesce(f.bankruptcy_reaffirmed, false) AS "bankruptcyReaffirmed",
          coalesce(f.deceased, false) AS deceased, coalesce(f.email_consented, false) AS "emailConsented",
          f.email_consent_at::timestamptz AS "emailConsentAt",
          (SELECT p.rate_percent::text FROM dragonfly.enforcement_plans p
            WHERE p.org_id = j.org_id AND p.judgment_id = j.id AND p.status = 'active') AS "ratePercent",
          a.initial_communication_at AS "initialCommunicationAt", a.validation_notice_sent_at AS "validationNoticeSentAt",
          a.dispute_received_at AS "disputeReceivedAt", a.verification_mailed_at AS "verificationMailedAt",
          a.cease_requested_at AS "ceaseRequestedAt", a.attorney_represented_at AS "attorneyRepresentedAt"
        FROM dragonfly.judgments j
        LEFT JOIN dragonfly.judgment_facts f ON f.org_id = j.org_id AND f.judgment_id = j.id
        LEFT JOIN dragonfly.comms_accounts a ON a.org_id = j.org_id AND a.judgment_id = j.id
        WHERE j.org_id = ${orgId}::uuid AND j.id = ${judgmentId}`
      const [debt] = yield* Effect.orDie(decodeDebt(debts))
      if (debt === undefined) return yield* new DebtNotFound({ orgId, judgmentId })
      const phone = toE164(debt.phone)
      const email = normaliseEmail(debt.email)
      const addresses = [phone, email].filter((a): a is string => a !== null)
      const suppressions = yield* Effect.orDie(decodeSuppressions(
        yield* sql`
          SELECT id::text, channel, address, reason, created_at AS at FROM dragonfly.comms_suppressions
          WHERE org_id = ${orgId}::uuid
            AND (judgment_id = ${judgmentId} OR (judgment_id IS NULL AND address = ANY(${addresses}::text[])))
          ORDER BY id`
      ))
      const consents = yield* Effect.orDie(decodeConsents(
        yield* sql`
          SELECT channel, kind, given_at AS "givenAt", revoked_at AS "revokedAt" FROM dragonfly.comms_consents
          WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId}`
      ))
      const since = new Date(now.getTime() - LOOKBACK_DAYS * 86_400_000)
      const attempts = yield* Effect.orDie(decodeAttempts(
        yield* sql`
          SELECT medium, direction, kind, connected, consented_call AS "consentedCall", occurred_at AS at
          FROM dragonfly.contact_attempts
          WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId} AND occurred_at >= ${since}
          UNION ALL
          SELECT channel, 'outbound', CASE WHEN kind = 'opt_out_confirmation' THEN 'opt_out_confirmation' ELSE 'attempt' END,
            true, false, sending_at
          FROM dragonfly.outbox
          WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId} AND status = 'sending'
          ORDER BY 6`
      ))
      const [seen] = yield* sql<{ readonly id: string | null }>`
        SELECT max(id)::text AS id FROM dragonfly.comms_suppressions WHERE org_id = ${orgId}::uuid`
      // The import's email consent fact is written consent to email, as of its date.
      const factConsent = debt.emailConsented
        ? [{ channel: "email" as const, kind: "written" as const, givenAt: debt.emailConsentAt ?? new Date(0), revokedAt: null }]
        : []
      const context: GuardContext = {
        consumer: debt.accountType === "N" || (debt.accountType === null && !isBusinessDebtor(debt)),
        debtor: { state: debt.state, zip: debt.zip, county: debt.county, city: debt.city, phone, email },
        nyc: isNewYorkCity(debt.county, debt.city, debt.zip),
        bankruptcy: debt.bankruptcy,
        bankruptcyReaffirmed: debt.bankruptcyReaffirmed,
        deceased: debt.deceased,
        account: {
          initialCommunicationAt: debt.initialCommunicationAt,
          validationNoticeSentAt: debt.validationNoticeSentAt,
          disputeReceivedAt: debt.disputeReceivedAt,
          verificationMailedAt: debt.verificationMailedAt,
          ceaseRequestedAt: debt.ceaseRequestedAt,
          attorneyRepresentedAt: debt.attorneyRepresentedAt
        },
        suppressions: suppressions.map(({ id: _id, ...rest }) => rest),
        consents: [...consents, ...factConsent],
        attempts,
        emailIsWorkAddress: false,
        correctInterestRatePercent: debt.ratePercent
      }
      return { context, suppressionsSeen: seen?.id === null || seen === undefined ? 0 : Number(seen.id) } satisfies LoadedContext
    })

    const appendAttempt = Effect.fn("ContactHistory.appendAttempt")(function*(attempt: NewAttempt) {
      yield* sql`
        INSERT INTO dragonfly.contact_attempts (org_id, judgment_id, medium, direction, kind, connected, outbox_id,
          detail, occurred_at)
        VALUES (${attempt.orgId}::uuid, ${attempt.judgmentId}, ${attempt.medium}, ${attempt.direction}, ${attempt.kind},
          ${attempt.connected}, ${attempt.outboxId}::uuid, ${attempt.detail}, ${attempt.at})`
    })

    /** The first communication about the debt, and its validation notice, are dated once. */
    const noteSent = Effect.fn("ContactHistory.noteSent")(
      function*(orgId: string, judgmentId: string, kind: string, at: Date) {
        const validation = kind === "validation_notice" ? at : null
        yield* sql`
          INSERT INTO dragonfly.comms_accounts (org_id, judgment_id, initial_communication_at, validation_notice_sent_at)
          VALUES (${orgId}::uuid, ${judgmentId}, ${at}, ${validation})
          ON CONFLICT (org_id, judgment_id) DO UPDATE SET
            initial_communication_at = coalesce(dragonfly.comms_accounts.initial_communication_at, excluded.initial_communication_at),
            validation_notice_sent_at = coalesce(dragonfly.comms_accounts.validation_notice_sent_at, excluded.validation_notice_sent_at),
            updated_at = now()`
      }
    )

    const addSuppression = Effect.fn("ContactHistory.addSuppression")(function*(suppression: NewSuppression) {
      const [row] = yield* sql<{ readonly id: string }>`
        INSERT INTO dragonfly.comms_suppressions (org_id, judgment_id, channel, address, reason, source, detail)
        VALUES (${suppression.orgId}::uuid, ${suppression.judgmentId}, ${suppression.channel}, ${suppression.address},
          ${suppression.reason}, ${suppression.source}, ${suppression.detail})
        RETURNING id::text`
      return Number(row!.id)
    })

    /** The organisation's debts whose debtor has this phone number (E.164), newest first. */
    const debtsOfPhone = Effect.fn("ContactHistory.debtsOfPhone")(function*(orgId: string, phone: string) {
      const digits = phone.replace(/\D/g, "").slice(-10)
      const rows = yield* sql<{ readonly id: string }>`
        SELECT id FROM dragonfly.judgments
        WHERE org_id = ${orgId}::uuid AND debtor_phone IS NOT NULL
          AND right(regexp_replace(debtor_phone, '\\D', '', 'g'), 10) = ${digits}
        ORDER BY judgment_date DESC, id`
      return rows.map((row) => row.id)
    })

    /** Records one event about a debt (C2 calls, C3/C6 consent, C4 cease and attorney, C10 disputes). */
    const record = Effect.fn("ContactHistory.record")(
      function*(orgId: string, judgmentId: string, event: DebtorEvent, at: Date, source: string) {
        const [debt] = yield* sql<{ readonly phone: string | null; readonly email: string | null }>`
          SELECT debtor_phone AS phone, debtor_email AS email FROM dragonfly.judgments
          WHERE org_id = ${orgId}::uuid AND id = ${judgmentId}`
        if (debt === undefined) return yield* new DebtNotFound({ orgId, judgmentId })
        const addressOf = (channel: "email" | "sms" | "call") => channel === "email" ? normaliseEmail(debt.email) : toE164(debt.phone)
        const account = (column: string) =>
          sql`INSERT INTO dragonfly.comms_accounts (org_id, judgment_id, ${sql(column)})
            VALUES (${orgId}::uuid, ${judgmentId}, ${at})
            ON CONFLICT (org_id, judgment_id) DO UPDATE SET
              ${sql(column)} = coalesce(dragonfly.comms_accounts.${sql(column)}, excluded.${sql(column)}), updated_at = now()`
        const suppress = (channel: NewSuppression["channel"], reason: NewSuppression["reason"], address: string | null) =>
          addSuppression({ orgId, judgmentId, channel, address, reason, source, detail: null })
        switch (event.type) {
          case "consent":
            yield* sql`INSERT INTO dragonfly.comms_consents (org_id, judgment_id, channel, kind, address, given_at, source)
              VALUES (${orgId}::uuid, ${judgmentId}, ${event.channel}, ${event.kind}, ${addressOf(event.channel)}, ${at}, ${source})`
            return
          case "consent_revoked":
            yield* sql`UPDATE dragonfly.comms_consents SET revoked_at = ${at}
              WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId} AND channel = ${event.channel} AND revoked_at IS NULL`
            return
          case "do_not_use":
            yield* suppress(event.channel, "do_not_use", addressOf(event.channel))
            return
          case "cease":
            yield* account("cease_requested_at")
            yield* suppress("all", "cease", null)
            return
          case "attorney":
            yield* account("attorney_represented_at")
            yield* suppress("all", "attorney", null)
            return
          case "dispute":
            yield* account("dispute_received_at")
            return
          case "verification_mailed":
            yield* account("verification_mailed_at")
            return
          case "conversation":
          case "call_attempt":
            yield* sql`INSERT INTO dragonfly.contact_attempts (org_id, judgment_id, medium, direction, kind, connected,
                consented_call, detail, occurred_at)
              VALUES (${orgId}::uuid, ${judgmentId}, 'call', 'outbound',
                ${event.type === "conversation" ? "conversation" : "attempt"},
                ${event.type === "conversation" ? true : event.connected},
                ${event.type === "call_attempt" && event.consented}, ${source}, ${at})`
            return
        }
      }
    )

    return { record, load, appendAttempt, noteSent, addSuppression, debtsOfPhone } as const
  })
}) {}
