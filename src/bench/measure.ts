import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { readdirSync, readFileSync } from "node:fs"

/**
 * How the benchmark measures one drain of N jobs, whoever does it (the runtime, a baseline loop or
 * a peer job system): wall time, this Node process's CPU, the Postgres cluster's CPU (every
 * process of the cluster, read from /proc) and the transactions committed in the database.
 */

/**
 * CPU seconds (user + system) of every process of the Postgres cluster, including the processes
 * that already exited (backends of closed connections, autovacuum workers): the postmaster reaps
 * them, so their time is in its cutime + cstime.
 */
export const postgresCpuSeconds = (postmasterPid: number) => {
  const ticks = 100
  const cpu = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
      const own = Number(fields[11]) + Number(fields[12])
      const reapedChildren = pid === postmasterPid ? Number(fields[13]) + Number(fields[14]) : 0
      return (own + reapedChildren) / ticks
    } catch {
      return 0
    }
  }
  const children = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(postmasterPid)
    } catch {
      return false
    }
  })
  return [postmasterPid, ...children].reduce((sum, pid) => sum + cpu(pid), 0)
}

export interface Measure {
  readonly jobs: number
  readonly seconds: number
  readonly nodeCpuMicrosPerJob: number
  readonly pgCpuMicrosPerJob: number
  readonly commitsPerJob: number
}

export const jobsPerSecond = (m: Measure) => m.jobs / m.seconds

export const measured = <E, R>(n: number, postmasterPid: number, run: Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const commits = sql<{ n: string }>`SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()`.pipe(
      Effect.map((rows) => Number(rows[0]!.n))
    )
    yield* sql`SELECT pg_stat_clear_snapshot()`
    const commitsBefore = yield* commits
    const pgBefore = postgresCpuSeconds(postmasterPid)
    const nodeBefore = process.cpuUsage()
    const started = performance.now()
    yield* run
    const seconds = (performance.now() - started) / 1000
    const node = process.cpuUsage(nodeBefore)
    const pg = postgresCpuSeconds(postmasterPid) - pgBefore
    yield* Effect.sleep("600 millis") // pg_stat_database is updated by backends at most every 500 ms
    yield* sql`SELECT pg_stat_clear_snapshot()`
    const commitsAfter = yield* commits
    return {
      jobs: n,
      seconds,
      nodeCpuMicrosPerJob: (node.user + node.system) / n,
      pgCpuMicrosPerJob: (pg * 1e6) / n,
      commitsPerJob: (commitsAfter - commitsBefore) / n
    } satisfies Measure
  })
