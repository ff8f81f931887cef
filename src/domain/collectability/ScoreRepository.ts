import { SqlClient } from "@effect/sql"
import { Data, Effect, type ParseResult, Schema } from "effect"
import { BankruptcyStatuses, BusinessStatuses, EmploymentTypes, type JudgmentFacts, JudgmentStatuses } from "../judgments/index.js"
import {
  type PlaintiffRollup,
  rollupFromTotals,
  SCORE_VERSION,
  type ScoreResult,
  type Tier,
  Tiers,
  type TierTotals
} from "./model.js"

export class PlaintiffNotFound extends Data.TaggedError("PlaintiffNotFound")<{
  readonly orgId: string
  readonly plaintiffId: string
}> {}

export interface LoadJudgmentsRequest {
  readonly orgId: string
  /** Only this plaintiff's judgments. */
  readonly plaintiffId?: string
  /** Only these judgments (an empty list selects none). */
  readonly judgmentIds?: ReadonlyArray<string>
}

export interface StoredPlaintiffRollup extends PlaintiffRollup {
  readonly orgId: string
  readonly plaintiffId: string
  /** All of the plaintiff's judgments, scored or not. */
  readonly judgmentsTotal: number
  readonly scoreVersion: string
  readonly computedAt: Date
}

/** node-postgres returns `bigint` and `numeric` as decimal strings. */
const Cents = Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))
const Day = Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/))
const OptionalDay = Schema.NullOr(Day)
const OptionalText = Schema.NullOr(Schema.String)

const JudgmentFactsRow = Schema.Struct({
  orgId: Schema.String,
  judgmentId: Schema.String,
  plaintiffId: Schema.String,
  status: Schema.Literal(...JudgmentStatuses),
  judgmentDate: Day,
  lastPaymentDate: OptionalDay,
  lastAcknowledgmentDate: OptionalDay,
  balanceCents: Cents,
  debtorFirstName: OptionalText,
  debtorLastName: OptionalText,
  debtorCompanyName: OptionalText,
  debtorDob: OptionalDay,
  employerName: OptionalText,
  employmentType: Schema.NullOr(Schema.Literal(...EmploymentTypes)),
  employmentVerifiedAt: OptionalDay,
  bankName: OptionalText,
  bankState: OptionalText,
  bankIdentifiedAt: OptionalDay,
  bankExemptOnly: Schema.Boolean,
  realPropertyCounty: OptionalText,
  realPropertyState: OptionalText,
  propertyEquityCents: Schema.NullOr(Cents),
  propertyLiensCents: Schema.NullOr(Cents),
  propertyAsOf: OptionalDay,
  businessStatus: Schema.NullOr(Schema.Literal(...BusinessStatuses)),
  businessStatusAsOf: OptionalDay,
  incomeOnlyExempt: Schema.Boolean,
  incomeAsOf: OptionalDay,
  addressVerifiedAt: OptionalDay,
  addressReturnedMail: Schema.Boolean,
  addressReturnedMailAt: OptionalDay,
  phoneWorking: Schema.Boolean,
  phoneVerifiedAt: OptionalDay,
  emailConsented: Schema.Boolean,
  emailConsentAt: OptionalDay,
  bankruptcyStatus: Schema.NullOr(Schema.Literal(...BankruptcyStatuses)),
  bankruptcyReaffirmed: Schema.Boolean,
  bankruptcyAsOf: OptionalDay,
  deceased: Schema.Boolean,
  deceasedAsOf: OptionalDay,
  scraActiveDuty: Schema.Boolean,
  scraCheckedAt: OptionalDay,
  otherJudgmentsCount: Schema.NullOr(Schema.Int),
  otherJudgmentsAsOf: OptionalDay,
  paymentPlanBroken: Schema.Boolean,
  paymentPlanAsOf: OptionalDay
})

