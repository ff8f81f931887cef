import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Enforcement planning and outbound communications (issue 9).
 *
 * A plan is the planner's verdict on one judgment at one moment: its gates, the outcome of every
 * rule with its reason, and the tasks that follow. Replanning inserts a new version and marks the
 * previous one superseded, so the history stays. Drafts are the documents prepared for a task.
 *
 * The outbox holds every message to a debtor, written in the transaction of the change that causes
 * it; the comms worker sends each row at most once, recording `sending` before the provider call
 * and `sent` after it. Contact attempts are an append-only ledger (the comms rules count it);
 * suppressions and consents say what a debtor asked for or agreed to; `comms_accounts` holds the
 * per-debt dates the rules read (initial communication, validation notice, dispute, cease).
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.zipRight(
    sql`SELECT pgmq.create('enforcement_draft'::text)`,
    sql.unsafe(`
CREATE TABLE dragonfly.enforcement_plans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  judgment_id text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded')),
  planner_version text NOT NULL,
  rules_version text NOT NULL,
  -- the date the plan was made for
  as_of date NOT NULL,
  -- the score the plan was made after, when a score job asked for it
  score_version text,
  tier char(1),
  -- [{code, passed, reason}]
  gates jsonb NOT NULL,
  -- [{rule_id, outcome, reason}]
  rules jsonb NOT NULL,
  -- the interest computation at the correct rate
  interest jsonb NOT NULL,
  rate_percent numeric(6, 3) NOT NULL,
  -- of gates, rules and tasks: a replan that changes none of them keeps the plan in force
  digest text NOT NULL,
  job_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  superseded_at timestamptz,
  superseded_by uuid REFERENCES dragonfly.enforcement_plans (id),
  UNIQUE (org_id, judgment_id, version),
  FOREIGN KEY (org_id, judgment_id) REFERENCES dragonfly.judgments (org_id, id) ON DELETE CASCADE,
  CHECK ((status = 'superseded') = (superseded_at IS NOT NULL))
);
CREATE UNIQUE INDEX enforcement_plans_active_key ON dragonfly.enforcement_plans (org_id, judgment_id)
  WHERE status = 'active';

CREATE TABLE dragonfly.enforcement_tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  plan_id uuid NOT NULL REFERENCES dragonfly.enforcement_plans (id) ON DELETE CASCADE,
  org_id uuid NOT NULL,
  judgment_id text NOT NULL,
  -- its position in the plan
  position integer NOT NULL,
  rule_id text NOT NULL,
  action text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'waiting', 'held', 'blocked', 'done', 'cancelled', 'superseded')),
  -- [{code, ok, detail}]
  preconditions jsonb NOT NULL DEFAULT '[]',
  due_date date,
  -- {kind, days, from}
  timer jsonb,
  next_step text NOT NULL DEFAULT '',
  requires_attorney_signoff boolean NOT NULL,
  signed_off_by text,
  signed_off_at timestamptz,
  garnishee text,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (plan_id, position)
);
CREATE INDEX enforcement_tasks_judgment_idx ON dragonfly.enforcement_tasks (org_id, judgment_id);

CREATE TABLE dragonfly.enforcement_drafts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id uuid NOT NULL REFERENCES dragonfly.enforcement_tasks (id) ON DELETE CASCADE,
  org_id uuid NOT NULL,
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('ready', 'failed')),
  method text NOT NULL CHECK (method IN ('template', 'llm')),
  template_id text NOT NULL,
  template_version text NOT NULL,
  prompt_version text,
  model text,
  title text,
  body text,
  fields jsonb NOT NULL DEFAULT '{}',
  -- why a draft failed
  error text,
  attempts integer NOT NULL DEFAULT 0,
  job_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'ready') = (body IS NOT NULL))
);
CREATE INDEX enforcement_drafts_task_idx ON dragonfly.enforcement_drafts (task_id, created_at DESC);

CREATE TABLE dragonfly.outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  judgment_id text NOT NULL,
  task_id uuid REFERENCES dragonfly.enforcement_tasks (id) ON DELETE SET NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  kind text NOT NULL,
  recipient text NOT NULL,
  subject text,
  body text NOT NULL,
  -- the disclosures the message carries (mini_miranda, opt_out, …)
  disclosures text[] NOT NULL DEFAULT '{}',
  -- what a message dated by its sending (the validation notice) is rendered again from, at send time
  template_data jsonb,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'deferred', 'sending', 'sent', 'blocked', 'failed', 'review')),
  idempotency_key text NOT NULL,
  -- the comms job that sends it
  job_id uuid NOT NULL,
  -- who asked: a plan task, an operator through the API, an inbound opt-out
  requested_by text NOT NULL,
  not_before timestamptz,
  send_attempts integer NOT NULL DEFAULT 0,
  deferrals integer NOT NULL DEFAULT 0,
  provider text,
  provider_message_id text,
  -- the last decision of the comms guard: {decision, rule_ids, reason, evaluated}
  decision jsonb,
  blocked_rule text,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sending_at timestamptz,
  sent_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, idempotency_key),
  FOREIGN KEY (org_id, judgment_id) REFERENCES dragonfly.judgments (org_id, id) ON DELETE CASCADE,
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX outbox_judgment_idx ON dragonfly.outbox (org_id, judgment_id, created_at DESC);
CREATE INDEX outbox_review_idx ON dragonfly.outbox (status) WHERE status IN ('review', 'sending');

CREATE TABLE dragonfly.contact_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL,
  judgment_id text NOT NULL,
  medium text NOT NULL CHECK (medium IN ('call', 'sms', 'email', 'letter')),
  direction text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  kind text NOT NULL CHECK (kind IN ('attempt', 'conversation', 'opt_out_confirmation')),
  connected boolean NOT NULL DEFAULT false,
  consented_call boolean NOT NULL DEFAULT false,
  outbox_id uuid,
  detail text,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_attempts_debt_idx ON dragonfly.contact_attempts (org_id, judgment_id, occurred_at DESC);

-- The ledger is evidence (C14): rows are added, never changed or removed.
CREATE FUNCTION dragonfly.contact_attempts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'dragonfly.contact_attempts is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER contact_attempts_append_only BEFORE UPDATE OR DELETE ON dragonfly.contact_attempts
  FOR EACH ROW EXECUTE FUNCTION dragonfly.contact_attempts_append_only();

CREATE TABLE dragonfly.comms_suppressions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL,
  -- NULL: every debt of this address (an SMS opt-out is for the number)
  judgment_id text,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'call', 'all')),
  -- the phone (E.164) or email address it concerns; NULL: the debtor, whatever the address
  address text,
  reason text NOT NULL CHECK (reason IN ('opt_out', 'cease', 'attorney', 'do_not_use')),
  source text NOT NULL,
  detail text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comms_suppressions_address_idx ON dragonfly.comms_suppressions (org_id, address);
CREATE INDEX comms_suppressions_judgment_idx ON dragonfly.comms_suppressions (org_id, judgment_id);

CREATE TABLE dragonfly.comms_consents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL,
  judgment_id text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'call')),
  kind text NOT NULL CHECK (kind IN ('written', 'prior_express')),
  address text,
  given_at timestamptz NOT NULL,
  revoked_at timestamptz,
  source text NOT NULL,
  FOREIGN KEY (org_id, judgment_id) REFERENCES dragonfly.judgments (org_id, id) ON DELETE CASCADE
);
CREATE INDEX comms_consents_judgment_idx ON dragonfly.comms_consents (org_id, judgment_id);

CREATE TABLE dragonfly.comms_accounts (
  org_id uuid NOT NULL,
  judgment_id text NOT NULL,
  initial_communication_at timestamptz,
  validation_notice_sent_at timestamptz,
  dispute_received_at timestamptz,
  verification_mailed_at timestamptz,
  cease_requested_at timestamptz,
  attorney_represented_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, judgment_id),
  FOREIGN KEY (org_id, judgment_id) REFERENCES dragonfly.judgments (org_id, id) ON DELETE CASCADE
);
`)
  ))
