import { Schema } from "effect"

export const DraftKind = Schema.Literal("information_subpoena", "cover_letter", "attorney_summary")
export type DraftKind = typeof DraftKind.Type

const isCalendarDate = (value: string) => {
  const date = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value
}

/** `YYYY-MM-DD`, a real calendar date. */
export const IsoDate = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}$/),
  Schema.filter(isCalendarDate, { message: () => "must be a calendar date (YYYY-MM-DD)" })
)

const Cents = Schema.Int.pipe(Schema.nonNegative())
const Name = Schema.String.pipe(Schema.minLength(1))

/**
 * The minimal record the planner hands to the drafter (domain.md §4 Inputs). Nothing else about the
 * case (identifiers, contact history, other parties) is passed on, so nothing else can reach a model.
 */
export const DraftRecord = Schema.Struct({
  kind: DraftKind,
  /** The enforcement action the planner chose, as it describes it. */
  action: Name,
  plaintiff: Schema.Struct({ name: Name }),
  debtor: Schema.Struct({ name: Name, address: Schema.NullOr(Schema.String) }),
  court: Schema.Struct({ name: Schema.NullOr(Schema.String), county: Schema.NullOr(Schema.String) }),
  indexNumber: Schema.NullOr(Schema.String),
  caseNumber: Schema.NullOr(Schema.String),
  judgmentDate: IsoDate,
  judgmentAmountCents: Cents,
  amountDueCents: Cents,
  interestRatePercent: Schema.Number.pipe(Schema.finite(), Schema.between(0, 100)),
  /** The bank or other third party the action targets; null when it targets the debtor. */
  garnishee: Schema.NullOr(Schema.String),
  dueDate: Schema.NullOr(IsoDate)
})
export type DraftRecord = typeof DraftRecord.Type

export const DraftMethod = Schema.Literal("template", "llm")
export type DraftMethod = typeof DraftMethod.Type

export const DraftDocument = Schema.Struct({
  kind: DraftKind,
  templateId: Schema.String,
  templateVersion: Schema.String,
  method: DraftMethod,
  /** Version of the prompt that produced the prose slots; null for a template-only draft. */
  promptVersion: Schema.NullOr(Schema.String),
  model: Schema.NullOr(Schema.String),
  title: Schema.String,
  body: Schema.String,
  /** Every slot value the body was filled with, by slot name. */
  fields: Schema.Record({ key: Schema.String, value: Schema.String })
})
export type DraftDocument = typeof DraftDocument.Type
