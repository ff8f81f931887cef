import { Clock, Effect, Layer, Option, Schema } from "effect"
import { CollectorConfig, DraftingConfig, OpenAiConfig } from "../../config/index.js"
import { calendarDate } from "../../domain/calendar.js"
import { normaliseEmail, renderMessage, type ValidationNoticeData } from "../../domain/communications/index.js"
import {
  type DraftKind,
  DraftRecord,
  Drafter,
  DrafterOpenAi,
  DrafterTemplates,
  fillTemplate
} from "../../domain/enforcement/drafting/index.js"
import {
  type EnforcementRecord,
  type Parties,
  PlanRepository,
  planEnforcement,
  type PlanDraft,
  type SavedPlan
} from "../../domain/enforcement/index.js"
import { LegalRules } from "../../domain/legal/LegalRules.js"
import * as Envelope from "../../envelope/index.js"
import { JobRequests } from "../../jobs/JobRequests.js"
import { Outbox } from "../../jobs/Outbox.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { queueName } from "../../queue/QueueName.js"
import { JobHandler, type Job, makeJobHandler, Permanent, Retryable, type Writes } from "../../runtime/index.js"
import { EnforcementPayload } from "./payload.js"

const DRAFT_QUEUE = queueName("enforcement_draft")

type EnforcementPayload = typeof EnforcementPayload.Type
type PlanPayload = Extract<EnforcementPayload, { readonly action: "plan" }>
type DraftPayload = Extract<EnforcementPayload, { readonly action: "draft" }>

const decodeDraftRecord = Schema.decodeUnknownEither(DraftRecord)

/** What the drafter gets: the minimal record of domain.md §4, nothing more. */
const draftRecordOf = (
  kind: DraftKind,
  task: { readonly action: string; readonly garnishee: string | null; readonly dueDate: string | null },
  plan: { readonly ratePercent: number; readonly totalDueCents: number },
  record: EnforcementRecord,
  parties: Parties
) =>
  decodeDraftRecord({
    kind,
    action: task.action.replaceAll("_", " "),
    plaintiff: { name: parties.plaintiffName },
    debtor: { name: parties.debtorName, address: parties.mailingAddress },
    court: { name: record.courtName, county: record.courtCounty },
    indexNumber: record.indexNumber,
    caseNumber: parties.caseNumber,
    judgmentDate: record.judgmentDate,
    judgmentAmountCents: record.judgmentAmountCents,
    amountDueCents: Math.max(0, plan.totalDueCents),
    interestRatePercent: plan.ratePercent,
    garnishee: task.garnishee,
    dueDate: task.dueDate
  })

export interface EnforcementOptions {
  /** Whether documents are also drafted by the LLM (OPENAI_API_KEY set), on `enforcement_draft` jobs. */
  readonly llmDrafting: boolean
}

/**
 * Plans enforcement for judgments: the deterministic planner over each judgment's record and the
 * tasks of its earlier plans, stored (superseding the plan in force) with a template draft of every
 * document a task needs, and, for a consumer debt never written to, the validation notice through
 * the outbox — all in the acknowledging transaction. With an LLM, each document is also drafted on
 * its own `enforcement_draft` job, so an LLM outage delays a draft, never a plan.
 */