// A compile-time check that the row decodes to exactly what the model reads.
const decodeFacts: (
  rows: ReadonlyArray<unknown>
) => Effect.Effect<ReadonlyArray<JudgmentFacts>, ParseResult.ParseError> = Schema.decodeUnknown(
  Schema.Array(JudgmentFactsRow)
)

const TierTotalsRow = Schema.Struct({
  tier: Schema.NullOr(Schema.Literal(...Tiers)),
  count: Schema.Int,
  balanceCents: Cents
})
const decodeTierTotals = Schema.decodeUnknown(Schema.Array(TierTotalsRow))

/**
 * Dates leave Postgres as `YYYY-MM-DD` text (node-postgres would otherwise make local-midnight
 * `Date`s); facts of a judgment without a facts row read as unknown / false.
 */
const FACT_COLUMNS = `
  j.org_id::text AS "orgId",
  j.id AS "judgmentId",
  j.plaintiff_id AS "plaintiffId",
  j.status,
  to_char(j.judgment_date, 'YYYY-MM-DD') AS "judgmentDate",
  to_char(j.last_payment_date, 'YYYY-MM-DD') AS "lastPaymentDate",
  to_char(j.last_acknowledgment_date, 'YYYY-MM-DD') AS "lastAcknowledgmentDate",
  j.current_balance_cents AS "balanceCents",
  j.debtor_first_name AS "debtorFirstName",
  j.debtor_last_name AS "debtorLastName",
  j.debtor_company_name AS "debtorCompanyName",
  to_char(j.debtor_dob, 'YYYY-MM-DD') AS "debtorDob",
  f.employer_name AS "employerName",
  f.employment_type AS "employmentType",
  to_char(f.employment_verified_at, 'YYYY-MM-DD') AS "employmentVerifiedAt",
  f.bank_name AS "bankName",
  f.bank_state AS "bankState",
  to_char(f.bank_identified_at, 'YYYY-MM-DD') AS "bankIdentifiedAt",
  coalesce(f.bank_exempt_only, false) AS "bankExemptOnly",
  f.real_property_county AS "realPropertyCounty",
  f.real_property_state AS "realPropertyState",
  f.property_equity_cents AS "propertyEquityCents",
  f.property_liens_cents AS "propertyLiensCents",
  to_char(f.property_as_of, 'YYYY-MM-DD') AS "propertyAsOf",
  f.business_status AS "businessStatus",
  to_char(f.business_status_as_of, 'YYYY-MM-DD') AS "businessStatusAsOf",
  coalesce(f.income_only_exempt, false) AS "incomeOnlyExempt",
  to_char(f.income_as_of, 'YYYY-MM-DD') AS "incomeAsOf",
  to_char(f.address_verified_at, 'YYYY-MM-DD') AS "addressVerifiedAt",
  coalesce(f.address_returned_mail, false) AS "addressReturnedMail",
  to_char(f.address_returned_mail_at, 'YYYY-MM-DD') AS "addressReturnedMailAt",
  coalesce(f.phone_working, false) AS "phoneWorking",
  to_char(f.phone_verified_at, 'YYYY-MM-DD') AS "phoneVerifiedAt",
  coalesce(f.email_consented, false) AS "emailConsented",
  to_char(f.email_consent_at, 'YYYY-MM-DD') AS "emailConsentAt",
  f.bankruptcy_status AS "bankruptcyStatus",
  coalesce(f.bankruptcy_reaffirmed, false) AS "bankruptcyReaffirmed",
  to_char(f.bankruptcy_as_of, 'YYYY-MM-DD') AS "bankruptcyAsOf",
  coalesce(f.deceased, false) AS "deceased",
  to_char(f.deceased_as_of, 'YYYY-MM-DD') AS "deceasedAsOf",
  coalesce(f.scra_active_duty, false) AS "scraActiveDuty",
  to_char(f.scra_checked_at, 'YYYY-MM-DD') AS "scraCheckedAt",
  f.other_judgments_count AS "otherJudgmentsCount",
  to_char(f.other_judgments_as_of, 'YYYY-MM-DD') AS "otherJudgmentsAsOf",
  coalesce(f.payment_plan_broken, false) AS "paymentPlanBroken",
  to_char(f.payment_plan_as_of, 'YYYY-MM-DD') AS "paymentPlanAsOf"`

