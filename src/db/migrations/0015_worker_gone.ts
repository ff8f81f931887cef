import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * A worker that stopped sending heartbeats is either stuck (alive, still holding its database
 * connections) or gone (SIGKILLed, replaced by a redeploy). `worker_health` tells them apart:
 * - `stale`: not stopped, no heartbeat for `stale_after` (default: 3 heartbeat intervals), and
 *   nothing says its process is gone;
 * - `gone`: the same silence, and its process holds no database session (when its sessions carry
 *   its worker id as application_name, `sessions_named`: not through a pooler that hides it), or it
 *   has been silent for `gone_after`, or, when its sessions cannot be seen, a newer instance of its
 *   service on the same queues started after its last heartbeat. A process that still holds a
 *   session is gone only after `gone_after` (a stuck replica is not "replaced" by its siblings).
 * The monitor alerts about a gone worker once (`gone_alerted_at`); a heartbeat clears that mark.
 * `prune_heartbeats` deletes stopped and gone rows silent for longer than `older_than`.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
ALTER TABLE workers.heartbeats
  ADD COLUMN sessions_named boolean NOT NULL DEFAULT false,
  ADD COLUMN gone_alerted_at timestamptz;

CREATE FUNCTION workers.worker_health(stale_after interval DEFAULT NULL, gone_after interval DEFAULT interval '1 hour')
RETURNS TABLE (
  worker_id text,
  service text,
  queue_name text,
  queues text[],
  status text,
  health text,
  host text,
  pid integer,
  version text,
  started_at timestamptz,
  last_heartbeat_at timestamptz,
  seconds_since_heartbeat integer,
  heartbeat_interval_seconds integer,
  concurrency integer,
  jobs_processed bigint,
  jobs_failed bigint,
  jobs_dead_lettered bigint,
  jobs_in_flight integer,
  last_error text,
  last_error_at timestamptz,
  gone_reason text,
  gone_alerted_at timestamptz
)
LANGUAGE sql STABLE AS $$
  SELECT
    h.worker_id, h.service, h.queue_name, h.queues, h.status,
    CASE
      WHEN h.status = 'stopped' THEN 'stopped'
      WHEN g.reason IS NOT NULL THEN 'gone'
      WHEN s.silent THEN 'stale'
      WHEN h.status = 'draining' THEN 'draining'
      ELSE 'healthy'
    END,
    h.host, h.pid, h.version, h.started_at, h.last_heartbeat_at,
    floor(extract(epoch FROM now() - h.last_heartbeat_at))::integer,
    h.heartbeat_interval_seconds, h.concurrency, h.jobs_processed, h.jobs_failed, h.jobs_dead_lettered,
    h.jobs_in_flight, h.last_error, h.last_error_at,
    g.reason,
    h.gone_alerted_at
  FROM workers.heartbeats h
  CROSS JOIN LATERAL (
    SELECT h.status <> 'stopped'
      AND h.last_heartbeat_at < now() - coalesce(stale_after, make_interval(secs => 3 * h.heartbeat_interval_seconds))
      AS silent
  ) s
  CROSS JOIN LATERAL (
    SELECT CASE
      WHEN NOT s.silent THEN NULL
      WHEN h.sessions_named AND NOT EXISTS (
        SELECT 1 FROM pg_stat_activity a
        WHERE a.datname = current_database() AND a.application_name = left(h.worker_id, 63)
      ) THEN 'its process holds no database connection'
      WHEN h.last_heartbeat_at < now() - gone_after
        THEN 'no heartbeat for over ' || round(extract(epoch FROM gone_after) / 60) || ' min'
      WHEN NOT h.sessions_named AND EXISTS (
        SELECT 1 FROM workers.heartbeats n
        WHERE n.service = h.service AND n.queue_name = h.queue_name AND n.worker_id <> h.worker_id
          AND n.started_at > h.last_heartbeat_at
      ) THEN 'replaced by a newer ' || h.service || ' worker on ' || h.queue_name
    END AS reason
  ) g
$$;

CREATE OR REPLACE VIEW workers.v_worker_health AS
SELECT * FROM workers.worker_health();

CREATE OR REPLACE FUNCTION workers.find_stale_workers(minutes integer)
RETURNS SETOF workers.v_worker_health
LANGUAGE sql STABLE AS $$
  SELECT * FROM workers.worker_health(make_interval(mins => minutes))
  WHERE health = 'stale'
  ORDER BY last_heartbeat_at
$$;

CREATE FUNCTION workers.prune_heartbeats(older_than interval, gone_after interval DEFAULT interval '1 hour')
RETURNS SETOF text
LANGUAGE sql AS $$
  DELETE FROM workers.heartbeats h
  USING workers.worker_health(NULL, gone_after) w
  WHERE w.worker_id = h.worker_id
    AND w.health IN ('stopped', 'gone')
    AND h.last_heartbeat_at < now() - older_than
  RETURNING h.worker_id
$$;
`))
