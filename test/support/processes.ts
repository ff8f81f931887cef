import { Effect, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  /** Resolves when a line of stdout or stderr matches. */
  readonly waitFor: (pattern: RegExp) => Effect.Effect<string>
  readonly finished: Effect.Effect<Finished>
}

/** Only what a service needs, so the developer's own environment cannot leak into a test. */
const baseEnv = () => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_FORMAT: "logfmt" })

/** Starts `node <script> ...args` from the project root; its process group is killed when the scope closes. */
export const startNode = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): Effect.Effect<Running, never, Scope.Scope> => startProcess(process.execPath, args, env)

/** Starts `command ...args` from the project root; its process group is killed when the scope closes. */
export const startProcess = (
  command: string,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): Effect.Effect<Running, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(command, [...args], {
        cwd: projectRoot,
        env: { ...baseEnv(), ...env },
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, so cleanup also reaches what it started (Postgres, workers).
        detached: true
      })
      let stdout = ""
      let stderr = ""
      const listeners = new Set<() => void>()
      const notify = () => listeners.forEach((listener) => listener())
      child.stdout!.on("data", (chunk) => {
        stdout += chunk
        notify()
      })
      child.stderr!.on("data", (chunk) => {
        stderr += chunk
        notify()
      })
      const exited = new Promise<Finished>((resolve) =>
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
      )
      const output = () => stdout + stderr
      const waitFor = (pattern: RegExp) =>
        Effect.async<string>((resume) => {
          const check = () => {
            const match = pattern.exec(output())
            if (match) {
              listeners.delete(check)
              resume(Effect.succeed(match[0]))
            }
          }
          listeners.add(check)
          check()
          return Effect.sync(() => listeners.delete(check))
        })
      return { child, output, waitFor, finished: Effect.promise(() => exited) }
    }),
    ({ child }) =>
      Effect.sync(() => {
        try {
          process.kill(-child.pid!, "SIGKILL")
        } catch {
          // the group is gone already
        }
      })
  )

/** Runs to completion. */
export const runNode = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  runProcess(process.execPath, args, env)

/** Runs `command ...args` to completion. */
export const runProcess = (command: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.scoped(Effect.flatMap(startProcess(command, args, env), (running) => running.finished))
