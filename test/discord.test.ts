import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Context, Effect, Layer, Logger, LogLevel, Ref, Schedule } from "effect"
import * as Http from "node:http"
import { Alert, Discord, type DiscordOptions, RecordedAlerts } from "../src/alerts/index.js"
import { WorkerConfig } from "../src/config/WorkerConfig.js"

type Reply = "ok" | "429" | "429-header" | "500" | "400" | "hang"

interface Received {
  readonly path: string
  readonly contentType: string | undefined
  readonly body: any
  readonly reply: Reply
  readonly at: number
}

/** A webhook on 127.0.0.1 that records every POST and answers from a script (default: 204). */
const startServer = (fallback: Reply = "ok") =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly port: number }>((resume) => {
      const server = Http.createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const reply = script.shift() ?? fallback
          received.push({
            path: request.url ?? "",
            contentType: request.headers["content-type"],
            body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
            reply,
            at: Date.now()
          })
          const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
            response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))
          switch (reply) {
            case "ok":
              return response.writeHead(204).end()
            case "429":
              return json(429, { message: "You are being rate limited.", retry_after: 0.3, global: false }, {
                "retry-after": "1"
              })
            case "429-header":
              return json(429, { message: "You are being rate limited." }, { "retry-after": "0.2" })
            case "500":
              return json(500, { message: "Internal Server Error", path: request.url })
            case "400":
              return json(400, { message: `Invalid Form Body at ${request.url}`, code: 50035 })
            case "hang":
              return
          }
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, port: (server.address() as any).port })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ port }) => ({ url: `http://127.0.0.1:${port}/api/webhooks/1234/${TOKEN}`, port })))

const TOKEN = "s3cr3t-T0KEN-abcdefghijklmnop"
let script: Array<Reply> = []
let received: Array<Received> = []
const reset = (replies: Array<Reply> = []) =>
  Effect.sync(() => {
    script = replies
    received = []
  })

const config = (url: string | null) =>
  Layer.effect(
    WorkerConfig,
    WorkerConfig.config.pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(url === null ? [] : [["DISCORD_WEBHOOK_URL", url]]))),
      Effect.orDie
    )
  )

const live = (url: string | null, options: DiscordOptions = {}) =>
  Discord.layerWith({ window: "150 millis", flushTimeout: "500 millis", ...options }).pipe(
    Layer.provide([NodeHttpClient.layerUndici, config(url)])
  )

/** Builds the layer in the test's scope, so it stays open for the rest of the test. */
const build = (layer: Layer.Layer<Discord>) => Effect.map(Layer.build(layer), Context.get(Discord))

const waitUntil = (check: () => boolean) =>
  Effect.sync(check).pipe(
    Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (ok) => ok }),
    Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("condition not met in 5 s") }),
    Effect.orDie
  )

const deadLettered = (i: number) =>
  Alert.DeadLettered({
    queue: i % 2 === 0 ? "ingest" : "score",
    msgId: i,
    reason: i % 3 === 0 ? "permanent_failure" : "max_attempts_exceeded",
    readCt: 5,
    errorTag: "UpstreamUnavailable",
    errorMessage: `upstream said no (${i})`,
    jobId: `job-${i}`,
    traceId: null,
    workerId: "ingest-1"
  })

const fieldsOf = (embed: any): Record<string, string> =>
  Object.fromEntries((embed.fields ?? []).map((f: any) => [f.name, f.value]))

const messageSize = (body: any) =>
  body.embeds.reduce(
    (n: number, e: any) =>
      n + e.title.length + (e.description?.length ?? 0) +
      (e.fields ?? []).reduce((m: number, f: any) => m + f.name.length + f.value.length, 0),
    0
  )

/** Dead-lettered alerts a message accounts for: one per single embed, the counts of a summary. */
const deadLetterCount = (body: any) =>
  body.embeds.reduce((n: number, e: any) => {
    if (e.title.startsWith("Job dead-lettered")) return n + 1
    if (/^\d+ jobs? dead-lettered/.test(e.title)) {
      return n + [...e.description.matchAll(/\*\*(\d+)\*\*/g)].reduce((m, match) => m + Number(match[1]), 0)
    }
    return n
  }, 0)

