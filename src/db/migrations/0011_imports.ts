import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * CSV imports (issue 8): one batch record per import job, the rows it quarantined with their
 * reasons, the plaintiffs it touched (to request their scores when it ends), and on judgments what
 * an import needs: the fallback natural key (court + index number), a digest of the imported values
 * (re-importing the same row changes nothing), the columns flagged as spreadsheet formulas.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE dragonfly.import_batches (
  -- the import job's job_id
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  source text NOT NULL,
  layout text NOT NULL CHECK (layout IN ('generic', 'simplicity')),
  file_path text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'partial', 'failed')),
  -- row_count of the job's payload, when it gave one
  expected_row_count integer,
  -- data rows read (blank rows aside) and what became of them
  rows_read integer NOT NULL DEFAULT 0,
  rows_blank integer NOT NULL DEFAULT 0,
  inserted integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  unchanged integer NOT NULL DEFAULT 0,
  quarantined integer NOT NULL DEFAULT 0,
  -- rows (blank ones included) whose outcome is committed: where a redelivered job resumes
  rows_committed integer NOT NULL DEFAULT 0,
  -- problems of the whole batch: [{code, message}]
  errors jsonb NOT NULL DEFAULT '[]',
  deliveries integer NOT NULL DEFAULT 1,
  queue_name text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX import_batches_org_idx ON dragonfly.import_batches (org_id, started_at DESC);
CREATE INDEX import_batches_running_idx ON dragonfly.import_batches (status) WHERE status = 'running';

CREATE TABLE dragonfly.import_quarantine (
  batch_id uuid NOT NULL REFERENCES dragonfly.import_batches (id) ON DELETE CASCADE,
  -- 1 = the first row after the header
  row_number integer NOT NULL,
  -- the row as read, by column name; every full SSN masked
  raw jsonb NOT NULL,
  -- [{field, problem}]
  reasons jsonb NOT NULL,
  quarantined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, row_number)
);

CREATE TABLE dragonfly.import_batch_plaintiffs (
  batch_id uuid NOT NULL REFERENCES dragonfly.import_batches (id) ON DELETE CASCADE,
  org_id uuid NOT NULL,
  plaintiff_id text NOT NULL,
  PRIMARY KEY (batch_id, plaintiff_id)
);

-- Only a judgment without a case number needs it (the regexp costs an import more than an index).
ALTER TABLE dragonfly.judgments
  ADD COLUMN court_key text GENERATED ALWAYS AS (
    CASE WHEN case_number IS NULL THEN lower(regexp_replace(btrim(court_name), '\\s+', ' ', 'g')) END
  ) STORED,
  ADD COLUMN import_digest text,
  ADD COLUMN import_batch_id uuid,
  ADD COLUMN formula_columns text[] NOT NULL DEFAULT '{}';

-- A judgment without a case number is known by its court and index number. This replaces the
-- broader index of 0005, which nothing reads and every import paid for.
CREATE UNIQUE INDEX judgments_court_index_key ON dragonfly.judgments (org_id, source, court_key, index_number)
  WHERE case_number IS NULL AND index_number IS NOT NULL;
DROP INDEX dragonfly.judgments_court_index_idx;
`))
