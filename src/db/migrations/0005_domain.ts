import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The domain tables (domain.md §1–§3): plaintiffs, judgments, the debtor facts the collectability
 * model reads, its per-judgment results and the per-plaintiff rollup.
 *
 * Every row belongs to an organisation: keys are `(org_id, id)`, with `id` as text because job
 * envelopes carry ids such as "12345" or "j-001"; foreign keys include `org_id`, so a row can never
 * point into another organisation. Money is integer cents (`bigint`), calendar dates are `date`.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE SCHEMA IF NOT EXISTS dragonfly`

  yield* sql`CREATE TABLE dragonfly.plaintiffs (
    org_id uuid NOT NULL,
    id text NOT NULL DEFAULT gen_random_uuid()::text,
    name text NOT NULL CHECK (btrim(name) <> ''),
    -- the CSV's client_name matched case- and space-insensitively
    name_key text GENERATED ALWAYS AS (lower(regexp_replace(btrim(name), '\\s+', ' ', 'g'))) STORED,
    source text,
    is_synthetic boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name_key)
  )`

  yield* sql`CREATE TABLE dragonfly.judgments (
    org_id uuid NOT NULL,
    id text NOT NULL DEFAULT gen_random_uuid()::text,
    plaintiff_id text NOT NULL,
    source text NOT NULL,
    case_number text,
    client_claim_number text,
    creditor text,
    account_type char(1) CHECK (account_type IN ('C', 'N')),
    court_name text,
    court_county text,
    index_number text,
    transcript_county_list text[] NOT NULL DEFAULT '{}',
    judgment_date date NOT NULL,
    judgment_amount_cents bigint NOT NULL,
    costs_cents bigint,
    -- percent per year, e.g. 9.000 or 2.000
    interest_rate numeric(6, 3),
    interest_from_date date,
    payments_to_date_cents bigint,
    last_payment_amount_cents bigint,
    current_balance_cents bigint NOT NULL,
    status text NOT NULL DEFAULT 'open'
      CHECK (status IN ('open', 'partially_satisfied', 'satisfied', 'vacated')),
    last_payment_date date,
    last_acknowledgment_date date,
    debtor_first_name text,
    debtor_last_name text,
    debtor_company_name text,
    debtor_address_one text,
    debtor_address_two text,
    debtor_city text,
    debtor_state text,
    debtor_zip text,
    debtor_county text,
    debtor_phone text,
    debtor_email text,
    last_four_ssn text CHECK (last_four_ssn ~ '^[0-9]{4}$'),
    debtor_dob date,
    debtor_payment_id text,
    action_codes text[] NOT NULL DEFAULT '{}',
    -- extra CSV columns (domain.md §1: they become custom fields)
    custom_fields jsonb NOT NULL DEFAULT '{}',
    is_synthetic boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, plaintiff_id) REFERENCES dragonfly.plaintiffs (org_id, id) ON DELETE CASCADE,
    -- NULLs are distinct, so this binds only rows that have a case number, and it can be an
    -- ON CONFLICT target as it stands (a partial index would need its predicate repeated there)
    UNIQUE (org_id, source, case_number)
  )`
  yield* sql`CREATE INDEX judgments_plaintiff_idx ON dragonfly.judgments (org_id, plaintiff_id)`
  yield* sql`CREATE INDEX judgments_court_index_idx ON dragonfly.judgments (org_id, court_name, index_number)
    WHERE index_number IS NOT NULL`

  // One row per judgment. Every fact has the date it was established ("as of"); a NULL date
  // means the fact's age is unknown. Booleans default to false = "not known to be true".
  yield* sql`CREATE TABLE dragonfly.judgment_facts (
    org_id uuid NOT NULL,
    judgment_id text NOT NULL,
    employer_name text,
    employer_address text,
    employment_type text CHECK (employment_type IN ('w2', '1099', 'self_employed')),
    employment_verified_at date,
    bank_name text,
    -- NULL: not recorded (the model treats it as NY)
    bank_state text,
    bank_identified_at date,
    bank_exempt_only boolean NOT NULL DEFAULT false,
    real_property_county text,
    -- NULL: not recorded (the model treats it as NY)
    real_property_state text,
    property_equity_cents bigint,
    property_liens_cents bigint,
    property_as_of date,
    business_status text CHECK (business_status IN ('active', 'inactive', 'dissolved')),
    business_status_as_of date,
    income_only_exempt boolean NOT NULL DEFAULT false,
    income_as_of date,
    address_verified_at date,
    address_returned_mail boolean NOT NULL DEFAULT false,
    address_returned_mail_at date,
    phone_working boolean NOT NULL DEFAULT false,
    phone_verified_at date,
    email_consented boolean NOT NULL DEFAULT false,
    email_consent_at date,
    bankruptcy_status text CHECK (bankruptcy_status IN ('none', 'open', 'discharged', 'dismissed')),
    bankruptcy_reaffirmed boolean NOT NULL DEFAULT false,
    bankruptcy_as_of date,
    deceased boolean NOT NULL DEFAULT false,
    deceased_as_of date,
    scra_active_duty boolean NOT NULL DEFAULT false,
    scra_checked_at date,
    other_judgments_count integer CHECK (other_judgments_count >= 0),
    other_judgments_as_of date,
    payment_plan_broken boolean NOT NULL DEFAULT false,
    payment_plan_as_of date,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, judgment_id),
    FOREIGN KEY (org_id, judgment_id) REFERENCES dragonfly.judgments (org_id, id) ON DELETE CASCADE
  )`

  yield* sql`CREATE TABLE dragonfly.collectability_scores (
    org_id uuid NOT NULL,
    judgment_id text NOT NULL,
    tier char(1) NOT NULL CHECK (tier IN ('A', 'B', 'C', 'D', 'X')),
    -- clamped to 0..100; NULL when a gate failed (tier X)
    score smallint CHECK (score BETWEEN 0 AND 100),
    -- the sum of the factors' points before clamping
    raw_score integer,
    gates_failed text[] NOT NULL DEFAULT '{}',
    -- [{code, evidence_field, evidence_value}] for each failed gate
    gate_evidence jsonb NOT NULL DEFAULT '[]',
    -- [{code, points, evidence_field, evidence_value}]
    factors jsonb NOT NULL DEFAULT '[]',
    flags text[] NOT NULL DEFAULT '{}',
    score_version text NOT NULL,
    computed_at timestamptz NOT NULL,
    job_id uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, judgment_id),
    FOREIGN KEY (org_id, judgment_id) REFERENCES dragonfly.judgments (org_id, id) ON DELETE CASCADE,
    CHECK ((tier = 'X') = (score IS NULL)),
    CHECK ((score IS NULL) = (raw_score IS NULL))
  )`

  yield* sql`CREATE TABLE dragonfly.plaintiff_collectability (
    org_id uuid NOT NULL,
    plaintiff_id text NOT NULL,
    count_a integer NOT NULL,
    count_b integer NOT NULL,
    count_c integer NOT NULL,
    count_d integer NOT NULL,
    count_x integer NOT NULL,
    balance_a_cents bigint NOT NULL,
    balance_b_cents bigint NOT NULL,
    balance_c_cents bigint NOT NULL,
    balance_d_cents bigint NOT NULL,
    balance_x_cents bigint NOT NULL,
    expected_recovery_index_cents bigint NOT NULL,
    judgments_scored integer NOT NULL,
    -- all of the plaintiff's judgments, scored or not
    judgments_total integer NOT NULL,
    score_version text NOT NULL,
    computed_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, plaintiff_id),
    FOREIGN KEY (org_id, plaintiff_id) REFERENCES dragonfly.plaintiffs (org_id, id) ON DELETE CASCADE
  )`
})
