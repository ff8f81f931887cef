import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Settles jobs that have no writes of their own in one statement (one round trip, one commit):
 * fences each delivery (the message must still be in the queue with the read_ct it was read
 * with), records the idempotency keys, archives the fenced messages with pgmq.archive.
 * Outcome per message: completed, duplicate (key completed before) or lease_lost.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE FUNCTION workers.complete_jobs(
  queue_name text,
  msg_ids bigint[],
  read_cts integer[],
  org_ids uuid[],
  idempotency_keys text[],
  job_ids uuid[],
  worker_id text
)
RETURNS TABLE (settled_msg_id bigint, outcome text)
LANGUAGE plpgsql AS $fn$
DECLARE
  fenced bigint[];
BEGIN
  EXECUTE format(
    'SELECT coalesce(array_agg(msg_id), ''{}'') FROM (
       SELECT q.msg_id FROM pgmq.%I q
       JOIN unnest($1::bigint[], $2::integer[]) AS i(msg_id, read_ct) ON i.msg_id = q.msg_id AND i.read_ct = q.read_ct
       ORDER BY q.msg_id FOR UPDATE OF q
     ) locked',
    'q_' || lower(complete_jobs.queue_name))
    INTO fenced USING complete_jobs.msg_ids, complete_jobs.read_cts;

  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(complete_jobs.msg_ids, complete_jobs.org_ids, complete_jobs.idempotency_keys, complete_jobs.job_ids)
      AS t(msg_id, org_id, idempotency_key, job_id)
  ),
  recorded AS (
    INSERT INTO workers.job_ledger AS l (org_id, idempotency_key, job_id, queue_name, msg_id, worker_id)
    SELECT i.org_id, i.idempotency_key, i.job_id, complete_jobs.queue_name, i.msg_id, complete_jobs.worker_id
    FROM input i WHERE i.msg_id = ANY(fenced)
    ON CONFLICT (org_id, idempotency_key) DO NOTHING
    RETURNING l.msg_id
  )
  SELECT i.msg_id,
         CASE WHEN NOT (i.msg_id = ANY(fenced)) THEN 'lease_lost'
              WHEN r.msg_id IS NULL THEN 'duplicate'
              ELSE 'completed' END
  FROM input i LEFT JOIN recorded r ON r.msg_id = i.msg_id;

  IF cardinality(fenced) > 0 THEN
    PERFORM pgmq.archive(complete_jobs.queue_name, fenced);
  END IF;
END
$fn$;
`))
