import { SqlClient } from "@effect/sql"
import { Data, Effect, Schema } from "effect"
import { Cents, decodeJudgmentFacts, JUDGMENT_FACT_COLUMNS } from "../judgments/index.js"
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

const TierTotalsRow = Schema.Struct({
  tier: Schema.NullOr(Schema.Literal(...Tiers)),
  count: Schema.Int,
  balanceCents: Cents
})
const decodeTierTotals = Schema.decodeUnknown(Schema.Array(TierTotalsRow))

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
        SELECT ${sql.literal(JUDGMENT_FACT_COLUMNS)}
        FROM dragonfly.judgments j
        LEFT JOIN dragonfly.judgment_facts f ON f.org_id = j.org_id AND f.judgment_id = j.id
        WHERE ${sql.and(where)}
        ORDER BY j.id`
      return yield* Effect.orDie(decodeJudgmentFacts(rows))
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
