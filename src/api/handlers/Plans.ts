import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Option } from "effect"
import { type PlanDetail, PlanQueries, PlanRepository, type StoredPlan } from "../../domain/enforcement/index.js"
import { Api } from "../Api.js"
import { Conflict, NotFound } from "../errors.js"
import { PlanDraftView, PlanHistory, PlanSummary, PlanTaskView, PlanView, TaskUpdated } from "../schemas.js"

const summary = (plan: StoredPlan) =>
  new PlanSummary({
    plan_id: plan.id,
    org_id: plan.orgId,
    judgment_id: plan.judgmentId,
    version: plan.version,
    status: plan.status,
    planner_version: plan.plannerVersion,
    rules_version: plan.rulesVersion,
    as_of: plan.asOf,
    score_version: plan.scoreVersion,
    tier: plan.tier,
    rate_percent: plan.ratePercent,
    gates: plan.gates,
    rules: plan.rules,
    interest: plan.interest,
    created_at: plan.createdAt,
    superseded_at: plan.supersededAt,
    superseded_by: plan.supersededBy
  })

const view = ({ drafts, plan, tasks }: PlanDetail) =>
  new PlanView({
    plan: summary(plan),
    tasks: tasks.map((task) =>
      new PlanTaskView({
        task_id: task.id,
        position: task.position,
        rule_id: task.ruleId,
        action: task.action,
        status: task.status,
        preconditions: task.preconditions,
        due_date: task.dueDate,
        timer: task.timer,
        next_step: task.nextStep,
        requires_attorney_signoff: task.requiresAttorneySignoff,
        signed_off_by: task.signedOffBy,
        signed_off_at: task.signedOffAt,
        garnishee: task.garnishee,
        details: task.details
      })
    ),
    drafts: drafts.map((draft) =>
      new PlanDraftView({
        draft_id: draft.id,
        task_id: draft.taskId,
        kind: draft.kind,
        status: draft.status,
        method: draft.method,
        template_id: draft.templateId,
        template_version: draft.templateVersion,
        prompt_version: draft.promptVersion,
        model: draft.model,
        title: draft.title,
        body: draft.body,
        error: draft.error,
        created_at: draft.createdAt
      })
    )
  })

export const PlansLive = HttpApiBuilder.group(Api, "plans", (handlers) =>
  Effect.gen(function*() {
    const plans = yield* PlanQueries
    const repository = yield* PlanRepository
    const updated = (taskId: string, orgId: string) =>
      Effect.flatMap(Option.match({
        onNone: (): Effect.Effect<TaskUpdated, NotFound | Conflict> =>
          Effect.fail(new NotFound({ message: `no task ${taskId} in organisation ${orgId}` })),
        onSome: ({ refusal }: { readonly refusal: string | null }): Effect.Effect<TaskUpdated, NotFound | Conflict> =>
          refusal === null ? Effect.succeed(new TaskUpdated({ task_id: taskId })) : Effect.fail(new Conflict({ message: refusal }))
      }))
    const found = (what: string) =>
      Effect.flatMap(Option.match({
        onNone: () => Effect.fail(new NotFound({ message: what })),
        onSome: (detail: PlanDetail) => Effect.succeed(view(detail))
      }))
    return handlers
      .handle("inForce", ({ path, urlParams }) =>
        plans.inForce(urlParams.org_id, path.id).pipe(
          Effect.orDie,
          found(`no plan in force for judgment ${path.id} in organisation ${urlParams.org_id}`)
        ))
      .handle("history", ({ path, urlParams }) =>
        plans.history(urlParams.org_id, path.id).pipe(
          Effect.orDie,
          Effect.map((all) => new PlanHistory({ plans: all.map(summary) }))
        ))
      .handle("plan", ({ path, urlParams }) =>
        plans.byId(urlParams.org_id, path.id).pipe(
          Effect.orDie,
          found(`no plan ${path.id} in organisation ${urlParams.org_id}`)
        ))
      .handle("signOff", ({ path, payload }) =>
        repository.signOff(payload.org_id, path.id, payload.signed_off_by).pipe(
          Effect.orDie,
          updated(path.id, payload.org_id)
        ))
      .handle("status", ({ path, payload }) =>
        repository.setTaskStatus(payload.org_id, path.id, payload.status).pipe(
          Effect.orDie,
          updated(path.id, payload.org_id)
        ))
  }))
