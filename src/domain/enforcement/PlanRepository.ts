import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import { createHash } from "node:crypto"
import { Cents, decodeJudgmentFacts, JUDGMENT_FACT_COLUMNS } from "../judgments/index.js"
import type { PlanDraft, TaskDraft } from "./planner.js"
import {
  AccountTypes,
  EnforcementActions,
  type EnforcementRecord,
  isConsumerJudgment,
  type PriorTask,
  PriorTaskStatuses,
  RuleIds
} from "./record.js"

export interface LoadRecordsRequest {
  readonly orgId: string
  readonly plaintiffId?: string
  /** Only these judgments (an empty list selects none). */
  readonly judgmentIds?: ReadonlyArray<string>
}

const ExtraRow = Schema.Struct({
  judgmentId: Schema.String,
  accountType: Schema.NullOr(Schema.Literal(...AccountTypes)),
  judgmentAmountCents: Cents,
  costsCents: Schema.NullOr(Cents),
  interestRatePercent: Schema.NullOr(Schema.NumberFromString),
  paymentsToDateCents: Schema.NullOr(Cents),
  lastPaymentAmountCents: Schema.NullOr(Cents),
  courtName: Schema.NullOr(Schema.String),
  courtCounty: Schema.NullOr(Schema.String),
  indexNumber: Schema.NullOr(Schema.String),
  transcriptCounties: Schema.Array(Schema.String),
  debtorState: Schema.NullOr(Schema.String),
  debtorCounty: Schema.NullOr(Schema.String),
  employerAddress: Schema.NullOr(Schema.String)
})
const decodeExtras = Schema.decodeUnknown(Schema.Array(ExtraRow))

const EXTRA_COLUMNS = `
  j.id AS "judgmentId", j.account_type AS "accountType", j.judgment_amount_cents AS "judgmentAmountCents",
  j.costs_cents AS "costsCents", j.interest_rate::text AS "interestRatePercent",
  j.payments_to_date_cents AS "paymentsToDateCents", j.last_payment_amount_cents AS "lastPaymentAmountCents",
  j.court_name AS "courtName", j.court_county AS "courtCounty", j.index_number AS "indexNumber",
  j.transcript_county_list AS "transcriptCounties", j.debtor_state AS "debtorState",
  j.debtor_county AS "debtorCounty", f.employer_address AS "employerAddress"`

const US_STATE_AT_END = /\b([A-Z]{2})\s+\d{5}(?:-\d{4})?\s*$|,\s*([A-Z]{2})\s*$/

/** "12 Main St, Albany, NY 12207" → "NY"; null when the address does not end in a state (and ZIP). */
export const stateOfAddress = (address: string | null) => {
  const match = address === null ? null : US_STATE_AT_END.exec(address.trim())
  return match === null ? null : (match[1] ?? match[2] ?? null)
}

const PriorTaskRow = Schema.Struct({
  judgmentId: Schema.String,
  ruleId: Schema.Literal(...RuleIds),
  action: Schema.Literal(...EnforcementActions),
  status: Schema.Literal(...PriorTaskStatuses),
  garnishee: Schema.NullOr(Schema.String),
  createdOn: Schema.String
})
const decodePriorTasks = Schema.decodeUnknown(Schema.Array(PriorTaskRow))

/** Who and where: what documents and messages name. */
export class Parties extends Schema.Class<Parties>("Parties")({
  judgmentId: Schema.String,
  plaintiffName: Schema.String,
  caseNumber: Schema.NullOr(Schema.String),
  debtorFirstName: Schema.NullOr(Schema.String),
  debtorLastName: Schema.NullOr(Schema.String),
  debtorCompanyName: Schema.NullOr(Schema.String),
  addressOne: Schema.NullOr(Schema.String),
  addressTwo: Schema.NullOr(Schema.String),
  city: Schema.NullOr(Schema.String),
  state: Schema.NullOr(Schema.String),
  zip: Schema.NullOr(Schema.String),
  email: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String)
}) {
  get debtorName() {
    const person = [this.debtorFirstName, this.debtorLastName].filter((part) => part !== null && part.trim() !== "").join(" ")
    return person !== "" ? person : (this.debtorCompanyName ?? "the judgment debtor")
  }

  /** One line, or null when nothing of the address is on file. */
  get mailingAddress() {
    const street = [this.addressOne, this.addressTwo].filter((part) => part !== null && part.trim() !== "").join(", ")
    const place = [this.city, [this.state, this.zip].filter((part) => part !== null).join(" ")].filter((part) => part !== null && part !== "").join(", ")
    const line = [street, place].filter((part) => part !== "").join(", ")
    return line === "" ? null : line
  }
}
const decodeParties = Schema.decodeUnknown(Schema.Array(Parties))