export const enforcementHandler = (options: EnforcementOptions) =>
  Layer.effect(
    JobHandler,
    Effect.gen(function*() {
      const plans = yield* PlanRepository
      const jobs = yield* JobRequests
      const outbox = yield* Outbox
      const legal = yield* LegalRules
      const collector = yield* CollectorConfig
      const drafter = yield* Drafter

      /** A consumer debt never written to gets its validation notice (C8), asked for by the plan. */
      const communicate = (job: Job<PlanPayload>, saved: SavedPlan, draft: PlanDraft, record: EnforcementRecord, parties: Parties, asOf: string) =>
        Effect.gen(function*() {
          const email = normaliseEmail(parties.email)
          if (!record.consumer || email === null || draft.gates.some((gate) => !gate.passed)) return
          // One validation notice per debt, whatever number of plans asks for it.
          const key = `validation_notice:${record.judgmentId}`
          if (Option.isSome(yield* outbox.find(job.envelope.org_id, key))) return
          const noticeData: ValidationNoticeData = {
            collector,
            consumer: { name: parties.debtorName, mailingAddress: parties.mailingAddress ?? "address not on file", state: parties.state },
            accountNumber: parties.caseNumber ?? record.judgmentId,
            creditorOnItemizationDate: parties.plaintiffName,
            currentCreditor: parties.plaintiffName,
            itemizationDate: record.judgmentDate,
            amountOnItemizationDateCents: record.judgmentAmountCents + (record.costsCents ?? 0),
            itemization: {
              interestCents: draft.interest.interestAccruedCents,
              feesCents: 0,
              paymentsCents: draft.interest.paidToInterestCents + draft.interest.paidToPrincipalCents,
              creditsCents: 0
            },
            sentOn: asOf,
            interestRatePercent: draft.ratePercent
          }
          const notice = renderMessage("validation_notice", noticeData, legal.communications)
          const debt = { orgId: job.envelope.org_id, judgmentId: record.judgmentId }
          const taskId = yield* plans.addTask(saved.planId, debt, {
            ruleId: "C8",
            action: "send_validation_notice",
            preconditions: [{ code: "consumer_debt", ok: true, detail: "consumer debt, natural-person debtor" }, { code: "email_on_file", ok: true, detail: email }],
            dueDate: asOf,
            timer: null,
            nextStep: "the comms worker sends it when the communication rules allow; the validation period runs from the day it is sent",
            requiresAttorneySignoff: false,
            status: "pending",
            garnishee: null,
            details: {}
          })
          yield* outbox.request({
            ...debt,
            taskId,
            channel: "email",
            kind: "validation_notice",
            recipient: email,
            subject: notice.subject,
            body: notice.body,
            disclosures: notice.disclosures,
            // Its validation period runs from the day it is sent: rendered again then.
            templateData: noticeData,
            requestedBy: `plan:${saved.planId}`,
            idempotencyKey: key,
            traceId: job.envelope.trace_id
          })
        })

      const plan = Effect.fn("EnforcementHandler.plan")(function*(job: Job<PlanPayload>) {
        const { entity_id: entityId, entity_type: entityType, org_id: orgId } = job.envelope
        if (entityType !== "plaintiff" && entityType !== "judgment") {
          return yield* new Permanent({ message: `plan jobs are for a plaintiff or a judgment, not a ${entityType}` })
        }
        const wanted = entityType === "judgment" ? [entityId] : job.payload.judgment_ids
        const records = yield* plans.loadRecords(
          entityType === "plaintiff"
            ? (wanted === undefined ? { orgId, plaintiffId: entityId } : { orgId, plaintiffId: entityId, judgmentIds: wanted })
            : { orgId, judgmentIds: wanted! }
        )
        const missing = (wanted ?? []).filter((id) => !records.some((r) => r.judgmentId === id))
        if (missing.length > 0) {
          return yield* new Permanent({ message: `judgment(s) not found: ${missing.join(", ")}`, details: { missing } })
        }
        const ids = records.map((r) => r.judgmentId)
        const [priors, parties] = yield* Effect.all([plans.priorTasks(orgId, ids), plans.parties(orgId, ids)])
        const asOf = calendarDate(new Date(yield* Clock.currentTimeMillis), legal.communications.businessTimeZone)
        const planned = records.map((record) => ({
          record,
          parties: parties.get(record.judgmentId)!,
          draft: planEnforcement(record, priors.get(record.judgmentId) ?? [], asOf, legal.enforcement)
        }))
        const writes: Writes = Effect.forEach(planned, ({ draft, parties, record }) =>
          Effect.gen(function*() {
            const meta = {
              orgId,
              judgmentId: record.judgmentId,
              asOf,
              rulesVersion: legal.enforcement.version,
              jobId: job.envelope.job_id,
              scoreVersion: job.payload.score_version ?? null,
              tier: job.payload.tier ?? null
            }
            const saved = yield* plans.savePlan(draft, meta)
            if (!saved.created) return
            for (const { id: taskId, task } of saved.tasks) {
              for (const kind of task.draftKinds) {
                const input = draftRecordOf(kind, task, { ratePercent: draft.ratePercent, totalDueCents: draft.interest.totalDueCents }, record, parties)
                if (input._tag === "Left") {
                  yield* Effect.logWarning(`no ${kind} drafted for task ${taskId}: the record does not make a draft record`, input.left)
                  continue
                }
                const document = fillTemplate(kind, input.right)
                yield* plans.saveDraft({
                  orgId,
                  taskId,
                  kind,
                  status: "ready",
                  method: "template",
                  templateId: document.templateId,
                  templateVersion: document.templateVersion,
                  promptVersion: null,
                  model: null,
                  title: document.title,
                  body: document.body,
                  fields: document.fields,
                  error: null,
                  attempts: 0,
                  jobId: job.envelope.job_id
                })
                if (options.llmDrafting) {
                  yield* jobs.enqueue(DRAFT_QUEUE, Envelope.make({
                    org_id: orgId,
                    trace_id: job.envelope.trace_id,
                    idempotency_key: `draft:task:${taskId}:${kind}`,
                    entity_type: "enforcement",
                    entity_id: taskId,
                    payload: { action: "draft", task_id: taskId, kind }
                  })).pipe(Effect.catchTag("JobIdTaken", Effect.die))
                }
              }
            }
            yield* communicate(job, saved, draft, record, parties, asOf)
            yield* Effect.logInfo(
              `plan v${saved.version} for judgment ${record.judgmentId}: ${draft.tasks.length} task(s); fired ${
                draft.rules.filter((rule) => rule.outcome === "fired").map((rule) => rule.ruleId).join(", ") || "none"
              }; failed gates ${draft.gates.filter((gate) => !gate.passed).map((gate) => gate.code).join(", ") || "none"}`
            )
          }), { discard: true })
        return writes
      })

      const draft = Effect.fn("EnforcementHandler.draft")(function*(job: Job<DraftPayload>) {
        const orgId = job.envelope.org_id
        const target = yield* plans.draftTarget(orgId, job.payload.task_id)
        if (Option.isNone(target)) {
          yield* Effect.logInfo("no draft: the task is no longer part of the plan in force")
          return Effect.void
        }
        const { judgmentId } = target.value
        const [records, parties] = yield* Effect.all([
          plans.loadRecords({ orgId, judgmentIds: [judgmentId] }),
          plans.parties(orgId, [judgmentId])
        ])
        const record = records[0]
        const party = parties.get(judgmentId)
        if (record === undefined || party === undefined) return yield* new Permanent({ message: `judgment ${judgmentId} not found` })
        const input = draftRecordOf(job.payload.kind, target.value, target.value, record, party)
        if (input._tag === "Left") return yield* new Permanent({ message: `the record does not make a draft record: ${input.left.message}` })
        return yield* drafter.draft(input.right).pipe(
          Effect.map((document): Writes =>
            Effect.asVoid(plans.saveDraft({
              orgId,
              taskId: job.payload.task_id,
              kind: document.kind,
              status: "ready",
              method: document.method,
              templateId: document.templateId,
              templateVersion: document.templateVersion,
              promptVersion: document.promptVersion,
              model: document.model,
              title: document.title,
              body: document.body,
              fields: document.fields,
              error: null,
              attempts: 1,
              jobId: job.envelope.job_id
            }))
          ),
          Effect.catchTags({
            DraftFailed: (failure) =>
              Effect.succeed<Writes>(Effect.asVoid(plans.saveDraft({
                orgId,
                taskId: job.payload.task_id,
                kind: job.payload.kind,
                status: "failed",
                method: "llm",
                templateId: job.payload.kind,
                templateVersion: "-",
                promptVersion: null,
                model: null,
                title: null,
                body: null,
                fields: {},
                error: failure.message,
                attempts: failure.attempts,
                jobId: job.envelope.job_id
              }))),
            DraftingUnavailable: (failure) => new Retryable({ message: `drafting unavailable: ${failure.message}` })
          })
        )
      })

      return makeJobHandler({
        payload: EnforcementPayload,
        handle: (job) =>
          (job.payload.action === "plan"
            ? plan(job as Job<PlanPayload>)
            : draft(job as Job<DraftPayload>)).pipe(
              Effect.catchTag("SqlError", (error) => new Retryable({ message: `database error: ${error.message}` }))
            )
      })
    })
  )

