import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"

/** A stored plan, as the API shows it. */
export class StoredPlan extends Schema.Class<StoredPlan>("StoredPlan")({
  id: Schema.String,
  orgId: Schema.String,
  judgmentId: Schema.String,
  version: Schema.Number,
  status: Schema.Literal("active", "superseded"),
  plannerVersion: Schema.String,
  rulesVersion: Schema.String,
  asOf: Schema.String,
  scoreVersion: Schema.NullOr(Schema.String),
  tier: Schema.NullOr(Schema.String),
  gates: Schema.Unknown,
  rules: Schema.Unknown,
  interest: Schema.Unknown,
  ratePercent: Schema.NumberFromString,
  jobId: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromSelf,
  supersededAt: Schema.NullOr(Schema.DateFromSelf),
  supersededBy: Schema.NullOr(Schema.String)
}) {}

export class StoredDraft extends Schema.Class<StoredDraft>("StoredDraft")({
  id: Schema.String,
  taskId: Schema.String,
  kind: Schema.String,
  status: Schema.Literal("ready", "failed"),
  method: Schema.Literal("template", "llm"),
  templateId: Schema.String,
  templateVersion: Schema.String,
  promptVersion: Schema.NullOr(Schema.String),
  model: Schema.NullOr(Schema.String),
  title: Schema.NullOr(Schema.String),
  body: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  attempts: Schema.Number,
  createdAt: Schema.DateFromSelf
}) {}

export class StoredTask extends Schema.Class<StoredTask>("StoredTask")({
  id: Schema.String,
  planId: Schema.String,
  position: Schema.Number,
  ruleId: Schema.String,
  action: Schema.String,
  status: Schema.String,
  preconditions: Schema.Unknown,
  dueDate: Schema.NullOr(Schema.String),
  timer: Schema.Unknown,
  nextStep: Schema.String,
  requiresAttorneySignoff: Schema.Boolean,
  signedOffBy: Schema.NullOr(Schema.String),
  signedOffAt: Schema.NullOr(Schema.DateFromSelf),
  garnishee: Schema.NullOr(Schema.String),
  details: Schema.Unknown
}) {}

const PLAN_COLUMNS = `id::text AS id, org_id::text AS "orgId", judgment_id AS "judgmentId", version, status,
  planner_version AS "plannerVersion", rules_version AS "rulesVersion", to_char(as_of, 'YYYY-MM-DD') AS "asOf",
  score_version AS "scoreVersion", tier, gates, rules, interest, rate_percent::text AS "ratePercent",
  job_id::text AS "jobId", created_at AS "createdAt", superseded_at AS "supersededAt",
  superseded_by::text AS "supersededBy"`

const decodePlans = Schema.decodeUnknown(Schema.Array(StoredPlan))
const decodeTasks = Schema.decodeUnknown(Schema.Array(StoredTask))
const decodeDrafts = Schema.decodeUnknown(Schema.Array(StoredDraft))

export interface PlanDetail {
  readonly plan: StoredPlan
  readonly tasks: ReadonlyArray<StoredTask>
  /** The latest draft of each kind and method (template, llm), per task. */
  readonly drafts: ReadonlyArray<StoredDraft>
}

/** The read side of plans, for the API and the CLI. */
export class PlanQueries extends Effect.Service<PlanQueries>()("enforcement/PlanQueries", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const detail = (plan: StoredPlan) =>
      Effect.gen(function*() {
        const tasks = yield* Effect.orDie(decodeTasks(
          yield* sql`
            SELECT id::text, plan_id::text AS "planId", position, rule_id AS "ruleId", action, status, preconditions,
              to_char(due_date, 'YYYY-MM-DD') AS "dueDate", timer, next_step AS "nextStep",
              requires_attorney_signoff AS "requiresAttorneySignoff", signed_off_by AS "signedOffBy",
              signed_off_at AS "signedOffAt", garnishee, details
            FROM dragonfly.enforcement_tasks WHERE plan_id = ${plan.id}::uuid ORDER BY position`
        ))
        const drafts = yield* Effect.orDie(decodeDrafts(
          yield* sql`
            SELECT DISTINCT ON (d.task_id, d.kind, d.method) d.id::text, d.task_id::text AS "taskId", d.kind, d.status, d.method,
              d.template_id AS "templateId", d.template_version AS "templateVersion", d.prompt_version AS "promptVersion",
              d.model, d.title, d.body, d.error, d.attempts, d.created_at AS "createdAt"
            FROM dragonfly.enforcement_drafts d JOIN dragonfly.enforcement_tasks t ON t.id = d.task_id
            WHERE t.plan_id = ${plan.id}::uuid
            ORDER BY d.task_id, d.kind, d.method, d.created_at DESC, d.id`
        ))
        return { plan, tasks, drafts } satisfies PlanDetail
      })

    /** Every plan of a judgment, newest first. */
    const history = Effect.fn("PlanQueries.history")(function*(orgId: string, judgmentId: string) {
      return yield* Effect.orDie(decodePlans(
        yield* sql`SELECT ${sql.literal(PLAN_COLUMNS)} FROM dragonfly.enforcement_plans
          WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId} ORDER BY version DESC`
      ))
    })

    const inForce = Effect.fn("PlanQueries.inForce")(function*(orgId: string, judgmentId: string) {
      const [plan] = yield* Effect.orDie(decodePlans(
        yield* sql`SELECT ${sql.literal(PLAN_COLUMNS)} FROM dragonfly.enforcement_plans
          WHERE org_id = ${orgId}::uuid AND judgment_id = ${judgmentId} AND status = 'active'`
      ))
      return plan === undefined ? Option.none() : Option.some(yield* detail(plan))
    })

    const byId = Effect.fn("PlanQueries.byId")(function*(orgId: string, planId: string) {
      const [plan] = yield* Effect.orDie(decodePlans(
        yield* sql`SELECT ${sql.literal(PLAN_COLUMNS)} FROM dragonfly.enforcement_plans
          WHERE org_id = ${orgId}::uuid AND id = ${planId}::uuid`
      ))
      return plan === undefined ? Option.none() : Option.some(yield* detail(plan))
    })

    /** Which of these judgments have a plan in force. */
    const planned = Effect.fn("PlanQueries.planned")(function*(orgId: string, judgmentIds: ReadonlyArray<string>) {
      if (judgmentIds.length === 0) return new Set<string>()
      const rows = yield* sql<{ readonly judgment_id: string }>`
        SELECT judgment_id FROM dragonfly.enforcement_plans
        WHERE org_id = ${orgId}::uuid AND judgment_id = ANY(${judgmentIds}::text[]) AND status = 'active'`
      return new Set(rows.map((row) => row.judgment_id))
    })

    return { history, inForce, byId, planned } as const
  })
}) {}
