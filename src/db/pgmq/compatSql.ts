/**
 * Our own implementation of the pgmq interface described in /work/shared/pgmq-api.md, for servers
 * without the extension (the embedded dev/test server). Same schema, object names, signatures and
 * result columns as pgmq, so code written against it runs unchanged on Supabase's real pgmq.
 *
 * One multi-statement script for the simple query protocol, run inside the migration
 * transaction; re-runnable. It never changes the session's search_path: every object is
 * qualified with `pgmq.`, and every function pins its own search_path to pg_catalog.
 */
export const pgmqCompatSql = `
CREATE SCHEMA IF NOT EXISTS pgmq;

CREATE TABLE IF NOT EXISTS pgmq.meta (
  queue_name varchar NOT NULL UNIQUE,
  is_partitioned boolean NOT NULL,
  is_unlogged boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

DO $guard$
BEGIN
  IF to_regtype('pgmq.message_record') IS NULL THEN
    CREATE TYPE pgmq.message_record AS (
      msg_id bigint,
      read_ct integer,
      enqueued_at timestamptz,
      vt timestamptz,
      message jsonb
    );
  END IF;
  IF to_regtype('pgmq.metrics_result') IS NULL THEN
    CREATE TYPE pgmq.metrics_result AS (
      queue_name text,
      queue_length bigint,
      newest_msg_age_sec integer,
      oldest_msg_age_sec integer,
      total_messages bigint,
      scrape_time timestamptz
    );
  END IF;
END
$guard$;

-- Validates a queue name and returns the name of one of its tables ('q' or 'a').
CREATE OR REPLACE FUNCTION pgmq._table_name(queue_name text, prefix text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF queue_name IS NULL OR queue_name = '' THEN
    RAISE EXCEPTION 'queue name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(queue_name) > 47 THEN
    RAISE EXCEPTION 'queue name is too long: % characters, at most 47', length(queue_name)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF strpos(queue_name, '$') > 0 OR strpos(queue_name, ';') > 0
     OR strpos(queue_name, '--') > 0 OR strpos(queue_name, '''') > 0 THEN
    RAISE EXCEPTION 'queue name % contains a refused character ($, ;, -- or '')', queue_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN lower(prefix || '_' || queue_name);
END
$fn$;

-- The same key for create and drop_queue, so they serialise per queue.
CREATE OR REPLACE FUNCTION pgmq._lock_queue(queue_name text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_advisory_xact_lock(hashtext('pgmq.queue:' || lower($1)))
$fn$;

CREATE OR REPLACE FUNCTION pgmq.create(queue_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  qtable text := pgmq._table_name($1, 'q');
  atable text := pgmq._table_name($1, 'a');
  present boolean;
BEGIN
  PERFORM pgmq._lock_queue($1);
  -- A fresh snapshot after the lock: a concurrent create that won the lock has committed.
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM pgmq.meta m WHERE lower(m.queue_name) = lower($1))'
    INTO present
    USING $1;
  IF present THEN
    RETURN;
  END IF;
  EXECUTE format(
    'CREATE TABLE IF NOT EXISTS pgmq.%I (
       msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
       read_ct integer NOT NULL DEFAULT 0,
       enqueued_at timestamptz NOT NULL DEFAULT now(),
       vt timestamptz NOT NULL,
       message jsonb
     )', qtable);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt)', qtable || '_vt_idx', qtable);
  EXECUTE format(
    'CREATE TABLE IF NOT EXISTS pgmq.%I (
       msg_id bigint PRIMARY KEY,
       read_ct integer NOT NULL DEFAULT 0,
       enqueued_at timestamptz NOT NULL DEFAULT now(),
       archived_at timestamptz NOT NULL DEFAULT now(),
       vt timestamptz NOT NULL,
       message jsonb
     )', atable);
  -- At most 62 characters for a 47-character queue name, so never truncated.
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at)', atable || '_archived_idx', atable);
  EXECUTE 'INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged) VALUES ($1, false, false)'
    USING $1;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.drop_queue(queue_name text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  qtable text := pgmq._table_name($1, 'q');
  atable text := pgmq._table_name($1, 'a');
  removed bigint;
BEGIN
  PERFORM pgmq._lock_queue($1);
  EXECUTE 'DELETE FROM pgmq.meta m WHERE lower(m.queue_name) = lower($1)' USING $1;
  GET DIAGNOSTICS removed = ROW_COUNT;
  IF removed = 0 AND to_regclass(format('pgmq.%I', qtable)) IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS pgmq.%I, pgmq.%I', qtable, atable);
  RETURN true;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.list_queues()
RETURNS TABLE (queue_name varchar, is_partitioned boolean, is_unlogged boolean, created_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT m.queue_name, m.is_partitioned, m.is_unlogged, m.created_at
  FROM pgmq.meta m
  ORDER BY m.queue_name
$fn$;

CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer DEFAULT 0)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY EXECUTE format(
    'INSERT INTO pgmq.%I (vt, message)
     VALUES (clock_timestamp() + make_interval(secs => $1), $2)
     RETURNING msg_id', pgmq._table_name($1, 'q'))
    USING $3, $2;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer DEFAULT 0)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- Rows are inserted in input order, so the identity hands out ascending ids in that order.
  RETURN QUERY EXECUTE format(
    'WITH inserted AS (
       INSERT INTO pgmq.%I (vt, message)
       SELECT clock_timestamp() + make_interval(secs => $1), m.msg
       FROM unnest($2) WITH ORDINALITY AS m(msg, ord)
       ORDER BY m.ord
       RETURNING msg_id
     )
     SELECT msg_id FROM inserted ORDER BY msg_id', pgmq._table_name($1, 'q'))
    USING $3, $2;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.read(queue_name text, vt integer, qty integer)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH taken AS (
       SELECT q.msg_id
       FROM pgmq.%1$I q
       WHERE q.vt <= clock_timestamp()
       ORDER BY q.msg_id
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ), updated AS (
       UPDATE pgmq.%1$I q
       SET vt = clock_timestamp() + make_interval(secs => $2),
           read_ct = q.read_ct + 1
       FROM taken
       WHERE q.msg_id = taken.msg_id
       RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message
     )
     SELECT msg_id, read_ct, enqueued_at, vt, message FROM updated ORDER BY msg_id',
    pgmq._table_name($1, 'q'))
    USING $3, $2;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.read_with_poll(
  queue_name text,
  vt integer,
  qty integer,
  max_poll_seconds integer DEFAULT 5,
  poll_interval_ms integer DEFAULT 100
)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  deadline timestamptz := clock_timestamp() + make_interval(secs => $4);
  -- Numeric division: pgmq <= 1.4.4 divided integers here, slept 0 s and spun a CPU.
  pause numeric := greatest($5, 0) / 1000.0;
  remaining numeric;
BEGIN
  LOOP
    RETURN QUERY SELECT r.msg_id, r.read_ct, r.enqueued_at, r.vt, r.message FROM pgmq.read($1, $2, $3) r;
    IF FOUND THEN
      RETURN;
    END IF;
    remaining := extract(epoch FROM deadline - clock_timestamp());
    EXIT WHEN remaining <= 0;
    PERFORM pg_sleep(least(pause, remaining));
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.pop(queue_name text)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH taken AS (
       SELECT q.msg_id
       FROM pgmq.%1$I q
       WHERE q.vt <= clock_timestamp()
       ORDER BY q.msg_id
       LIMIT 1
       FOR UPDATE SKIP LOCKED
     )
     DELETE FROM pgmq.%1$I q
     USING taken
     WHERE q.msg_id = taken.msg_id
     RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message',
    pgmq._table_name($1, 'q'));
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  deleted bigint;
BEGIN
  EXECUTE format('DELETE FROM pgmq.%I q WHERE q.msg_id = $1 RETURNING q.msg_id', pgmq._table_name($1, 'q'))
    INTO deleted
    USING $2;
  RETURN deleted IS NOT NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY EXECUTE format(
    'DELETE FROM pgmq.%I q WHERE q.msg_id = ANY($1) RETURNING q.msg_id', pgmq._table_name($1, 'q'))
    USING $2;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  archived bigint;
BEGIN
  EXECUTE format(
    'WITH moved AS (
       DELETE FROM pgmq.%I q WHERE q.msg_id = $1
       RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message
     )
     INSERT INTO pgmq.%I (msg_id, read_ct, enqueued_at, vt, message)
     SELECT msg_id, read_ct, enqueued_at, vt, message FROM moved
     RETURNING msg_id', pgmq._table_name($1, 'q'), pgmq._table_name($1, 'a'))
    INTO archived
    USING $2;
  RETURN archived IS NOT NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH moved AS (
       DELETE FROM pgmq.%I q WHERE q.msg_id = ANY($1)
       RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message
     )
     INSERT INTO pgmq.%I (msg_id, read_ct, enqueued_at, vt, message)
     SELECT msg_id, read_ct, enqueued_at, vt, message FROM moved
     RETURNING msg_id', pgmq._table_name($1, 'q'), pgmq._table_name($1, 'a'))
    USING $2;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY EXECUTE format(
    'UPDATE pgmq.%I q
     SET vt = clock_timestamp() + make_interval(secs => $2)
     WHERE q.msg_id = $1
     RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message', pgmq._table_name($1, 'q'))
    USING $2, $3;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.purge_queue(queue_name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  purged bigint;
BEGIN
  EXECUTE format('DELETE FROM pgmq.%I', pgmq._table_name($1, 'q'));
  GET DIAGNOSTICS purged = ROW_COUNT;
  RETURN purged;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.metrics(queue_name text)
RETURNS pgmq.metrics_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  qtable text := pgmq._table_name($1, 'q');
  result pgmq.metrics_result;
BEGIN
  EXECUTE format(
    'SELECT $1, count(*)::bigint,
            extract(epoch FROM now() - max(q.enqueued_at))::integer,
            extract(epoch FROM now() - min(q.enqueued_at))::integer
     FROM pgmq.%I q', qtable)
    INTO result.queue_name, result.queue_length, result.newest_msg_age_sec, result.oldest_msg_age_sec
    USING $1;
  -- The identity's sequence: last_value is null until the first nextval.
  SELECT coalesce(s.last_value, 0)
    INTO result.total_messages
    FROM pg_sequences s
    JOIN pg_class c ON c.relname = s.sequencename
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
    WHERE c.oid = pg_get_serial_sequence(format('pgmq.%I', qtable), 'msg_id')::regclass;
  result.total_messages := coalesce(result.total_messages, 0);
  result.scrape_time := now();
  RETURN result;
END
$fn$;

CREATE OR REPLACE FUNCTION pgmq.metrics_all()
RETURNS SETOF pgmq.metrics_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  queue text;
BEGIN
  FOR queue IN EXECUTE 'SELECT m.queue_name FROM pgmq.meta m ORDER BY m.queue_name' LOOP
    RETURN NEXT pgmq.metrics(queue);
  END LOOP;
END
$fn$;
`
