import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Option } from "effect"
import { type JudgmentWithScore, ScoreResults } from "../../domain/collectability/index.js"
import { Api } from "../Api.js"
import { NotFound } from "../errors.js"
import { CollectabilityScore, JudgmentResult, PlaintiffCollectability, PlaintiffRollup } from "../schemas.js"

const toJudgment = (judgment: JudgmentWithScore) =>
  new JudgmentResult({
    ...judgment,
    collectability: judgment.collectability === null ? null : new CollectabilityScore(judgment.collectability)
  })

export const ResultsLive = HttpApiBuilder.group(Api, "results", (handlers) =>
  Effect.gen(function*() {
    const results = yield* ScoreResults
    return handlers
      .handle("judgment", ({ path, urlParams }) =>
        Effect.flatMap(results.judgment(urlParams.org_id, path.id), (found) =>
          Option.match(found, {
            onNone: () => Effect.fail(new NotFound({ message: `no judgment ${path.id} in organisation ${urlParams.org_id}` })),
            onSome: (judgment) => Effect.succeed(toJudgment(judgment))
          })))
      .handle("plaintiff", ({ path, urlParams }) =>
        Effect.flatMap(results.plaintiff(urlParams.org_id, path.id), (found) =>
          Option.match(found, {
            onNone: () => Effect.fail(new NotFound({ message: `no plaintiff ${path.id} in organisation ${urlParams.org_id}` })),
            onSome: (plaintiff) =>
              Effect.succeed(
                new PlaintiffCollectability({
                  ...plaintiff,
                  rollup: plaintiff.rollup === null ? null : new PlaintiffRollup(plaintiff.rollup),
                  judgments: plaintiff.judgments.map(toJudgment)
                })
              )
          })))
  }))
