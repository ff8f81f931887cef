import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The runtime's tables, views and functions in schema `workers`, as the deployment guide queries
 * them: heartbeats, the idempotency ledger, v_worker_health, v_queue_metrics, find_stale_workers.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE workers.heartbeats (
  worker_id text PRIMARY KEY,
  service text NOT NULL,
  -- What the worker consumes: a queue, or a family such as 'enforcement_*'.
  queue_name text NOT NULL,
  -- The queues it currently reads (a family resolved through pgmq.list_queues()).
  queues text[] NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('starting', 'running', 'draining', 'stopped')),
  host text NOT NULL,
  pid integer NOT NULL,
  version text NOT NULL,
  started_at timestamptz NOT NULL,
  last_heartbeat_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_interval_seconds integer NOT NULL,
  concurrency integer NOT NULL,
  jobs_processed bigint NOT NULL DEFAULT 0,
  jobs_failed bigint NOT NULL DEFAULT 0,
  jobs_dead_lettered bigint NOT NULL DEFAULT 0,
  jobs_in_flight integer NOT NULL DEFAULT 0,
  last_error text,
  last_error_at timestamptz
);
CREATE INDEX heartbeats_last_heartbeat_at ON workers.heartbeats (last_heartbeat_at);

-- Exactly-once effects: a key is completed at most once, in the transaction that acknowledges it.
CREATE TABLE workers.job_ledger (
  org_id uuid NOT NULL,
  idempotency_key text NOT NULL,
  job_id uuid NOT NULL,
  queue_name text NOT NULL,
  msg_id bigint NOT NULL,
  worker_id text NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, idempotency_key)
);
CREATE INDEX job_ledger_job_id ON workers.job_ledger (job_id);

CREATE VIEW workers.v_worker_health AS
SELECT
  h.worker_id,
  h.service,
  h.queue_name,
  h.queues,
  h.status,
  CASE
    WHEN h.status = 'stopped' THEN 'stopped'
    WHEN h.last_heartbeat_at < now() - make_interval(secs => 3 * h.heartbeat_interval_seconds) THEN 'stale'
    WHEN h.status = 'draining' THEN 'draining'
    ELSE 'healthy'
  END AS health,
  h.host,
  h.pid,
  h.version,
  h.started_at,
  h.last_heartbeat_at,
  floor(extract(epoch FROM now() - h.last_heartbeat_at))::integer AS seconds_since_heartbeat,
  h.heartbeat_interval_seconds,
  h.concurrency,
  h.jobs_processed,
  h.jobs_failed,
  h.jobs_dead_lettered,
  h.jobs_in_flight,
  h.last_error,
  h.last_error_at
FROM workers.heartbeats h;

CREATE FUNCTION workers.find_stale_workers(minutes integer)
RETURNS SETOF workers.v_worker_health
LANGUAGE sql STABLE AS $$
  SELECT * FROM workers.v_worker_health
  WHERE status <> 'stopped' AND last_heartbeat_at < now() - make_interval(mins => minutes)
  ORDER BY last_heartbeat_at
$$;

-- Per queue: pgmq's metrics plus what the guide's scaling table asks about. Depth "> 1000 for
-- more than 5 minutes" is measured exactly as "more than 1000 messages have waited 5 minutes".
CREATE FUNCTION workers.queue_metrics()
RETURNS TABLE (
  queue_name text,
  depth bigint,
  visible bigint,
  waiting_over_5_min bigint,
  oldest_msg_age_sec integer,
  newest_msg_age_sec integer,
  total_messages bigint
)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  q record;
BEGIN
  FOR q IN SELECT l.queue_name FROM pgmq.list_queues() l ORDER BY l.queue_name LOOP
    RETURN QUERY EXECUTE format(
      $q$SELECT %L::text,
                count(*),
                count(*) FILTER (WHERE vt <= clock_timestamp()),
                count(*) FILTER (WHERE enqueued_at < now() - interval '5 minutes'),
                floor(extract(epoch FROM now() - min(enqueued_at)))::integer,
                floor(extract(epoch FROM now() - max(enqueued_at)))::integer,
                (SELECT m.total_messages FROM pgmq.metrics(%L) m)
         FROM pgmq.%I$q$,
      q.queue_name, q.queue_name, 'q_' || q.queue_name);
  END LOOP;
END
$$;

CREATE VIEW workers.v_queue_metrics AS
WITH dead AS (
  SELECT message->>'source_queue' AS queue_name, count(*) AS dead_letters
  FROM pgmq.q_dead_letter
  GROUP BY 1
),
consumers AS (
  SELECT unnest(queues) AS queue_name, count(*) AS live_consumers
  FROM workers.v_worker_health
  WHERE health IN ('healthy', 'draining')
  GROUP BY 1
)
SELECT
  m.queue_name,
  m.depth,
  m.visible,
  m.oldest_msg_age_sec,
  m.newest_msg_age_sec,
  m.total_messages,
  coalesce(d.dead_letters, 0) AS dead_letters,
  coalesce(c.live_consumers, 0) AS live_consumers,
  m.waiting_over_5_min > 1000 AS scale_out,
  coalesce(m.oldest_msg_age_sec > 1800, false) AS oldest_over_30_min,
  m.depth > 0 AND coalesce(c.live_consumers, 0) = 0 AND m.queue_name <> 'dead_letter' AS no_consumers
FROM workers.queue_metrics() m
LEFT JOIN dead d USING (queue_name)
LEFT JOIN consumers c USING (queue_name);
`))
