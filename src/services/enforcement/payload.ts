import { Schema } from "effect"

const JudgmentIds = Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.minItems(1))

/** `enforcement_*` jobs: plan a judgment (or a plaintiff's), or draft one document of a planned task. */
export const EnforcementPayload = Schema.Union(
  Schema.Struct({
    action: Schema.Literal("plan"),
    judgment_ids: Schema.optional(JudgmentIds),
    /** Set by the score worker: the score the plan follows. */
    score_version: Schema.optional(Schema.String),
    tier: Schema.optional(Schema.String)
  }),
  Schema.Struct({
    action: Schema.Literal("draft"),
    task_id: Schema.UUID,
    kind: Schema.Literal("information_subpoena", "cover_letter", "attorney_summary")
  })
)
