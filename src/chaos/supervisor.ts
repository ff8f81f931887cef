import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const workerScript = fileURLToPath(new URL("../../bin/worker.js", import.meta.url))

export interface Supervisor {
  /** SIGKILL to one live worker chosen at random; false when none is alive. */
  readonly killOne: () => boolean
  /** How many times a worker died and was started again. */
  readonly restarts: () => number
  /** SIGTERM to every worker, waiting for each to exit. */
  readonly stop: Effect.Effect<void>
}

/**
 * `workers` probe workers (`node bin/worker.js probe`), each restarted 200 ms after it dies (as
 * Railway's restart policy does) with the environment of its slot, until stopped.
 */
export const supervise = (workers: number, envOf: (slot: number) => Record<string, string>): Supervisor => {
  const children = new Map<number, ChildProcess>()
  let restarts = 0
  let stopping = false
  const start = (slot: number) => {
    const child = spawn(process.execPath, [workerScript, "probe"], {
      env: { PATH: process.env["PATH"] ?? "", ...envOf(slot) },
      // CHAOS_VERBOSE=1: the workers' logs on this process's own output.
      stdio: process.env["CHAOS_VERBOSE"] === "1" ? ["ignore", "inherit", "inherit"] : "ignore"
    })
    children.set(slot, child)
    child.once("exit", () => {
      if (stopping) return
      restarts++
      setTimeout(() => {
        if (!stopping) start(slot)
      }, 200)
    })
  }
  for (let slot = 0; slot < workers; slot++) start(slot)
  return {
    killOne: () => {
      const alive = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null)
      const victim = alive[Math.floor(Math.random() * alive.length)]
      victim?.kill("SIGKILL")
      return victim !== undefined
    },
    restarts: () => restarts,
    stop: Effect.promise(() => {
      stopping = true
      return Promise.all([...children.values()].map((child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once("exit", () => resolve())
          child.kill("SIGTERM")
        })
      )).then(() => undefined)
    })
  }
}
