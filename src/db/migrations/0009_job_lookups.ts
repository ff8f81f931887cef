import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Lookups by job for `GET /v1/jobs/{id}` and the dead-letter filters, without scanning: replays
 * by job id, and dead letters (pending and resolved) by JSON containment (`message @> …`: job id,
 * source queue, reason). Dead letters are rare, so the GIN indexes cost little on write.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE INDEX dead_letter_replays_job_id ON workers.dead_letter_replays (job_id);
CREATE INDEX q_dead_letter_message ON pgmq.q_dead_letter USING gin (message jsonb_path_ops);
CREATE INDEX a_dead_letter_message ON pgmq.a_dead_letter USING gin (message jsonb_path_ops);
`))
