import { createHash } from "node:crypto"
import { Clock, Effect, Layer } from "effect"
import { type ScoreResult, ScoreRepository, scoreJudgment } from "../../domain/collectability/index.js"
import { PlanQueries } from "../../domain/enforcement/index.js"
import * as Envelope from "../../envelope/index.js"
import { JobRequests } from "../../jobs/JobRequests.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { queueName } from "../../queue/QueueName.js"
import { JobHandler, makeJobHandler, Permanent } from "../../runtime/index.js"
import { ScorePayload } from "./payload.js"

const PLAN_QUEUE = queueName("enforcement_plan")

/** The tiers worth an enforcement plan (domain.md §4); D and X are not planned automatically. */
const PLANNED_TIERS: ReadonlySet<string> = new Set(["A", "B", "C"])

/**
 * What a score says, not when it was computed: the same facts scored again ask for no new plan;
 * a new fact that moves the score does.
 */
const scoreIdentity = (result: ScoreResult) =>
  createHash("sha256")
    .update(JSON.stringify([result.scoreVersion, result.tier, result.score, result.factors, result.flags]))
    .digest("hex")
    .slice(0, 16)

/**
 * Loads the facts, scores each judgment with the deterministic model, stores the results and the
 * plaintiff's rollup, and asks for an enforcement plan for each judgment in tiers A–C (or with a
 * plan in force, whatever its new tier) — all inside
 * the acknowledging transaction, so a recompute replaces the previous results exactly once.
 */
export const ScoreHandlerLive = Layer.effect(
  JobHandler,
  Effect.gen(function*() {
    const repository = yield* ScoreRepository
    const jobs = yield* JobRequests
    const plans = yield* PlanQueries
    return makeJobHandler({
      payload: ScorePayload,
      handle: (job) =>
        Effect.gen(function*() {
          const { entity_id: entityId, entity_type: entityType, job_id: jobId, org_id: orgId } = job.envelope
          if (entityType !== "plaintiff" && entityType !== "judgment") {
            return yield* new Permanent({
              message: `score jobs are for a plaintiff or a judgment, not a ${entityType}`
            })
          }
          const wanted = entityType === "judgment" ? [entityId] : job.payload.judgment_ids
          return Effect.gen(function*() {
            const facts = yield* repository.loadJudgments(
              entityType === "plaintiff"
                ? (wanted === undefined ? { orgId, plaintiffId: entityId } : { orgId, plaintiffId: entityId, judgmentIds: wanted })
                : { orgId, judgmentIds: wanted! }
            )
            const missing = (wanted ?? []).filter((id) => !facts.some((f) => f.judgmentId === id))
            if (missing.length > 0) {
              return yield* new Permanent({
                message: `judgment(s) not found${entityType === "plaintiff" ? ` for plaintiff ${entityId}` : ""}: ${
                  missing.join(", ")
                }`,
                details: { missing }
              })
            }
            const asOf = new Date(yield* Clock.currentTimeMillis)
            const results = facts.map((f) => scoreJudgment(f, asOf))
            yield* repository.saveScores(results, jobId)
            // A judgment that falls out of tiers A–C (a bankruptcy, a death: tier X) is planned again
            // too, so its plan in force stops what it had started (R9, R10).
            const planned = yield* plans.planned(orgId, results.filter((r) => !PLANNED_TIERS.has(r.tier)).map((r) => r.judgmentId))
            const replan = results.filter((result) => PLANNED_TIERS.has(result.tier) || planned.has(result.judgmentId))
            yield* Effect.forEach(replan, (result) =>
              jobs.enqueue(
                PLAN_QUEUE,
                Envelope.make({
                  org_id: orgId,
                  trace_id: job.envelope.trace_id,
                  idempotency_key: `plan:judgment:${result.judgmentId}:${result.scoreVersion}:${scoreIdentity(result)}`,
                  entity_type: "judgment",
                  entity_id: result.judgmentId,
                  payload: { action: "plan", score_version: result.scoreVersion, tier: result.tier }
                })
              ).pipe(Effect.catchTag("JobIdTaken", Effect.die)), { discard: true })
            const plaintiffs = entityType === "plaintiff" ? [entityId] : [...new Set(facts.map((f) => f.plaintiffId))]
            yield* Effect.forEach(plaintiffs, (plaintiffId) =>
              repository.refreshPlaintiffRollup(orgId, plaintiffId, asOf).pipe(
                Effect.catchTag("PlaintiffNotFound", () =>
                  new Permanent({ message: `plaintiff ${plaintiffId} not found in organisation ${orgId}` }))
              ))
          })
        })
    })
  })
).pipe(
  Layer.provide(Layer.mergeAll(ScoreRepository.Default, PlanQueries.Default, JobRequests.Default).pipe(
    Layer.provideMerge(QueueDirectory.Default.pipe(Layer.provideMerge(PgmqQueue.Default)))
  ))
)
