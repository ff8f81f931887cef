import { SqlClient } from "@effect/sql"
import { Effect, Redacted } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * What `npm run bench:load` (load.ts) and `npm run bench:depth` (depth.ts) share: the API and probe
 * workers as child processes, RSS from /proc, a least-squares slope, and their block of
 * docs/reliability.md.
 */

export const API_KEY = "bench-key-0123456789abcdef"

const apiScript = fileURLToPath(new URL("../../bin/api.js", import.meta.url))
const workerScript = fileURLToPath(new URL("../../bin/worker.js", import.meta.url))
const cliScript = fileURLToPath(new URL("../../bin/dragonfly.js", import.meta.url))
const reliabilityDoc = fileURLToPath(new URL("../../docs/reliability.md", import.meta.url))

/** The settings every process of ours reads, against `url`. */
export const processEnv = (url: Redacted.Redacted<string>): Record<string, string> => ({
  PATH: process.env["PATH"] ?? "",
  SUPABASE_DB_URL: Redacted.value(url),
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "development",
  LOG_LEVEL: "error"
})

/** SIGTERM, then waits for the exit (at once when it has exited already). */
const stop = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGTERM")
  })

/**
 * `node bin/api.js` on `port`, once `GET /health` answers; stopped (SIGTERM) with the scope. Not
 * as soon as the port accepts connections: the server listens before its routes are attached, and
 * a request that arrives in between is never answered.
 */
export const startApi = (
  url: Redacted.Redacted<string>,
  port: number,
  extraEnv: Record<string, string> = {},
  nodeArgs: ReadonlyArray<string> = []
) =>
  Effect.acquireRelease(
    Effect.async<ChildProcess, Error>((resume) => {
      const child = spawn(process.execPath, [...nodeArgs, apiScript], {
        env: { ...processEnv(url), DRAGONFLY_API_KEY: API_KEY, PORT: String(port), DB_POOL_SIZE: "10", ...extraEnv },
        stdio: ["ignore", "ignore", "inherit"]
      })
      let done = false
      const poll = () => {
        if (done) return
        fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) }).then(
          (response) => {
            if (response.status !== 200) return setTimeout(poll, 100)
            done = true
            resume(Effect.succeed(child))
          },
          () => setTimeout(poll, 100)
        )
      }
      poll()
      child.once("exit", (code) => {
        if (done) return
        done = true
        resume(Effect.fail(new Error(`node bin/api.js exited with code ${code} before answering /health`)))
      })
    }),
    stop
  )

/**
 * `node bin/worker.js probe`, once its heartbeat says it runs (it then reads its queues); stopped
 * (SIGTERM: it drains and writes its final heartbeat) with the scope.
 */
export const startProbeWorker = (url: Redacted.Redacted<string>, env: Record<string, string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [workerScript, "probe"], {
          env: { ...processEnv(url), ...env },
          stdio: ["ignore", "ignore", "inherit"]
        })
      ),
      stop
    )
    const deadline = Date.now() + 60_000
    while (true) {
      if (child.exitCode !== null) return yield* Effect.dieMessage(`node bin/worker.js probe exited with code ${child.exitCode}`)
      const rows = yield* sql`SELECT 1 FROM workers.heartbeats WHERE pid = ${child.pid!} AND status = 'running'`
      if (rows.length > 0) return child
      if (Date.now() > deadline) return yield* Effect.dieMessage("node bin/worker.js probe did not start within 60 s")
      yield* Effect.sleep("100 millis")
    }
  })

/** `node bin/dragonfly.js ...args` to its exit: wall milliseconds (spawn to exit), exit code and stdout. */
export const runCli = (url: Redacted.Redacted<string>, args: ReadonlyArray<string>) =>
  Effect.async<{ readonly ms: number; readonly code: number | null; readonly stdout: string }>((resume) => {
    const started = performance.now()
    const child = spawn(process.execPath, [cliScript, ...args], {
      env: processEnv(url),
      stdio: ["ignore", "pipe", "ignore"]
    })
    const chunks: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk))
    child.once("close", (code) =>
      resume(Effect.succeed({ ms: performance.now() - started, code, stdout: Buffer.concat(chunks).toString("utf8") })))
  })

/** CPU seconds (user + system, all threads) a process has used so far; NaN once it is gone. */
export const cpuSeconds = (pid: number) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

