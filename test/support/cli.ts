import { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted, type Scope } from "effect"
import * as Database from "../../src/db/Database.js"
import { PgmqQueue } from "../../src/queue/PgmqQueue.js"
import { queueName } from "../../src/queue/QueueName.js"
import { runNode } from "./processes.js"
import { envelope } from "./runtime.js"
import * as TestDatabase from "./TestDatabase.js"

export const SCORE_QUEUE = queueName("score_collectability")

export interface CliFixture {
  readonly env: Record<string, string>
  /** `node bin/dragonfly.js ...args` against the fixture's database. */
  readonly dragonfly: (args: ReadonlyArray<string>, extra?: Record<string, string>) => ReturnType<typeof runNode>
}

/** What the operator commands need to reach a database, and no more. */
export const environmentFor = (url: Redacted.Redacted<string>) => ({
  SUPABASE_DB_URL: Redacted.value(url),
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "test",
  DB_CONNECT_RETRY_SECONDS: "0"
})

/** A fresh migrated database, a SqlClient and PgmqQueue on it, and the CLI pointed at it. */
export const withCliFixture = <A, E>(
  body: (fixture: CliFixture) => Effect.Effect<A, E, SqlClient.SqlClient | PgmqQueue | Scope.Scope>
) =>
  Effect.scoped(Effect.gen(function*() {
    const url = yield* TestDatabase.freshDatabase()
    const env = environmentFor(url)
    const fixture: CliFixture = {
      env,
      dragonfly: (args, extra = {}) => runNode(["bin/dragonfly.js", ...args], { ...env, ...extra })
    }
    const connected = PgmqQueue.Default.pipe(
      Layer.provideMerge(Database.layerFromOptions({ url, poolSize: 2, applicationName: "test" })),
      Layer.orDie
    )
    return yield* Effect.provide(body(fixture), connected)
  }))

/** A score worker's heartbeat row, `secondsAgo` old. */
export const heartbeat = (
  workerId: string,
  options: { readonly secondsAgo?: number; readonly status?: string; readonly startedSecondsAgo?: number } = {}
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO workers.heartbeats (worker_id, service, queue_name, queues, status, host, pid, version, started_at,
          last_heartbeat_at, heartbeat_interval_seconds, concurrency, jobs_processed)
        VALUES (${workerId}, 'score', 'score_collectability', '{score_collectability}', ${options.status ?? "running"},
          'host-1', 42, 'test', now() - make_interval(secs => ${options.startedSecondsAgo ?? 3600}), now() - make_interval(secs => ${options.secondsAgo ?? 1}), 30, 10, 7)`)

export const sendScoreJobs = (n: number) =>
  Effect.flatMap(PgmqQueue, (pgmq) =>
    pgmq.sendBatch(SCORE_QUEUE, Array.from({ length: n }, () => envelope({ action: "compute_collectability" }))))
