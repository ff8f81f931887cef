import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { type Tier, Tiers } from "./model.js"

export interface ScoreRow {
  readonly tier: Tier
  readonly score: number | null
  readonly raw_score: number | null
  readonly gates_failed: ReadonlyArray<string>
  readonly gate_evidence: ReadonlyArray<{ readonly code: string; readonly evidence_field: string; readonly evidence_value: unknown }>
  readonly factors: ReadonlyArray<{
    readonly code: string
    readonly points: number
    readonly evidence_field: string
    readonly evidence_value: unknown
  }>
  readonly flags: ReadonlyArray<string>
  readonly score_version: string
  readonly computed_at: Date
  readonly job_id: string | null
}

export interface JudgmentWithScore {
  readonly org_id: string
  readonly judgment_id: string
  readonly plaintiff_id: string
  readonly case_number: string | null
  readonly status: string
  readonly judgment_date: string
  readonly current_balance_cents: number
  readonly collectability: ScoreRow | null
}

export interface StoredRollup {
  readonly by_tier: Readonly<Record<Tier, { readonly count: number; readonly balance_cents: number }>>
  readonly expected_recovery_index_cents: number
  readonly judgments_scored: number
  readonly judgments_total: number
  readonly score_version: string
  readonly computed_at: Date
}

export interface PlaintiffResults {
  readonly org_id: string
  readonly plaintiff_id: string
  readonly name: string
  readonly rollup: StoredRollup | null
  readonly judgments: ReadonlyArray<JudgmentWithScore>
}

interface JudgmentRow extends Omit<JudgmentWithScore, "collectability"> {
  readonly tier: Tier | null
  readonly score: number | null
  readonly raw_score: number | null
  readonly gates_failed: ReadonlyArray<string> | null
  readonly gate_evidence: ScoreRow["gate_evidence"] | null
  readonly factors: ScoreRow["factors"] | null
  readonly flags: ReadonlyArray<string> | null
  readonly score_version: string | null
  readonly computed_at: Date | null
  readonly job_id: string | null
}

// Money is bigint cents: cast to float8 so it arrives as a number (exact below 2^53 cents).
const JUDGMENT_COLUMNS = `
  j.org_id::text AS org_id, j.id AS judgment_id, j.plaintiff_id, j.case_number, j.status,
  to_char(j.judgment_date, 'YYYY-MM-DD') AS judgment_date, j.current_balance_cents::float8 AS current_balance_cents,
  s.tier, s.score, s.raw_score, s.gates_failed, s.gate_evidence, s.factors, s.flags, s.score_version,
  s.computed_at, s.job_id::text AS job_id`

const toJudgment = (row: JudgmentRow): JudgmentWithScore => ({
  org_id: row.org_id,
  judgment_id: row.judgment_id,
  plaintiff_id: row.plaintiff_id,
  case_number: row.case_number,
  status: row.status,
  judgment_date: row.judgment_date,
  current_balance_cents: row.current_balance_cents,
  collectability: row.tier === null ? null : {
    tier: row.tier,
    score: row.score,
    raw_score: row.raw_score,
    gates_failed: row.gates_failed ?? [],
    gate_evidence: row.gate_evidence ?? [],
    factors: row.factors ?? [],
    flags: row.flags ?? [],
    score_version: row.score_version ?? "",
    computed_at: row.computed_at ?? new Date(0),
    job_id: row.job_id
  }
})

/** What the collectability worker stored, for reading: a judgment's score, a plaintiff's rollup. */
export class ScoreResults extends Effect.Service<ScoreResults>()("score/ScoreResults", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const judgment = Effect.fn("ScoreResults.judgment")(function*(orgId: string, judgmentId: string) {
      const rows = yield* sql<JudgmentRow>`
        SELECT ${sql.literal(JUDGMENT_COLUMNS)}
        FROM dragonfly.judgments j
        LEFT JOIN dragonfly.collectability_scores s ON s.org_id = j.org_id AND s.judgment_id = j.id
        WHERE j.org_id = ${orgId}::uuid AND j.id = ${judgmentId}`
      return Option.map(Option.fromNullable(rows[0]), toJudgment)
    }, Effect.orDie)

    const plaintiff = Effect.fn("ScoreResults.plaintiff")(function*(orgId: string, plaintiffId: string) {
      const plaintiffs = yield* sql<{ readonly name: string }>`
        SELECT name FROM dragonfly.plaintiffs WHERE org_id = ${orgId}::uuid AND id = ${plaintiffId}`
      if (plaintiffs[0] === undefined) return Option.none<PlaintiffResults>()
      const rollups = yield* sql<Record<string, unknown>>`
        SELECT count_a, count_b, count_c, count_d, count_x,
               balance_a_cents::float8 AS balance_a_cents, balance_b_cents::float8 AS balance_b_cents,
               balance_c_cents::float8 AS balance_c_cents, balance_d_cents::float8 AS balance_d_cents,
               balance_x_cents::float8 AS balance_x_cents,
               expected_recovery_index_cents::float8 AS expected_recovery_index_cents,
               judgments_scored, judgments_total, score_version, computed_at
        FROM dragonfly.plaintiff_collectability WHERE org_id = ${orgId}::uuid AND plaintiff_id = ${plaintiffId}`
      const judgments = yield* sql<JudgmentRow>`
        SELECT ${sql.literal(JUDGMENT_COLUMNS)}
        FROM dragonfly.judgments j
        LEFT JOIN dragonfly.collectability_scores s ON s.org_id = j.org_id AND s.judgment_id = j.id
        WHERE j.org_id = ${orgId}::uuid AND j.plaintiff_id = ${plaintiffId}
        ORDER BY j.id`
      const r = rollups[0]
      const rollup: StoredRollup | null = r === undefined ? null : {
        by_tier: Object.fromEntries(Tiers.map((tier) => {
          const t = tier.toLowerCase()
          return [tier, { count: r[`count_${t}`] as number, balance_cents: r[`balance_${t}_cents`] as number }]
        })) as StoredRollup["by_tier"],
        expected_recovery_index_cents: r["expected_recovery_index_cents"] as number,
        judgments_scored: r["judgments_scored"] as number,
        judgments_total: r["judgments_total"] as number,
        score_version: r["score_version"] as string,
        computed_at: r["computed_at"] as Date
      }
      return Option.some<PlaintiffResults>({
        org_id: orgId,
        plaintiff_id: plaintiffId,
        name: plaintiffs[0].name,
        rollup,
        judgments: judgments.map(toJudgment)
      })
    }, Effect.orDie)

    return { judgment, plaintiff } as const
  })
}) {}
