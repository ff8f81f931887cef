import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * What the dashboard reads. Dead letters grouped for people: an error's signature is its tag and
 * its message with what varies from job to job (ids, times, numbers, the value a check found)
 * taken out, so that one failure seen a thousand times is one group. `v_dead_letter_groups`
 * counts the pending ones by source queue, reason and signature; `dead_letter_ids_with_signature`
 * finds a group's messages; `v_dead_letter_replays` is the audit trail, each replay with what the
 * dead letter said. Recent import batches across organisations are found by their start.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE FUNCTION workers.error_signature(tag text, message text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(tag, ''), 'Unknown') || ': ' || left(btrim(
    regexp_replace(
    regexp_replace(
    regexp_replace(
    regexp_replace(
    regexp_replace(
    regexp_replace(coalesce(message, ''),
      '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', '<uuid>', 'g'),
      '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?', '<time>', 'g'),
      '\\m[0-9a-fA-F]{16,}\\M', '<hex>', 'g'),
      '(actual|received|got) [^\\n,;)]*', '\\1 <value>', 'g'),
      '\\m[0-9]+(\\.[0-9]+)?(?=[a-zA-Z]*\\M)', '<n>', 'g'),
      '\\s+', ' ', 'g')), 200)
$$;

CREATE VIEW workers.v_dead_letter_groups AS
SELECT
  coalesce(message->>'source_queue', '') AS source_queue,
  coalesce(message->>'reason', 'unknown') AS reason,
  workers.error_signature(message->'error'->>'tag', message->'error'->>'message') AS signature,
  count(*) AS dead_letters,
  min(enqueued_at) AS first_dead_lettered_at,
  max(enqueued_at) AS last_dead_lettered_at,
  max(msg_id) AS newest_id,
  (array_agg(message->'error'->>'message' ORDER BY msg_id DESC))[1] AS newest_error
FROM pgmq.q_dead_letter
GROUP BY 1, 2, 3;

-- The ids of the dead letters with this signature: pending, or (archived) replayed and archived.
CREATE FUNCTION workers.dead_letter_ids_with_signature(signature text, archived boolean)
RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  SELECT msg_id FROM pgmq.q_dead_letter
  WHERE NOT archived AND workers.error_signature(message->'error'->>'tag', message->'error'->>'message') = signature
  UNION ALL
  SELECT msg_id FROM pgmq.a_dead_letter
  WHERE archived AND workers.error_signature(message->'error'->>'tag', message->'error'->>'message') = signature
$$;

CREATE VIEW workers.v_dead_letter_replays AS
SELECT
  r.dead_letter_msg_id, r.source_queue, r.new_msg_id, r.job_id, r.replayed_at, r.replayed_by, r.reason,
  a.message->>'reason' AS dead_letter_reason,
  workers.error_signature(a.message->'error'->>'tag', a.message->'error'->>'message') AS signature,
  a.message->'error'->>'message' AS error
FROM workers.dead_letter_replays r
LEFT JOIN pgmq.a_dead_letter a ON a.msg_id = r.dead_letter_msg_id;
CREATE INDEX dead_letter_replays_replayed_at ON workers.dead_letter_replays (replayed_at DESC, dead_letter_msg_id DESC);

CREATE INDEX import_batches_started_idx ON dragonfly.import_batches (started_at DESC);
`))
