import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The probe service's queue and table (0006, 0010) leave the migrations: they are the test suite's
 * and the dev stack's, which install them themselves (src/services/probe/schema.ts); no other
 * database keeps them.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
SELECT pgmq.drop_queue(queue_name) FROM pgmq.list_queues() WHERE queue_name = 'probe_main';
DROP TABLE IF EXISTS workers.probe_effects;
`))
