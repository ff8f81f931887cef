import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * What the probe service needs, installed by the test suite and the dev stack only (never by the
 * migrations): its queue, and the table its `record` jobs write, one row per completed job.
 * Idempotent.
 */
export const installProbe = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE IF NOT EXISTS workers.probe_effects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id uuid NOT NULL,
  org_id uuid NOT NULL,
  idempotency_key text NOT NULL,
  attempt integer NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  -- which delivery made the effect, and when its handler started (were jobs run side by side)
  delivery integer NOT NULL DEFAULT 0,
  started_at timestamptz
);
CREATE INDEX IF NOT EXISTS probe_effects_key ON workers.probe_effects (org_id, idempotency_key);
SELECT pgmq.create('probe_main') WHERE NOT EXISTS (SELECT 1 FROM pgmq.list_queues() WHERE queue_name = 'probe_main');
`))
