import { Schema } from "effect"

/** `score_collectability` jobs: for a plaintiff (all or some of its judgments) or one judgment. */
export const ScorePayload = Schema.Struct({
  action: Schema.Literal("compute_collectability"),
  judgment_ids: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.minItems(1)))
})
