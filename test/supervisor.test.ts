import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Scope } from "effect"
import { runService } from "../src/cli/dev/Supervisor.js"

const node = (name: string, script: string) => ({ name, command: process.execPath, args: ["-e", script] })

const GRACEFUL = `
  console.log("up " + process.env.GREETING)
  process.on("SIGTERM", () => setTimeout(() => process.exit(process.env.GREETING === "hello" ? 0 : 9), 300))
  setInterval(() => {}, 1000)
`
const STUBBORN = `process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)`

describe("dev supervisor", () => {
  it.live("passes the environment, and on scope close sends SIGTERM and waits for the drain", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const service = yield* runService(node("graceful", GRACEFUL), { GREETING: "hello" }).pipe(Scope.extend(scope))
      assert.isAbove(service.pid, 0)
      yield* Effect.sleep("500 millis")
      const started = Date.now()
      yield* Scope.close(scope, Exit.void)
      assert.isAtLeast(Date.now() - started, 250)
      assert.strictEqual(yield* Deferred.await(service.exited), "exit code 0")
    }))

  it.live("kills a service that ignores SIGTERM after the grace period", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const service = yield* runService(node("stubborn", STUBBORN), {}, "300 millis").pipe(Scope.extend(scope))
      yield* Effect.sleep("500 millis")
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* Deferred.await(service.exited), "exited on SIGKILL")
    }))

  it.live("reports a service that exits on its own", () =>
    Effect.gen(function*() {
      const service = yield* runService(node("short", "process.exit(3)"), {})
      assert.strictEqual(yield* Deferred.await(service.exited), "exit code 3")
    }).pipe(Effect.scoped))
})
