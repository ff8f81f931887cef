import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * What the API records beside the queues: the jobs it enqueued (its idempotency keys), replays of
 * dead letters, and uploaded files (kept in Postgres: the API and the workers share no disk).
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
-- One row per (org_id, idempotency_key) ever enqueued through the API, written in the transaction
-- that sends the message: a second request with the key finds it and sends nothing.
CREATE TABLE workers.job_requests (
  org_id uuid NOT NULL,
  idempotency_key text NOT NULL,
  job_id uuid NOT NULL UNIQUE,
  queue_name text NOT NULL,
  msg_id bigint NOT NULL,
  trace_id uuid,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, idempotency_key)
);

-- A dead letter is replayed at most once: the replay sends its original to the source queue and
-- archives the dead letter in the transaction that inserts this row.
CREATE TABLE workers.dead_letter_replays (
  dead_letter_msg_id bigint PRIMARY KEY,
  source_queue text NOT NULL,
  new_msg_id bigint NOT NULL,
  job_id uuid,
  replayed_at timestamptz NOT NULL DEFAULT now(),
  replayed_by text NOT NULL,
  reason text NOT NULL
);

-- Uploaded CSV files, content-addressed: the same bytes are stored once.
CREATE TABLE dragonfly.uploads (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  file_path text NOT NULL UNIQUE,
  content bytea NOT NULL,
  size_bytes integer NOT NULL,
  content_type text NOT NULL,
  original_name text,
  org_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
`))