/** The layers the handler needs from this repository: plans, jobs, the outbox. */
export const EnforcementDependencies = Layer.mergeAll(PlanRepository.Default, Outbox.Default, JobRequests.Default).pipe(
  Layer.provideMerge(QueueDirectory.Default.pipe(Layer.provideMerge(PgmqQueue.Default)))
)

/** `node bin/worker.js enforcement`: with OpenAI drafting when OPENAI_API_KEY is set, templates only otherwise. */
export const EnforcementHandlerLive = Layer.unwrapEffect(Effect.gen(function*() {
  const drafting = yield* DraftingConfig
  const drafter = Option.match(drafting, {
    onNone: () => DrafterTemplates,
    onSome: (settings) => DrafterOpenAi.pipe(Layer.provide(Layer.succeed(OpenAiConfig, settings)))
  })
  yield* Effect.logInfo(
    Option.isSome(drafting)
      ? `documents drafted from templates, then by ${drafting.value.model} on enforcement_draft jobs`
      : "documents drafted from templates (no OPENAI_API_KEY)"
  )
  return enforcementHandler({ llmDrafting: Option.isSome(drafting) }).pipe(
    Layer.provide(drafter),
    Layer.provide(EnforcementDependencies),
    Layer.provide(LegalRules.Default)
  )
}))
