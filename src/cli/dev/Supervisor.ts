import { Deferred, Duration, Effect, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"

export interface ServiceCommand {
  readonly name: string
  readonly command: string
  readonly args: ReadonlyArray<string>
}

export interface RunningService {
  readonly name: string
  readonly pid: number
  /** As typed by a person: `node bin/worker.js score`. */
  readonly command: string
  /** Completes with the exit code (or signal name) when the process ends. */
  readonly exited: Deferred.Deferred<string>
  /** SIGTERM, then up to the grace period for the drain before SIGKILL; how it ended. Idempotent. */
  readonly stop: Effect.Effect<string>
}

const pipeLines = (stream: NodeJS.ReadableStream | null, prefix: string, write: (line: string) => void) => {
  if (stream === null) return
  createInterface({ input: stream }).on("line", (line) => write(`${prefix} ${line}`))
}

const exitDescription = (code: number | null, signal: NodeJS.Signals | null) =>
  code !== null ? `exit code ${code}` : `exited on ${signal ?? "an unknown signal"}`

/**
 * Runs one service as a child process for the caller's scope, its output prefixed with its name.
 * Closing the scope sends SIGTERM and waits up to `grace` for the drain before SIGKILL, so the
 * caller can stop Postgres only after every service has let go of it.
 */
export const runService = (
  service: ServiceCommand,
  env: Record<string, string>,
  grace: Duration.DurationInput = "30 seconds"
): Effect.Effect<RunningService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const exited = yield* Deferred.make<string>()
    const stopWithin = (child: ChildProcess) =>
      Effect.gen(function*() {
        if (!(yield* Deferred.isDone(exited))) {
          child.kill("SIGTERM")
          // Finalizers are uninterruptible; the wait must not be, or the timeout could never fire.
          const stopped = yield* Deferred.await(exited).pipe(Effect.interruptible, Effect.timeout(grace), Effect.option)
          if (stopped._tag === "None") {
            yield* Effect.logWarning(`${service.name} did not stop within ${Duration.format(grace)}; killing it`)
            child.kill("SIGKILL")
          }
        }
        return yield* Deferred.await(exited)
      })
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child: ChildProcess = spawn(service.command, [...service.args], {
          env: { ...process.env, ...env },
          stdio: ["ignore", "pipe", "pipe"]
        })
        const prefix = `[${service.name}]`
        pipeLines(child.stdout, prefix, (line) => process.stdout.write(`${line}\n`))
        pipeLines(child.stderr, prefix, (line) => process.stderr.write(`${line}\n`))
        child.on("exit", (code, signal) => Deferred.unsafeDone(exited, Effect.succeed(exitDescription(code, signal))))
        child.on("error", (error) => Deferred.unsafeDone(exited, Effect.succeed(`failed to start: ${error.message}`)))
        return child
      }),
      stopWithin
    )
    const shown = [service.command === process.execPath ? "node" : service.command, ...service.args.map((arg) =>
      arg.includes("/bin/") ? `bin/${arg.split("/bin/").pop()}` : arg
    )]
    return { name: service.name, pid: child.pid ?? -1, command: shown.join(" "), exited, stop: stopWithin(child) }
  })