/** Rows per INSERT: 12 parameters each, far below Postgres's 65,535. */
const SAVE_CHUNK = 500

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/**
 * The collectability worker's storage. Every statement runs on the ambient transaction when the
 * caller opens one (`sql.withTransaction`); none is named or relies on session state, so all of
 * it works through a transaction-mode pooler. Rows that break the contract are defects; database
 * failures stay typed (`SqlError`) for callers that retry.
 */
export class ScoreRepository extends Effect.Service<ScoreRepository>()("score/ScoreRepository", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /** The facts of an organisation's judgments: one plaintiff's, some ids, or both filters. */
    const loadJudgments = Effect.fn("ScoreRepository.loadJudgments")(function*(request: LoadJudgmentsRequest) {
      yield* Effect.annotateCurrentSpan({ orgId: request.orgId, plaintiffId: request.plaintiffId })
      if (request.judgmentIds?.length === 0) return []
      const where = [sql`j.org_id = ${request.orgId}::uuid`]
      if (request.plaintiffId !== undefined) where.push(sql`j.plaintiff_id = ${request.plaintiffId}`)
      if (request.judgmentIds !== undefined) where.push(sql`j.id = ANY(${request.judgmentIds}::text[])`)
      const rows = yield* sql`
        SELECT ${sql.literal(FACT_COLUMNS)}
        FROM dragonfly.judgments j
        LEFT JOIN dragonfly.judgment_facts f ON f.org_id = j.org_id AND f.judgment_id = j.id
        WHERE ${sql.and(where)}
        ORDER BY j.id`
      return yield* Effect.orDie(decodeFacts(rows))
    })

    /**
     * Upserts one row per judgment: scoring again replaces the row. A judgment listed twice keeps
     * its last result; rows go in key order so concurrent savers lock in the same order.
     */
    const saveScores = Effect.fn("ScoreRepository.saveScores")(
      function*(results: ReadonlyArray<ScoreResult>, jobId: string | null) {
        yield* Effect.annotateCurrentSpan({ judgments: results.length, jobId })
        const latest = new Map(results.map((result) => [`${result.orgId}\u0000${result.judgmentId}`, result]))
        const rows = [...latest.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, result]) => ({
            org_id: result.orgId,
            judgment_id: result.judgmentId,
            tier: result.tier,
            score: result.score,
            raw_score: result.rawScore,
            gates_failed: result.gatesFailed,
            gate_evidence: JSON.stringify(result.gates),
            factors: JSON.stringify(result.factors),
            flags: result.flags,
            score_version: result.scoreVersion,
            computed_at: result.computedAt,
            job_id: jobId
          }))
        for (const chunk of chunksOf(rows, SAVE_CHUNK)) {
          yield* sql`
            INSERT INTO dragonfly.collectability_scores ${sql.insert(chunk)}
            ON CONFLICT (org_id, judgment_id) DO UPDATE SET
              tier = EXCLUDED.tier,
              score = EXCLUDED.score,
              raw_score = EXCLUDED.raw_score,
              gates_failed = EXCLUDED.gates_failed,
              gate_evidence = EXCLUDED.gate_evidence,
              factors = EXCLUDED.factors,
              flags = EXCLUDED.flags,
              score_version = EXCLUDED.score_version,
              computed_at = EXCLUDED.computed_at,
              job_id = EXCLUDED.job_id,
              updated_at = now()`
        }
      }
    )

    /**
     * Recomputes the plaintiff's rollup from the stored current-version scores of all of its
     * judgments (with their current balances), so scoring a subset keeps it right. The plaintiff
     * row is locked first: concurrent refreshes for one plaintiff take turns, and the later one
     * reads the scores the earlier one committed.
     */
    const refreshPlaintiffRollup = Effect.fn("ScoreRepository.refreshPlaintiffRollup")(
      function*(orgId: string, plaintiffId: string, asOf: Date) {
        yield* Effect.annotateCurrentSpan({ orgId, plaintiffId })
        const locked = yield* sql`
          SELECT 1 FROM dragonfly.plaintiffs
          WHERE org_id = ${orgId}::uuid AND id = ${plaintiffId}
          FOR NO KEY UPDATE`
        if (locked.length === 0) return yield* new PlaintiffNotFound({ orgId, plaintiffId })
        // Unscored judgments (and those scored by another model version) come out with tier NULL.
        const groups = yield* Effect.orDie(decodeTierTotals(
          yield* sql`
            SELECT s.tier, count(*)::int AS count, coalesce(sum(j.current_balance_cents), 0)::text AS "balanceCents"
            FROM dragonfly.judgments j
            LEFT JOIN dragonfly.collectability_scores s
              ON s.org_id = j.org_id AND s.judgment_id = j.id AND s.score_version = ${SCORE_VERSION}
            WHERE j.org_id = ${orgId}::uuid AND j.plaintiff_id = ${plaintiffId}
            GROUP BY s.tier`
        ))
        const totals: Partial<Record<Tier, TierTotals>> = {}
        for (const group of groups) {
          if (group.tier !== null) totals[group.tier] = { count: group.count, balanceCents: group.balanceCents }
        }
        const summary = rollupFromTotals(totals)
        const judgmentsTotal = groups.reduce((sum, group) => sum + group.count, 0)
        const { A, B, C, D, X } = summary.byTier
        yield* sql`
          INSERT INTO dragonfly.plaintiff_collectability ${
          sql.insert({
            org_id: orgId,
            plaintiff_id: plaintiffId,
            count_a: A.count,
            count_b: B.count,
            count_c: C.count,
            count_d: D.count,
            count_x: X.count,
            balance_a_cents: A.balanceCents,
            balance_b_cents: B.balanceCents,
            balance_c_cents: C.balanceCents,
            balance_d_cents: D.balanceCents,
            balance_x_cents: X.balanceCents,
            expected_recovery_index_cents: summary.expectedRecoveryIndexCents,
            judgments_scored: summary.judgmentsScored,
            judgments_total: judgmentsTotal,
            score_version: SCORE_VERSION,
            computed_at: asOf
          })
        }
          ON CONFLICT (org_id, plaintiff_id) DO UPDATE SET
            count_a = EXCLUDED.count_a,
            count_b = EXCLUDED.count_b,
            count_c = EXCLUDED.count_c,
            count_d = EXCLUDED.count_d,
            count_x = EXCLUDED.count_x,
            balance_a_cents = EXCLUDED.balance_a_cents,
            balance_b_cents = EXCLUDED.balance_b_cents,
            balance_c_cents = EXCLUDED.balance_c_cents,
            balance_d_cents = EXCLUDED.balance_d_cents,
            balance_x_cents = EXCLUDED.balance_x_cents,
            expected_recovery_index_cents = EXCLUDED.expected_recovery_index_cents,
            judgments_scored = EXCLUDED.judgments_scored,
            judgments_total = EXCLUDED.judgments_total,
            score_version = EXCLUDED.score_version,
            computed_at = EXCLUDED.computed_at,
            updated_at = now()`
        const rollup: StoredPlaintiffRollup = {
          ...summary,
          orgId,
          plaintiffId,
          judgmentsTotal,
          scoreVersion: SCORE_VERSION,
          computedAt: asOf
        }
        return rollup
      },
      (effect) => sql.withTransaction(effect)
    )

    return { loadJudgments, saveScores, refreshPlaintiffRollup } as const
  })
}) {}