export interface PlanMeta {
  readonly orgId: string
  readonly judgmentId: string
  readonly asOf: string
  readonly rulesVersion: string
  readonly jobId: string | null
  readonly scoreVersion: string | null
  readonly tier: string | null
}

/** The debt a task belongs to. */
export interface TaskOwner {
  readonly orgId: string
  readonly judgmentId: string
}

/** A task as stored: the planner's, or one the plan adds (a communication, rule id C8). */
export type NewTask = Omit<TaskDraft, "ruleId" | "action" | "draftKinds"> & { readonly ruleId: string; readonly action: string }

export interface SavedTask {
  readonly id: string
  readonly position: number
  readonly task: TaskDraft
}

export interface SavedPlan {
  readonly planId: string
  readonly version: number
  /** False when the plan in force already says the same: nothing was written. */
  readonly created: boolean
  readonly supersededPlanId: string | null
  readonly tasks: ReadonlyArray<SavedTask>
}

/**
 * The plan's substance: what a replan must change for a new version to be worth keeping. Reasons,
 * details and dates are left out: they name the day ("payment before 2026-09-02"), which moves.
 */
const digestOf = (draft: PlanDraft) =>
  createHash("sha256")
    .update(JSON.stringify([
      draft.plannerVersion,
      draft.ratePercent,
      draft.gates.map((gate) => [gate.code, gate.passed]),
      draft.rules.map((rule) => [rule.ruleId, rule.outcome]),
      draft.tasks.map((task) => [
        task.ruleId,
        task.action,
        task.status,
        task.garnishee,
        task.preconditions.map((condition) => [condition.code, condition.ok]),
        task.requiresAttorneySignoff
      ])
    ]))
    .digest("hex")

export interface NewDraft {
  readonly orgId: string
  readonly taskId: string
  readonly kind: string
  readonly status: "ready" | "failed"
  readonly method: "template" | "llm"
  readonly templateId: string
  readonly templateVersion: string
  readonly promptVersion: string | null
  readonly model: string | null
  readonly title: string | null
  readonly body: string | null
  readonly fields: Readonly<Record<string, string>>
  readonly error: string | null
  readonly attempts: number
  readonly jobId: string | null
}

/**
 * Plans and their tasks and drafts (`dragonfly.enforcement_*`), and the judgment records the
 * planner reads. Statements run on the caller's transaction when it has one.
 */
