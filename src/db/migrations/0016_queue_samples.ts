import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The queues' recent history, for the dashboard's charts: `sample_queues(every, keep)` records
 * each queue's depth, visible messages, oldest age and total sent (pgmq's sequence) at most once
 * per `every`, whoever calls it (one sampler at a time across API replicas), and deletes samples
 * older than `keep`. Rates in and out come from consecutive samples (`queue_history`).
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE workers.queue_samples (
  queue_name text NOT NULL,
  sampled_at timestamptz NOT NULL,
  depth bigint NOT NULL,
  visible bigint NOT NULL,
  oldest_msg_age_sec integer,
  total_messages bigint NOT NULL,
  PRIMARY KEY (queue_name, sampled_at)
);
CREATE INDEX queue_samples_sampled_at ON workers.queue_samples (sampled_at);

CREATE FUNCTION workers.sample_queues(every interval, keep interval)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  sampled integer := 0;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('workers.sample_queues')) THEN
    RETURN 0;
  END IF;
  IF EXISTS (SELECT 1 FROM workers.queue_samples WHERE sampled_at > now() - every) THEN
    RETURN 0;
  END IF;
  INSERT INTO workers.queue_samples (queue_name, sampled_at, depth, visible, oldest_msg_age_sec, total_messages)
  SELECT queue_name, now(), depth, visible, oldest_msg_age_sec, coalesce(total_messages, 0)
  FROM workers.v_queue_metrics;
  GET DIAGNOSTICS sampled = ROW_COUNT;
  DELETE FROM workers.queue_samples WHERE sampled_at < now() - keep;
  RETURN sampled;
END
$$;

-- Each sample with the rates since the queue's previous one (messages per second).
CREATE FUNCTION workers.queue_history(since interval)
RETURNS TABLE (
  queue_name text,
  sampled_at timestamptz,
  depth bigint,
  visible bigint,
  oldest_msg_age_sec integer,
  rate_in double precision,
  rate_out double precision
)
LANGUAGE sql STABLE AS $$
  WITH ordered AS (
    SELECT s.*,
      lag(s.total_messages) OVER w AS previous_total,
      lag(s.depth) OVER w AS previous_depth,
      extract(epoch FROM s.sampled_at - lag(s.sampled_at) OVER w) AS seconds
    FROM workers.queue_samples s
    WHERE s.sampled_at >= now() - since
    WINDOW w AS (PARTITION BY s.queue_name ORDER BY s.sampled_at)
  )
  SELECT o.queue_name, o.sampled_at, o.depth, o.visible, o.oldest_msg_age_sec,
    CASE WHEN o.seconds > 0 THEN greatest(0, o.total_messages - o.previous_total) / o.seconds END,
    CASE WHEN o.seconds > 0
      THEN greatest(0, (o.total_messages - o.previous_total) - (o.depth - o.previous_depth)) / o.seconds END
  FROM ordered o
  ORDER BY o.queue_name, o.sampled_at
$$;
`))