/** `VmRSS` of a process in bytes; 0 once it is gone. */
export const rssBytes = (pid: number) => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
    return line === undefined ? 0 : Number(line.split(/\s+/)[1]) * 1024
  } catch {
    return 0
  }
}

export interface Point {
  readonly x: number
  readonly y: number
}

/** The least-squares slope of y over x (0 with fewer than two distinct x). */
export const slope = (points: ReadonlyArray<Point>) => {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0)
  return sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx
}

/** RSS samples of one process: seconds since the run began, MB. */
export interface RssSeries {
  readonly label: string
  readonly samples: Array<Point>
}

export interface RssSummary {
  readonly start: number
  readonly end: number
  readonly max: number
  /** MB per minute, least squares over the samples from `fromSeconds` on. */
  readonly slope: number
  /**
   * MB per minute, least squares over the lowest sample of each FLOOR_WINDOW_SECONDS window: the
   * RSS the garbage collector comes back to, which a leak raises (the sawtooth between collections
   * is far larger than any leak a few minutes can show, and sways the plain slope).
   */
  readonly floorSlope: number
}

export const FLOOR_WINDOW_SECONDS = 30

export const summarize = (series: RssSeries, fromSeconds: number): RssSummary => {
  const fitted = series.samples.filter((p) => p.x >= fromSeconds)
  const used = fitted.length >= 2 ? fitted : series.samples
  const floors = new Map<number, Point>()
  for (const p of used) {
    const window = Math.floor((p.x - used[0]!.x) / FLOOR_WINDOW_SECONDS)
    const lowest = floors.get(window)
    if (lowest === undefined || p.y < lowest.y) floors.set(window, p)
  }
  const perMinute = (points: ReadonlyArray<Point>) => slope(points.map((p) => ({ x: p.x / 60, y: p.y })))
  return {
    start: used[0]?.y ?? 0,
    end: used.at(-1)?.y ?? 0,
    max: Math.max(0, ...series.samples.map((p) => p.y)),
    slope: perMinute(used),
    floorSlope: perMinute([...floors.values()])
  }
}

/** "+1.23 MB/min" */
export const signed = (mbPerMinute: number) => `${mbPerMinute >= 0 ? "+" : "−"}${fmt(Math.abs(mbPerMinute), 2)} MB/min`

export const mb = (bytes: number) => bytes / (1024 * 1024)

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

export const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Milliseconds of `effect`, `times` times in a row. */
export const timed = <A, E, R>(times: number, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const ms: Array<number> = []
    for (let i = 0; i < times; i++) {
      const started = performance.now()
      yield* effect
      ms.push(performance.now() - started)
    }
    return ms
  })

const BEGIN = "<!-- load results -->"
const END = "<!-- /load results -->"
const ORDER = ["sustained", "depth"] as const

/**
 * Writes `markdown` into docs/reliability.md between `<!-- load: name -->` and
 * `<!-- /load: name -->`, inside the `<!-- load results -->` block (sub-block created if missing,
 * sustained before depth); nothing else in the file changes. The file is read just before it is
 * written, as others may edit other parts of it meanwhile.
 */
export const writeLoadResults = (name: (typeof ORDER)[number], markdown: string) => {
  const doc = readFileSync(reliabilityDoc, "utf8")
  const begin = doc.indexOf(BEGIN)
  const end = doc.indexOf(END)
  if (begin < 0 || end < begin) throw new Error(`docs/reliability.md has no ${BEGIN} … ${END} block`)
  const inner = doc.slice(begin + BEGIN.length, end)
  const blockOf = (n: string) => {
    const open = `<!-- load: ${n} -->`
    const close = `<!-- /load: ${n} -->`
    const from = inner.indexOf(open)
    const to = inner.indexOf(close)
    return from >= 0 && to > from ? inner.slice(from, to + close.length) : undefined
  }
  const blocks = ORDER.map((n) =>
    n === name ? `<!-- load: ${n} -->\n${markdown.trim()}\n<!-- /load: ${n} -->` : blockOf(n)
  ).filter((block) => block !== undefined)
  writeFileSync(reliabilityDoc, `${doc.slice(0, begin)}${BEGIN}\n${blocks.join("\n\n")}\n${doc.slice(end)}`)
}
