import { type Effect, type ParseResult, Schema } from "effect"
import { BankruptcyStatuses, BusinessStatuses, EmploymentTypes, type JudgmentFacts, JudgmentStatuses } from "./records.js"

/** Reading `JudgmentFacts` from `dragonfly.judgments j LEFT JOIN dragonfly.judgment_facts f`. */

/** node-postgres returns `bigint` and `numeric` as decimal strings. */
export const Cents = Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))
export const Day = Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/))
export const OptionalDay = Schema.NullOr(Day)
export const OptionalText = Schema.NullOr(Schema.String)

export const JudgmentFactsRow = Schema.Struct({
  orgId: Schema.String,
  judgmentId: Schema.String,
  plaintiffId: Schema.String,
  status: Schema.Literal(...JudgmentStatuses),
  judgmentDate: Day,
  lastPaymentDate: OptionalDay,
  lastAcknowledgmentDate: OptionalDay,
  balanceCents: Cents,
  debtorFirstName: OptionalText,
  debtorLastName: OptionalText,
  debtorCompanyName: OptionalText,
  debtorDob: OptionalDay,
  employerName: OptionalText,
  employmentType: Schema.NullOr(Schema.Literal(...EmploymentTypes)),
  employmentVerifiedAt: OptionalDay,
  bankName: OptionalText,
  bankState: OptionalText,
  bankIdentifiedAt: OptionalDay,
  bankExemptOnly: Schema.Boolean,
  realPropertyCounty: OptionalText,
  realPropertyState: OptionalText,
  propertyEquityCents: Schema.NullOr(Cents),
  propertyLiensCents: Schema.NullOr(Cents),
  propertyAsOf: OptionalDay,
  businessStatus: Schema.NullOr(Schema.Literal(...BusinessStatuses)),
  businessStatusAsOf: OptionalDay,
  incomeOnlyExempt: Schema.Boolean,
  incomeAsOf: OptionalDay,
  addressVerifiedAt: OptionalDay,
  addressReturnedMail: Schema.Boolean,
  addressReturnedMailAt: OptionalDay,
  phoneWorking: Schema.Boolean,
  phoneVerifiedAt: OptionalDay,
  emailConsented: Schema.Boolean,
  emailConsentAt: OptionalDay,
  bankruptcyStatus: Schema.NullOr(Schema.Literal(...BankruptcyStatuses)),
  bankruptcyReaffirmed: Schema.Boolean,
  bankruptcyAsOf: OptionalDay,
  deceased: Schema.Boolean,
  deceasedAsOf: OptionalDay,
  scraActiveDuty: Schema.Boolean,
  scraCheckedAt: OptionalDay,
  otherJudgmentsCount: Schema.NullOr(Schema.Int),
  otherJudgmentsAsOf: OptionalDay,
  paymentPlanBroken: Schema.Boolean,
  paymentPlanAsOf: OptionalDay
})

// A compile-time check that the row decodes to exactly what the models read.
export const decodeJudgmentFacts: (
  rows: ReadonlyArray<unknown>
) => Effect.Effect<ReadonlyArray<JudgmentFacts>, ParseResult.ParseError> = Schema.decodeUnknown(
  Schema.Array(JudgmentFactsRow)
)

/**
 * Dates leave Postgres as `YYYY-MM-DD` text (node-postgres would otherwise make local-midnight
 * `Date`s); facts of a judgment without a facts row read as unknown / false.
 */
export const JUDGMENT_FACT_COLUMNS = `
  j.org_id::text AS "orgId",
  j.id AS "judgmentId",
  j.plaintiff_id AS "plaintiffId",
  j.status,
  to_char(j.judgment_date, 'YYYY-MM-DD') AS "judgmentDate",
  to_char(j.last_payment_date, 'YYYY-MM-DD') AS "lastPaymentDate",
  to_char(j.last_acknowledgment_date, 'YYYY-MM-DD') AS "lastAcknowledgmentDate",
  j.current_balance_cents AS "balanceCents",
  j.debtor_first_name AS "debtorFirstName",
  j.debtor_last_name AS "debtorLastName",
  j.debtor_company_name AS "debtorCompanyName",
  to_char(j.debtor_dob, 'YYYY-MM-DD') AS "debtorDob",
  f.employer_name AS "employerName",
  f.employment_type AS "employmentType",
  to_char(f.employment_verified_at, 'YYYY-MM-DD') AS "employmentVerifiedAt",
  f.bank_name AS "bankName",
  f.bank_state AS "bankState",
  to_char(f.bank_identified_at, 'YYYY-MM-DD') AS "bankIdentifiedAt",
  coalesce(f.bank_exempt_only, false) AS "bankExemptOnly",
  f.real_property_county AS "realPropertyCounty",
  f.real_property_state AS "realPropertyState",
  f.property_equity_cents AS "propertyEquityCents",
  f.property_liens_cents AS "propertyLiensCents",
  to_char(f.property_as_of, 'YYYY-MM-DD') AS "propertyAsOf",
  f.business_status AS "businessStatus",
  to_char(f.business_status_as_of, 'YYYY-MM-DD') AS "businessStatusAsOf",
  coalesce(f.income_only_exempt, false) AS "incomeOnlyExempt",
  to_char(f.income_as_of, 'YYYY-MM-DD') AS "incomeAsOf",
  to_char(f.address_verified_at, 'YYYY-MM-DD') AS "addressVerifiedAt",
  coalesce(f.address_returned_mail, false) AS "addressReturnedMail",
  to_char(f.address_returned_mail_at, 'YYYY-MM-DD') AS "addressReturnedMailAt",
  coalesce(f.phone_working, false) AS "phoneWorking",
  to_char(f.phone_verified_at, 'YYYY-MM-DD') AS "phoneVerifiedAt",
  coalesce(f.email_consented, false) AS "emailConsented",
  to_char(f.email_consent_at, 'YYYY-MM-DD') AS "emailConsentAt",
  f.bankruptcy_status AS "bankruptcyStatus",
  coalesce(f.bankruptcy_reaffirmed, false) AS "bankruptcyReaffirmed",
  to_char(f.bankruptcy_as_of, 'YYYY-MM-DD') AS "bankruptcyAsOf",
  coalesce(f.deceased, false) AS "deceased",
  to_char(f.deceased_as_of, 'YYYY-MM-DD') AS "deceasedAsOf",
  coalesce(f.scra_active_duty, false) AS "scraActiveDuty",
  to_char(f.scra_checked_at, 'YYYY-MM-DD') AS "scraCheckedAt",
  f.other_judgments_count AS "otherJudgmentsCount",
  to_char(f.other_judgments_as_of, 'YYYY-MM-DD') AS "otherJudgmentsAsOf",
  coalesce(f.payment_plan_broken, false) AS "paymentPlanBroken",
  to_char(f.payment_plan_as_of, 'YYYY-MM-DD') AS "paymentPlanAsOf"`