export class PlanRepository extends Effect.Service<PlanRepository>()("enforcement/PlanRepository", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /** Appends tasks to a plan, after the ones it has, in order; answers their ids and positions. */
    const insertTasks = (planId: string, debt: TaskOwner, tasks: ReadonlyArray<NewTask>) => {
      if (tasks.length === 0) return Effect.succeed([])
      const rows = tasks.map((task, i) => ({
        i,
        rule_id: task.ruleId,
        action: task.action,
        status: task.status,
        preconditions: task.preconditions,
        due_date: task.dueDate,
        timer: task.timer,
        next_step: task.nextStep,
        requires_attorney_signoff: task.requiresAttorneySignoff,
        garnishee: task.garnishee,
        details: task.details
      }))
      return sql<{ readonly id: string; readonly position: number }>`
        INSERT INTO dragonfly.enforcement_tasks (plan_id, org_id, judgment_id, position, rule_id, action, status,
          preconditions, due_date, timer, next_step, requires_attorney_signoff, garnishee, details)
        SELECT ${planId}::uuid, ${debt.orgId}::uuid, ${debt.judgmentId},
          coalesce((SELECT max(position) + 1 FROM dragonfly.enforcement_tasks WHERE plan_id = ${planId}::uuid), 0) + t.i,
          t.rule_id, t.action, t.status, t.preconditions, t.due_date, t.timer, t.next_step, t.requires_attorney_signoff,
          t.garnishee, t.details
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS t(i int, rule_id text, action text,
          status text, preconditions jsonb, due_date date, timer jsonb, next_step text, requires_attorney_signoff boolean,
          garnishee text, details jsonb)
        RETURNING id::text, position`
    }

    const loadRecords = Effect.fn("PlanRepository.loadRecords")(function*(request: LoadRecordsRequest) {
      if (request.judgmentIds?.length === 0) return []
      const where = [sql`j.org_id = ${request.orgId}::uuid`]
      if (request.plaintiffId !== undefined) where.push(sql`j.plaintiff_id = ${request.plaintiffId}`)
      if (request.judgmentIds !== undefined) where.push(sql`j.id = ANY(${request.judgmentIds}::text[])`)
      const rows = yield* sql`
        SELECT ${sql.literal(JUDGMENT_FACT_COLUMNS)}, ${sql.literal(EXTRA_COLUMNS)}
        FROM dragonfly.judgments j
        LEFT JOIN dragonfly.judgment_facts f ON f.org_id = j.org_id AND f.judgment_id = j.id
        WHERE ${sql.and(where)}
        ORDER BY j.id`
      const facts = yield* Effect.orDie(decodeJudgmentFacts(rows))
      const extras = yield* Effect.orDie(decodeExtras(rows))
      return facts.map((fact, i): EnforcementRecord => {
        const { judgmentId: _, ...extra } = extras[i]!
        return {
          ...fact,
          ...extra,
          consumer: isConsumerJudgment(fact, extra.accountType),
          employerState: stateOfAddress(extra.employerAddress)
        }
      })
    })

    const parties = Effect.fn("PlanRepository.parties")(function*(orgId: string, judgmentIds: ReadonlyArray<string>) {
      const rows = yield* sql`
        SELECT j.id AS "judgmentId", p.name AS "plaintiffName", j.case_number AS "caseNumber",
          j.debtor_first_name AS "debtorFirstName", j.debtor_last_name AS "debtorLastName",
          j.debtor_company_name AS "debtorCompanyName", j.debtor_address_one AS "addressOne",
          j.debtor_address_two AS "addressTwo", j.debtor_city AS city, j.debtor_state AS state, j.debtor_zip AS zip,
          j.debtor_email AS email, j.debtor_phone AS phone
        FROM dragonfly.judgments j JOIN dragonfly.plaintiffs p ON p.org_id = j.org_id AND p.id = j.plaintiff_id
        WHERE j.org_id = ${orgId}::uuid AND j.id = ANY(${judgmentIds}::text[])`
      const decoded = yield* Effect.orDie(decodeParties(rows))
      return new Map(decoded.map((row) => [row.judgmentId, row])) as ReadonlyMap<string, Parties>
    })

    /** The tasks of earlier plans that were acted on (waiting, done, cancelled), by judgment. */
    const priorTasks = Effect.fn("PlanRepository.priorTasks")(function*(orgId: string, judgmentIds: ReadonlyArray<string>) {
      const rows = yield* sql`
        SELECT judgment_id AS "judgmentId", rule_id AS "ruleId", action, status, garnishee,
          to_char(created_at, 'YYYY-MM-DD') AS "createdOn"
        FROM dragonfly.enforcement_tasks
        WHERE org_id = ${orgId}::uuid AND judgment_id = ANY(${judgmentIds}::text[])
          AND rule_id = ANY(${RuleIds}::text[])
          -- open tasks of the plan in force are superseded by the new plan, not prior process
          AND status NOT IN ('pending', 'held', 'blocked')
        ORDER BY created_at, position`
      const tasks = yield* Effect.orDie(decodePriorTasks(rows))
      const byJudgment = new Map<string, Array<PriorTask>>()
      for (const { judgmentId, ...task } of tasks) {
        const list = byJudgment.get(judgmentId) ?? []
        list.push(task)
        byJudgment.set(judgmentId, list)
      }
      return byJudgment as ReadonlyMap<string, ReadonlyArray<PriorTask>>
    })

    /**
     * Stores a plan as the judgment's plan in force. The one it replaces is kept, superseded, with
     * its open tasks; a plan that says what the one in force says changes nothing.
     */
    const savePlan = Effect.fn("PlanRepository.savePlan")(function*(draft: PlanDraft, meta: PlanMeta) {
      const digest = digestOf(draft)
      const [active] = yield* sql<{ readonly id: string; readonly version: number; readonly digest: string }>`
        SELECT id::text, version, digest FROM dragonfly.enforcement_plans
        WHERE org_id = ${meta.orgId}::uuid AND judgment_id = ${meta.judgmentId} AND status = 'active'
        FOR UPDATE`
      if (active !== undefined && active.digest === digest) {
        return { planId: active.id, version: active.version, created: false, supersededPlanId: null, tasks: [] } satisfies SavedPlan
      }
      if (active !== undefined) {
        yield* sql`UPDATE dragonfly.enforcement_plans SET status = 'superseded', superseded_at = now()
          WHERE id = ${active.id}::uuid`
        yield* sql`UPDATE dragonfly.enforcement_tasks SET status = 'superseded', updated_at = now()
          WHERE plan_id = ${active.id}::uuid AND status IN ('pending', 'held', 'blocked')`
      }
      const [plan] = yield* sql<{ readonly id: string; readonly version: number }>`
        INSERT INTO dragonfly.enforcement_plans (org_id, judgment_id, version, planner_version, rules_version, as_of,
          score_version, tier, gates, rules, interest, rate_percent, digest, job_id)
        SELECT ${meta.orgId}::uuid, ${meta.judgmentId},
          coalesce((SELECT max(version) FROM dragonfly.enforcement_plans
            WHERE org_id = ${meta.orgId}::uuid AND judgment_id = ${meta.judgmentId}), 0) + 1,
          ${draft.plannerVersion}, ${meta.rulesVersion}, ${meta.asOf}::date, ${meta.scoreVersion}, ${meta.tier},
          ${JSON.stringify(draft.gates)}::jsonb, ${JSON.stringify(draft.rules)}::jsonb,
          ${JSON.stringify(draft.interest)}::jsonb, ${draft.ratePercent}, ${digest}, ${meta.jobId}::uuid
        RETURNING id::text, version`
      if (active !== undefined) {
        yield* sql`UPDATE dragonfly.enforcement_plans SET superseded_by = ${plan!.id}::uuid WHERE id = ${active.id}::uuid`
      }
      const inserted = yield* insertTasks(plan!.id, meta, draft.tasks)
      const byPosition = new Map(inserted.map((row) => [row.position, row.id]))
      return {
        planId: plan!.id,
        version: plan!.version,
        created: true,
        supersededPlanId: active?.id ?? null,
        tasks: draft.tasks.map((task, position) => ({ id: byPosition.get(position)!, position, task }))
      } satisfies SavedPlan
    })

    /** Adds a task outside the rule table (a communication the plan asks for) to a stored plan. */
    const addTask = Effect.fn("PlanRepository.addTask")(
      function*(planId: string, debt: TaskOwner, task: NewTask) {
        const [row] = yield* insertTasks(planId, debt, [task])
        return row!.id
      }
    )

    const saveDraft = Effect.fn("PlanRepository.saveDraft")(function*(draft: NewDraft) {
      const [row] = yield* sql<{ readonly id: string }>`
        INSERT INTO dragonfly.enforcement_drafts (task_id, org_id, kind, status, method, template_id, template_version,
          prompt_version, model, title, body, fields, error, attempts, job_id)
        VALUES (${draft.taskId}::uuid, ${draft.orgId}::uuid, ${draft.kind}, ${draft.status}, ${draft.method},
          ${draft.templateId}, ${draft.templateVersion}, ${draft.promptVersion}, ${draft.model}, ${draft.title},
          ${draft.body}, ${JSON.stringify(draft.fields)}::jsonb, ${draft.error}, ${draft.attempts}, ${draft.jobId}::uuid)
        RETURNING id::text`
      return row!.id
    })

    /** A task of the plan in force with what a draft of it needs; none once the task was superseded. */
    const draftTarget = Effect.fn("PlanRepository.draftTarget")(function*(orgId: string, taskId: string) {
      const rows = yield* sql<{
        readonly judgment_id: string
        readonly action: string
        readonly garnishee: string | null
        readonly due_date: string | null
        readonly rate_percent: string
        readonly total_due_cents: string
      }>`
        SELECT t.judgment_id, t.action, t.garnishee, to_char(t.due_date, 'YYYY-MM-DD') AS due_date,
          p.rate_percent::text, (p.interest ->> 'totalDueCents') AS total_due_cents
        FROM dragonfly.enforcement_tasks t
        JOIN dragonfly.enforcement_plans p ON p.id = t.plan_id AND p.status = 'active'
        WHERE t.org_id = ${orgId}::uuid AND t.id = ${taskId}::uuid AND t.status <> 'superseded'`
      const row = rows[0]
      return row === undefined ? Option.none() : Option.some({
        judgmentId: row.judgment_id,
        action: row.action,
        garnishee: row.garnishee,
        dueDate: row.due_date,
        ratePercent: Number(row.rate_percent),
        totalDueCents: Number(row.total_due_cents)
      })
    })

    /**
     * An attorney signs a task of the plan in force (CPLR 5222(a), 5230(b), 5224: process issued by
     * the attorney as an officer of the court). Answers why not when it cannot be signed.
     */
    /** A task, locked until the transaction ends, with what its changes depend on. */
    const lockTask = (orgId: string, taskId: string) =>
      Effect.map(
        sql<{ readonly requires: boolean; readonly signed: boolean; readonly in_force: boolean; readonly status: string }>`
          SELECT t.requires_attorney_signoff AS requires, t.signed_off_at IS NOT NULL AS signed,
            p.status = 'active' AS in_force, t.status
          FROM dragonfly.enforcement_tasks t JOIN dragonfly.enforcement_plans p ON p.id = t.plan_id
          WHERE t.org_id = ${orgId}::uuid AND t.id = ${taskId}::uuid
          FOR UPDATE OF t`,
        (rows) => rows[0]
      )

    const signOff = Effect.fn("PlanRepository.signOff")(function*(orgId: string, taskId: string, signedOffBy: string) {
      return yield* sql.withTransaction(Effect.gen(function*() {
        const task = yield* lockTask(orgId, taskId)
        if (task === undefined) return Option.none()
        const refusal = !task.requires
          ? "the task needs no attorney's sign-off"
          : task.signed
          ? "the task is signed off already"
          : !task.in_force || task.status === "superseded"
          ? "the task belongs to a superseded plan"
          : null
        if (refusal === null) {
          yield* sql`UPDATE dragonfly.enforcement_tasks SET signed_off_by = ${signedOffBy}, signed_off_at = now(), updated_at = now()
            WHERE id = ${taskId}::uuid`
        }
        return Option.some({ refusal })
      }))
    })

    /** The task was acted on (`waiting`: served, its timer running; `done`), or dropped (`cancelled`). */
    const setTaskStatus = Effect.fn("PlanRepository.setTaskStatus")(
      function*(orgId: string, taskId: string, status: "waiting" | "done" | "cancelled") {
        return yield* sql.withTransaction(Effect.gen(function*() {
          const task = yield* lockTask(orgId, taskId)
          if (task === undefined) return Option.none()
          const refusal = task.status === "superseded" || task.status === "done" || task.status === "cancelled"
            ? `the task is ${task.status}`
            : status !== "cancelled" && task.status === "blocked"
            ? "the task is blocked: a precondition failed"
            : status !== "cancelled" && task.requires && !task.signed
            ? "the task needs an attorney's sign-off first"
            : null
          if (refusal === null) {
            yield* sql`UPDATE dragonfly.enforcement_tasks SET status = ${status}, updated_at = now() WHERE id = ${taskId}::uuid`
          }
          return Option.some({ refusal })
        }))
      }
    )

    return { signOff, setTaskStatus, loadRecords, parties, priorTasks, savePlan, addTask, saveDraft, draftTarget } as const
  })
}) {}
