import { Clock, Effect, Layer, Schema } from "effect"
import { JobHandler, makeJobHandler, Permanent } from "../../runtime/index.js"
import { ScoreRepository, scoreJudgment } from "../../domain/collectability/index.js"

/** `score_collectability` jobs: for a plaintiff (all or some of its judgments) or one judgment. */
export const ScorePayload = Schema.Struct({
  action: Schema.Literal("compute_collectability"),
  judgment_ids: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.minItems(1)))
})

/**
 * Loads the facts, scores each judgment with the deterministic model, stores the results and the
 * plaintiff's rollup — all inside the acknowledging transaction, so a recompute replaces the
 * previous results exactly once.
 */
export const ScoreHandlerLive = Layer.effect(
  JobHandler,
  Effect.gen(function*() {
    const repository = yield* ScoreRepository
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
            yield* repository.saveScores(facts.map((f) => scoreJudgment(f, asOf)), jobId)
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
).pipe(Layer.provide(ScoreRepository.Default))