const droppedCount = (body: any) =>
  body.embeds.reduce((n: number, e: any) => n + Number(/^(\d+) alerts? dropped/.exec(e.title)?.[1] ?? 0), 0)

describe("Discord", () => {
  it.scopedLive("posts one dead-lettered alert as an embed", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset()
      yield* Effect.gen(function*() {
        const discord = yield* Discord
        yield* discord.notify(Alert.DeadLettered({
          queue: "ingest",
          msgId: 42,
          reason: "permanent_failure",
          readCt: 3,
          errorTag: "InvalidPayload",
          errorMessage: "x".repeat(5000),
          jobId: "job-1",
          traceId: "trace-1",
          workerId: "ingest-7"
        }))
        yield* waitUntil(() => received.length === 1)
      }).pipe(Effect.provide(live(server.url)))
      assert.strictEqual(received.length, 1)
      const [post] = received
      assert.strictEqual(post!.path, `/api/webhooks/1234/${TOKEN}`)
      assert.match(post!.contentType ?? "", /^application\/json/)
      assert.strictEqual(post!.body.username, "Dragonfly")
      assert.strictEqual(post!.body.embeds.length, 1)
      const embed = post!.body.embeds[0]
      assert.strictEqual(embed.title, "Job dead-lettered: permanent_failure")
      assert.strictEqual(embed.color, 0xe67e22)
      assert.isString(embed.timestamp)
      const fields = fieldsOf(embed)
      assert.deepStrictEqual(
        { ...fields, error: undefined },
        {
          queue: "ingest",
          msg_id: "42",
          reads: "3",
          job_id: "job-1",
          trace_id: "trace-1",
          worker: "ingest-7",
          error: undefined
        }
      )
      assert.strictEqual(fields.error!.length, 1024)
      assert.isTrue(fields.error!.startsWith("InvalidPayload: xxx"))
      assert.isTrue(fields.error!.endsWith("…"))
    }))

  it.scopedLive("posts one embed per kind, packed within Discord's message limits", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset()
      yield* Effect.gen(function*() {
        const discord = yield* Discord
        yield* discord.notify(Alert.WorkerCrashed({
          service: "score",
          workerId: "score-2",
          host: "railway-abc",
          message: "boom ".repeat(2000)
        }))
        yield* discord.notify(Alert.StaleWorkers({
          workers: Array.from({ length: 200 }, (_, i) => ({
            workerId: `ingest-${i}`,
            service: "ingest",
            queueName: "ingest",
            lastHeartbeatAt: new Date("2025-01-01T00:00:00Z"),
            status: "running"
          }))
        }))
        yield* discord.notify(Alert.Test({ message: "hello from dragonfly" }))
        yield* discord.notify(deadLettered(1))
        yield* waitUntil(() => received.reduce((n, r) => n + r.body.embeds.length, 0) === 4)
      }).pipe(Effect.provide(live(server.url)))
      assert.strictEqual(received.length, 2) // 3000 + 4096 characters do not fit in one message
      for (const { body } of received) assert.isAtMost(messageSize(body), 6000)
      const embeds = received.flatMap((r) => r.body.embeds)
      assert.deepStrictEqual(embeds.map((e: any) => e.title), [
        "Worker crashed: score",
        "200 stale workers: no heartbeat",
        "Dragonfly test alert",
        "Job dead-lettered: max_attempts_exceeded"
      ])
      assert.strictEqual(new Set(embeds.map((e: any) => e.color)).size, 4)
      assert.deepStrictEqual(fieldsOf(embeds[0]), { worker: "score-2", host: "railway-abc" })
      assert.isAtMost(embeds[0].description.length, 4096)
      assert.isAtMost(embeds[1].description.length, 4096)
      assert.match(embeds[1].description, /^`ingest-0` · ingest · ingest · running · last heartbeat <t:1735689600:R>/)
      assert.match(embeds[1].description, /… and \d+ more$/)
      assert.strictEqual(embeds[2].description, "hello from dragonfly")
    }))

  it.scopedLive("groups a storm of 500 dead letters into a few summary posts", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset()
      yield* Effect.gen(function*() {
        const discord = yield* Discord
        yield* Effect.forEach(Array.from({ length: 500 }, (_, i) => i), (i) => discord.notify(deadLettered(i)), {
          discard: true
        })
        yield* waitUntil(() => received.reduce((n, r) => n + deadLetterCount(r.body), 0) === 500)
      }).pipe(Effect.provide(live(server.url)))
      assert.isAtMost(received.length, 5)
      for (const { body } of received) {
        assert.isAtMost(body.embeds.length, 10)
        assert.isAtMost(messageSize(body), 6000)
      }
      const summary = received.flatMap((r) => r.body.embeds).find((e: any) => /^\d+ jobs dead-lettered in/.test(e.title))
      assert.isDefined(summary)
      assert.match(summary.description, /`ingest` · `max_attempts_exceeded`: \*\*\d+\*\*/)
      assert.strictEqual(fieldsOf(summary).examples!.split("\n").length, 3)
    }))

  it.scopedLive("bounds the queue and counts the dropped alerts in the next summary", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset()
      const logs: Array<string> = []
      yield* Effect.gen(function*() {
        const discord = yield* Discord
        yield* Effect.forEach(Array.from({ length: 500 }, (_, i) => i), (i) => discord.notify(deadLettered(i)), {
          discard: true
        })
        yield* waitUntil(() =>
          received.reduce((n, r) => n + deadLetterCount(r.body) + droppedCount(r.body), 0) === 500
        )
      }).pipe(Effect.provide(live(server.url, { capacity: 100 })), Effect.provide(captureLogs(logs)))
      const dropped = received.reduce((n, r) => n + droppedCount(r.body), 0)
      assert.isAtLeast(dropped, 300)
      assert.isTrue(logs.some((line) => line.includes(`dropped ${dropped} alerts`)))
    }))

  it.scopedLive("honours a 429 from the JSON body and posts the message exactly once", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset(["429"])
      yield* Effect.gen(function*() {
        const discord = yield* Discord
        yield* discord.notify(deadLettered(1))
        yield* waitUntil(() => received.length === 2)
        yield* Effect.sleep("400 millis")
      }).pipe(Effect.provide(live(server.url)))
      assert.deepStrictEqual(received.map((r) => r.reply), ["429", "ok"])
      assert.deepStrictEqual(received[1]!.body, received[0]!.body)
      const gap = received[1]!.at - received[0]!.at
      assert.isAtLeast(gap, 280)
      assert.isBelow(gap, 900) // retry_after 0.3 s wins over the header's 1 s
    }))

  it.scopedLive("send honours a 429 from the Retry-After header", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset(["429-header"])
      yield* Effect.flatMap(Discord, (discord) => discord.send(Alert.Test({ message: "ping" }))).pipe(
        Effect.provide(live(server.url))
      )
      assert.deepStrictEqual(received.map((r) => r.reply), ["429-header", "ok"])
      assert.isAtLeast(received[1]!.at - received[0]!.at, 180)
    }))

  it.scopedLive("send retries a 5xx and does not retry another 4xx", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset(["500", "500"])
      const discord = yield* build(live(server.url))
      yield* discord.send(Alert.Test({ message: "ping" }))
      assert.deepStrictEqual(received.map((r) => r.reply), ["500", "500", "ok"])

      yield* reset(["400"])
      const error = yield* Effect.flip(discord.send(Alert.Test({ message: "ping" })))
      assert.strictEqual(error._tag, "DiscordRejected")
      assert.strictEqual(error._tag === "DiscordRejected" ? error.status : null, 400)
      yield* Effect.sleep("300 millis")
      assert.strictEqual(received.length, 1)
    }))

  it.scopedLive("notify does not block while Discord never answers", () =>
    Effect.gen(function*() {
      const server = yield* startServer("hang")
      yield* reset()
      const logs: Array<string> = []
      yield* Effect.gen(function*() {
        const discord = yield* Discord
        yield* discord.notify(Alert.Test({ message: "first" }))
        yield* waitUntil(() => received.length === 1)
        yield* Effect.forEach(Array.from({ length: 1000 }, (_, i) => i), (i) => discord.notify(deadLettered(i)), {
          discard: true
        }).pipe(Effect.timeoutFail({ duration: "1 second", onTimeout: () => new Error("notify blocked") }))
        assert.strictEqual(received.length, 1)
        assert.strictEqual(received[0]!.reply, "hang")
      }).pipe(Effect.provide(live(server.url)), Effect.provide(captureLogs(logs)))
      assert.isTrue(logs.some((line) => line.includes("gave up flushing alerts after 500ms (1000 still queued)")))
    }))

  it.scopedLive("flushes pending alerts when the layer closes", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      yield* reset()
      yield* Effect.flatMap(Discord, (discord) => discord.notify(deadLettered(7))).pipe(
        Effect.provide(live(server.url, { window: "1 minute" }))
      )
      assert.strictEqual(received.length, 1)
      assert.strictEqual(fieldsOf(received[0]!.body.embeds[0]).msg_id, "7")
    }))

  it.scopedLive("without a webhook URL notify is a no-op and send fails as not configured", () =>
    Effect.gen(function*() {
      const discord = yield* build(live(null))
      yield* discord.notify(deadLettered(1))
      const error = yield* Effect.flip(discord.send(Alert.Test({ message: "ping" })))
      assert.strictEqual(error._tag, "DiscordNotConfigured")
      assert.include(error.message, "DISCORD_WEBHOOK_URL")

      const noop = yield* build(Discord.layerNoop)
      yield* noop.notify(deadLettered(1))
      assert.strictEqual((yield* Effect.flip(noop.send(Alert.Test({ message: "ping" }))))._tag, "DiscordNotConfigured")
    }))

  it.scopedLive("never writes the webhook token to logs or errors", () =>
    Effect.gen(function*() {
      const server = yield* startServer("500")
      yield* reset(["400"])
      const logs: Array<string> = []
      const errors: Array<unknown> = []
      yield* Effect.gen(function*() {
        const discord = yield* Discord
        yield* discord.notify(deadLettered(1))
        yield* waitUntil(() => received.length === 1)
        yield* discord.notify(deadLettered(2))
        yield* waitUntil(() => logs.filter((line) => line.includes("not delivered")).length === 2)
        errors.push(yield* Effect.flip(discord.send(Alert.Test({ message: "ping" }))))
      }).pipe(
        Effect.provide(live(server.url, { retrySchedule: Schedule.recurs(2) })),
        Effect.provide(captureLogs(logs))
      )
      const closed = yield* build(
        live(server.url.replace(`:${server.port}/`, ":9/"), { retrySchedule: Schedule.recurs(1) })
      )
      errors.push(yield* Effect.flip(closed.send(Alert.Test({ message: "ping" }))))

      assert.deepStrictEqual(errors.map((e: any) => e._tag), ["DiscordUnavailable", "DiscordUnavailable"])
      assert.include((errors[1] as Error).message, "could not reach Discord")
      const texts = [
        ...logs,
        ...errors.flatMap((e) => [String(e), (e as Error).message, JSON.stringify(e), Cause.pretty(Cause.fail(e))])
      ]
      assert.isTrue(logs.some((line) => line.includes("Discord answered 400: Invalid Form Body at /api/webhooks/1234/<redacted>")))
      assert.isTrue(logs.some((line) => line.includes("Discord answered 500")))
      for (const text of texts) {
        assert.notInclude(text, TOKEN)
        assert.notInclude(text, server.url)
      }
    }))

  it.effect("layerRecording records notified and sent alerts", () =>
    Effect.gen(function*() {
      const discord = yield* Discord
      yield* discord.notify(deadLettered(1))
      yield* discord.send(Alert.Test({ message: "ping" }))
      const recorded = yield* RecordedAlerts
      assert.deepStrictEqual((yield* Ref.get(recorded)).map((a) => a._tag), ["DeadLettered", "Test"])
    }).pipe(Effect.provide(Discord.layerRecording)))
})

function captureLogs(lines: Array<string>) {
  return Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make((options) => {
        lines.push(JSON.stringify(Logger.structuredLogger.log(options)))
      })
    ),
    Logger.minimumLogLevel(LogLevel.All)
  )
}
