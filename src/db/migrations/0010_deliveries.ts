import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * What the runtime remembers about a message's earlier deliveries, so that attempts are counted
 * fairly (docs/runtime.md, "Attempts and poison messages"). pgmq's read_ct counts every delivery,
 * including those that died with their worker because another job took the process down; this
 * table tells those apart. A row exists only for a message that failed, was handed back, or ran
 * alone; it is deleted when the message is archived.
 *
 * Fields, for delivery N of a message:
 * - last_ended: the last delivery whose end was recorded here (a failure, or handed back unfinished).
 *   Deliveries after it and before N ended without a trace: the worker died, hung, or lost its lease.
 * - suspect: such a delivery happened and no delivery run alone has ended since. A suspect runs alone.
 * - failures: attempts that failed with an error (counted against the attempt limit).
 * - crashes: deliveries run alone that ended without a trace (counted: the job took its worker down).
 * - isolated: the delivery currently run alone (0: none); it crashed when a later delivery sees it
 *   above last_ended.
 * The TypeScript mirror of these rules is src/runtime/Deliveries.ts (the memory layer and `history`).
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE workers.deliveries (
  queue_name text NOT NULL,
  msg_id bigint NOT NULL,
  -- msg_ids restart when a queue is dropped and created again: a row counts only for its message.
  enqueued_at timestamptz NOT NULL,
  last_ended integer NOT NULL DEFAULT 0,
  suspect boolean NOT NULL DEFAULT false,
  failures integer NOT NULL DEFAULT 0,
  crashes integer NOT NULL DEFAULT 0,
  isolated integer NOT NULL DEFAULT 0,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (queue_name, msg_id)
);

-- Before delivery \`delivery\` of a suspect runs alone. Counts a crash of the previous run alone,
-- if it ended without a trace. Returns nothing when the delivery is no longer current (lease lost).
CREATE FUNCTION workers.isolate_delivery(queue text, id bigint, delivery integer)
RETURNS TABLE (counted_failures integer, counted_crashes integer)
LANGUAGE plpgsql AS $fn$
DECLARE
  enqueued timestamptz;
BEGIN
  EXECUTE format('SELECT enqueued_at FROM pgmq.%I WHERE msg_id = $1 AND read_ct = $2', 'q_' || lower(queue))
    INTO enqueued USING id, delivery;
  IF enqueued IS NULL THEN
    RETURN;
  END IF;
  DELETE FROM workers.deliveries d WHERE d.queue_name = queue AND d.msg_id = id AND d.enqueued_at <> enqueued;
  RETURN QUERY
  INSERT INTO workers.deliveries AS d (queue_name, msg_id, enqueued_at, suspect, isolated)
  VALUES (queue, id, enqueued, true, delivery)
  ON CONFLICT (queue_name, msg_id) DO UPDATE SET
    crashes = d.crashes + (d.isolated > d.last_ended)::integer,
    suspect = true,
    isolated = excluded.isolated,
    updated_at = now()
  RETURNING d.failures, d.crashes;
END
$fn$;

-- Ends deliveries with a record: each message still at the given delivery becomes visible after
-- delay_seconds, and its end is recorded, as a counted failure when is_failure. Returns the ids
-- recorded (a message re-read by someone else, gone or locked is left alone).
CREATE FUNCTION workers.end_deliveries(
  queue text,
  ids bigint[],
  delivery_counts integer[],
  delay_seconds integer,
  is_failure boolean,
  reason text
)
RETURNS SETOF bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  ended_ids bigint[];
  ended_cts integer[];
  ended_at timestamptz[];
BEGIN
  -- A message locked by someone else (its settling transaction) is not waited for.
  EXECUTE format(
    'WITH free AS (
       SELECT q.msg_id FROM pgmq.%1$I q
       JOIN unnest($1::bigint[], $2::integer[]) AS i(msg_id, read_ct) ON q.msg_id = i.msg_id AND q.read_ct = i.read_ct
       ORDER BY q.msg_id FOR UPDATE OF q SKIP LOCKED
     ),
     ended AS (
       UPDATE pgmq.%1$I q SET vt = clock_timestamp() + make_interval(secs => $3)
       FROM free f WHERE q.msg_id = f.msg_id
       RETURNING q.msg_id, q.read_ct, q.enqueued_at
     )
     SELECT array_agg(msg_id), array_agg(read_ct), array_agg(enqueued_at) FROM ended',
    'q_' || lower(queue))
    INTO ended_ids, ended_cts, ended_at USING ids, delivery_counts, delay_seconds;
  IF ended_ids IS NULL THEN
    RETURN;
  END IF;
  DELETE FROM workers.deliveries d
  USING unnest(ended_ids, ended_at) AS e(msg_id, enqueued_at)
  WHERE d.queue_name = queue AND d.msg_id = e.msg_id AND d.enqueued_at <> e.enqueued_at;
  INSERT INTO workers.deliveries AS d (queue_name, msg_id, enqueued_at, last_ended, suspect, failures, last_error)
  SELECT queue, e.msg_id, e.enqueued_at, e.read_ct, e.read_ct > 1, is_failure::integer, reason
  FROM unnest(ended_ids, ended_cts, ended_at) AS e(msg_id, read_ct, enqueued_at)
  ON CONFLICT (queue_name, msg_id) DO UPDATE SET
    crashes = d.crashes + (d.isolated > d.last_ended AND d.isolated < excluded.last_ended)::integer,
    -- a failure of a delivery run alone clears the suspicion: the job fails, it does not crash
    suspect = CASE WHEN is_failure AND d.isolated = excluded.last_ended THEN false
                   ELSE d.suspect OR d.last_ended < excluded.last_ended - 1 END,
    failures = d.failures + excluded.failures,
    last_ended = excluded.last_ended,
    isolated = 0,
    last_error = coalesce(excluded.last_error, d.last_error),
    updated_at = now();
  RETURN QUERY SELECT unnest(ended_ids);
END
$fn$;

-- As in 0007, and the fenced messages' delivery records go with them.
CREATE OR REPLACE FUNCTION workers.complete_jobs(
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
    -- only a redelivered message can have a record
    IF EXISTS (SELECT 1 FROM unnest(complete_jobs.read_cts) AS r(n) WHERE r.n > 1) THEN
      DELETE FROM workers.deliveries d WHERE d.queue_name = complete_jobs.queue_name AND d.msg_id = ANY(fenced);
    END IF;
  END IF;
END
$fn$;

-- The probe service records which delivery made its effect, besides the counted attempt, and when
-- its handler started (to tell whether jobs ran side by side).
ALTER TABLE workers.probe_effects
  ADD COLUMN delivery integer NOT NULL DEFAULT 0,
  ADD COLUMN started_at timestamptz;
`))
