import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * An idle worker's wait, in one statement (so it works through a transaction pooler, where there
 * is no LISTEN): returns as soon as one of `queues` may have a message to read, or after
 * `max_wait_ms`. Two probes, neither of which reads a message:
 * - every `probe_every_ms`, each queue's msg_id sequence against `seen` (the values the previous
 *   call returned): any send since moves it. Static SQL, a few µs; a send that has not committed
 *   yet moves it too, and the visibility probe finds it later.
 * - every `visible_every_ms`, whether any message is visible (vt passed: retries, delayed sends,
 *   leases of workers that died), which needs the queue tables by name and so costs a plan.
 * Returns the sequences' values, for the next call's `seen` (a NULL `seen` returns at once).
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE FUNCTION workers.await_messages(
  queues text[], seen bigint[], max_wait_ms integer, probe_every_ms integer, visible_every_ms integer
) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
  sequences regclass[] := ARRAY(
    SELECT pg_get_serial_sequence(format('pgmq.%I', 'q_' || q), 'msg_id')::regclass FROM unnest(queues) WITH ORDINALITY AS t(q, i) ORDER BY i
  );
  visible_probe text := 'SELECT ' || coalesce(
    (SELECT string_agg(format('EXISTS (SELECT 1 FROM pgmq.%I WHERE vt <= clock_timestamp())', 'q_' || q), ' OR ') FROM unnest(queues) q),
    'false'
  );
  deadline timestamptz := clock_timestamp() + make_interval(secs => max_wait_ms / 1000.0);
  next_visible_probe timestamptz := clock_timestamp() + make_interval(secs => visible_every_ms / 1000.0);
  current bigint[];
  visible boolean;
BEGIN
  LOOP
    current := ARRAY(SELECT coalesce(pg_sequence_last_value(s), 0) FROM unnest(sequences) WITH ORDINALITY AS t(s, i) ORDER BY i);
    IF seen IS NULL OR current IS DISTINCT FROM seen OR clock_timestamp() >= deadline THEN
      RETURN current;
    END IF;
    IF clock_timestamp() >= next_visible_probe THEN
      EXECUTE visible_probe INTO visible;
      IF visible THEN
        RETURN current;
      END IF;
      next_visible_probe := clock_timestamp() + make_interval(secs => visible_every_ms / 1000.0);
    END IF;
    PERFORM pg_sleep(probe_every_ms / 1000.0);
  END LOOP;
END $$;
`))
