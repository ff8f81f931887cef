/**
 * The CSV layouts the import workers read (domain.md §1): canonical column names (lower
 * snake_case) and the aliases mapped onto them. Both layouts share the judgment columns; they
 * differ in how the plaintiff is named and which columns are required.
 */

/** Columns of a judgment record, in the order files are written. */
export const JudgmentColumns = [
  // keys
  "case_number",
  "client_claim_number",
  "creditor",
  "account_type",
  // debtor
  "debtor_first_name",
  "debtor_last_name",
  "debtor_company_name",
  "debtor_address_one",
  "debtor_address_two",
  "debtor_city",
  "debtor_state",
  "debtor_zip",
  "debtor_county",
  "debtor_phone",
  "debtor_email",
  "last_four_ssn",
  "debtor_dob",
  // court
  "court_name",
  "court_county",
  "index_number",
  "judgment_date",
  "judgment_amount",
  "costs",
  "interest_rate",
  "interest_from_date",
  "transcript_county_list",
  // money
  "payments_to_date",
  "last_payment_date",
  "last_payment_amount",
  "current_balance_due",
  // facts
  "employer_name",
  "employer_address",
  "bank_name",
  "real_property_county",
  "bankruptcy_flag",
  "deceased_flag",
  "status",
  "action_codes",
  "debtor_payment_id",
  // marks rows of made-up people (domain.md §6)
  "is_synthetic"
] as const
export type JudgmentColumn = (typeof JudgmentColumns)[number]

/** The Simplicity export: the plaintiff is `client_name`. */
export const SimplicityColumns = ["client_name", ...JudgmentColumns] as const

/** The generic Dragonfly layout: the plaintiff by name, optionally with ids of the caller's own. */
export const GenericColumns = ["plaintiff_id", "plaintiff_name", "judgment_id", ...JudgmentColumns] as const

export type Layout = "simplicity" | "generic"

/** Always required; a judgment also needs a case number, or a court and an index number. */
export const RequiredColumns: Readonly<Record<Layout, ReadonlyArray<string>>> = {
  simplicity: ["case_number", "client_name", "judgment_date", "judgment_amount", "current_balance_due"],
  generic: ["plaintiff_name", "judgment_date", "judgment_amount", "current_balance_due"]
}

/**
 * Other names seen for the same columns, after normalisation to lower snake_case ("Debtor First
 * Name" → `debtor_first_name` needs no alias; "Client" → `client` does).
 */
export const ColumnAliases: Readonly<Record<string, string>> = {
  account_number: "case_number",
  case_no: "case_number",
  case: "case_number",
  client_claim: "client_claim_number",
  client_claim_no: "client_claim_number",
  client: "client_name",
  plaintiff: "plaintiff_name",
  original_creditor: "creditor",
  type: "account_type",
  first_name: "debtor_first_name",
  last_name: "debtor_last_name",
  company_name: "debtor_company_name",
  debtor_company: "debtor_company_name",
  debtor_address: "debtor_address_one",
  debtor_address_1: "debtor_address_one",
  debtor_address1: "debtor_address_one",
  debtor_address_2: "debtor_address_two",
  debtor_address2: "debtor_address_two",
  address: "debtor_address_one",
  address_2: "debtor_address_two",
  city: "debtor_city",
  state: "debtor_state",
  zip: "debtor_zip",
  zip_code: "debtor_zip",
  debtor_zip_code: "debtor_zip",
  county: "debtor_county",
  phone: "debtor_phone",
  debtor_phone_number: "debtor_phone",
  email: "debtor_email",
  debtor_email_address: "debtor_email",
  ssn: "last_four_ssn",
  ssn_last_4: "last_four_ssn",
  ssn4: "last_four_ssn",
  last_4_ssn: "last_four_ssn",
  debtor_ssn: "last_four_ssn",
  dob: "debtor_dob",
  date_of_birth: "debtor_dob",
  debtor_date_of_birth: "debtor_dob",
  court: "court_name",
  index_no: "index_number",
  index: "index_number",
  judgment_entered: "judgment_date",
  judgment_entry_date: "judgment_date",
  date_of_judgment: "judgment_date",
  judgment_amt: "judgment_amount",
  judgment_total: "judgment_amount",
  court_costs: "costs",
  rate: "interest_rate",
  interest_from: "interest_from_date",
  transcript_counties: "transcript_county_list",
  payments: "payments_to_date",
  total_payments: "payments_to_date",
  last_payment: "last_payment_date",
  balance: "current_balance_due",
  balance_due: "current_balance_due",
  current_balance: "current_balance_due",
  employer: "employer_name",
  bank: "bank_name",
  property_county: "real_property_county",
  bankruptcy: "bankruptcy_flag",
  deceased: "deceased_flag",
  account_status: "status",
  payment_id: "debtor_payment_id"
}
