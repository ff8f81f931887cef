import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** What the probe service's `record` jobs write: one row per completed job, never more. */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE workers.probe_effects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id uuid NOT NULL,
  org_id uuid NOT NULL,
  idempotency_key text NOT NULL,
  attempt integer NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX probe_effects_key ON workers.probe_effects (org_id, idempotency_key);
SELECT pgmq.create('probe_main');
`))
