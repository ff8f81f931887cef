import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import {
  Chunk,
  Clock,
  Context,
  Data,
  Deferred,
  Duration,
  Effect,
  Fiber,
  Layer,
  Option,
  Queue,
  Redacted,
  Ref,
  Schedule,
  Schema
} from "effect"
import { WorkerConfig } from "../config/WorkerConfig.js"
import * as Metrics from "../observability/Metrics.js"

const posted = {
  sent: Metrics.discordPosts({ outcome: "sent" }),
  failed: Metrics.discordPosts({ outcome: "failed" }),
  dropped: Metrics.discordPosts({ outcome: "dropped" })
}

export interface StaleWorker {
  readonly workerId: string
  readonly service: string
  readonly queueName: string
  readonly lastHeartbeatAt: Date
  readonly status: string
}

/** A silent worker whose process is gone (killed, or replaced by a redeploy): posted once. */
export interface GoneWorker {
  readonly workerId: string
  readonly service: string
  readonly queueName: string
  readonly lastHeartbeatAt: Date
  readonly reason: string
}

export type Alert = Data.TaggedEnum<{
  DeadLettered: {
    readonly queue: string
    readonly msgId: number
    /** invalid_envelope | invalid_payload | permanent_failure | max_attempts_exceeded */
    readonly reason: string
    readonly readCt: number
    readonly errorTag: string | null
    readonly errorMessage: string
    readonly jobId: string | null
    readonly traceId: string | null
    readonly workerId: string
  }
  WorkerCrashed: {
    readonly service: string
    readonly workerId: string
    readonly host: string
    readonly message: string
  }
  StaleWorkers: { readonly workers: ReadonlyArray<StaleWorker> }
  GoneWorkers: { readonly workers: ReadonlyArray<GoneWorker> }
  /** `dragonfly monitor workers --watch --alert` cannot read the heartbeats (the database is unreachable). */
  MonitorFailing: { readonly message: string }
  Test: { readonly message: string }
}>

export const Alert = Data.taggedEnum<Alert>()

type DeadLettered = Data.TaggedEnum.Value<Alert, "DeadLettered">
type WorkerCrashed = Data.TaggedEnum.Value<Alert, "WorkerCrashed">
type TestAlert = Data.TaggedEnum.Value<Alert, "Test">
type MonitorFailing = Data.TaggedEnum.Value<Alert, "MonitorFailing">

export class DiscordNotConfigured extends Data.TaggedError("DiscordNotConfigured")<{}> {
  override readonly message = "Discord is not configured: set DISCORD_WEBHOOK_URL to enable alerts"
}

/** Discord answered 429 more often than we were willing to wait for. */
export class DiscordRateLimited extends Data.TaggedError("DiscordRateLimited")<{
  readonly retryAfter: Duration.Duration
  readonly message: string
}> {}

/** Network failure or a 5xx: retried, then given up. */
export class DiscordUnavailable extends Data.TaggedError("DiscordUnavailable")<{
  readonly status: number | null
  readonly message: string
}> {}

/** A 4xx other than 429 (bad webhook, bad payload): not retried. */
export class DiscordRejected extends Data.TaggedError("DiscordRejected")<{
  readonly status: number | null
  readonly message: string
}> {}

export type DiscordError = DiscordNotConfigured | DiscordRateLimited | DiscordUnavailable | DiscordRejected

export interface DiscordService {
  /** Fire-and-forget: never blocks, never fails; alerts are batched and posted in the background. */
  readonly notify: (alert: Alert) => Effect.Effect<void>
  /** Posts now and reports failure (for `dragonfly discord test`); honours 429 too. */
  readonly send: (alert: Alert) => Effect.Effect<void, DiscordError>
}

export interface DiscordOptions {
  /** How long alerts are collected before they are posted together (default 2 s). */
  readonly window?: Duration.DurationInput
  /** In-memory queue bound; alerts beyond it are dropped and counted (default 10,000). */
  readonly capacity?: number
  /** How long closing the layer may spend posting what is pending (default 5 s). */
  readonly flushTimeout?: Duration.DurationInput
  /** Retries for network failures and 5xx (default {@link retryPolicy}). */
  readonly retrySchedule?: Schedule.Schedule<unknown, DiscordError>
}

/** Network failures and 5xx: 250 ms, 500 ms, 1 s, 2 s (jittered, each capped at 5 s), then give up. */
export const retryPolicy = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("5 seconds")),
  Schedule.intersect(Schedule.recurs(4))
)

const maxRetryAfter = Duration.seconds(60)

/** 429: wait what Discord asks (at most 60 s), at most 5 times in a row. */
const rateLimitPolicy = Schedule.identity<DiscordError>().pipe(
  Schedule.addDelay((error) => error._tag === "DiscordRateLimited" ? error.retryAfter : Duration.zero),
  Schedule.intersect(Schedule.recurs(5))
)

// Discord limits, https://discord.com/developers/docs/resources/message#embed-object-embed-limits
const Limits = {
  title: 256,
  description: 4096,
  fieldValue: 1024,
  embedsPerMessage: 10,
  charactersPerMessage: 6000
} as const
// Our own caps, below Discord's, so that every embed stays under 6000 characters by construction.
const shortValue = 256
const summaryDescription = 2000

const Colour = {
  DeadLettered: 0xe67e22,
  WorkerCrashed: 0xe74c3c,
  StaleWorkers: 0xf1c40f,
  GoneWorkers: 0x95a5a6,
  MonitorFailing: 0xe74c3c,
  Test: 0x3498db,
  Dropped: 0x95a5a6
} as const

interface EmbedField {
  readonly name: string
  readonly value: string
  readonly inline: boolean
}

interface Embed {
  readonly title: string
  readonly description?: string
  readonly color: number
  readonly fields?: ReadonlyArray<EmbedField>
  readonly timestamp: string
}

interface WebhookMessage {
  readonly username: "Dragonfly"
  readonly embeds: ReadonlyArray<Embed>
}

interface Pending {
  readonly alert: Alert
  readonly at: number
}

const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text
  const code = text.charCodeAt(max - 2)
  const end = code >= 0xd800 && code <= 0xdbff ? max - 2 : max - 1
  return `${text.slice(0, end)}…`
}

const field = (name: string, value: string | null, max = shortValue, inline = true): EmbedField => ({
  name,
  value: truncate(value === null || value.trim() === "" ? "—" : value, max),
  inline
})

/** Joins lines up to `max` characters, ending with "… and N more" when some do not fit. */
const joinLines = (lines: ReadonlyArray<string>, max: number): string => {
  const kept: Array<string> = []
  let size = 0
  for (const [index, line] of lines.entries()) {
    const more = `… and ${lines.length - index} more`
    const rest = lines.length - index - 1
    if (size + line.length + 1 + (rest > 0 ? more.length + 1 : 0) > max) {
      kept.push(more)
      break
    }
    kept.push(line)
    size += line.length + 1
  }
  return truncate(kept.join("\n"), max)
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
const iso = (millis: number) => new Date(millis).toISOString()
const errorText = (alert: DeadLettered) =>
  alert.errorTag === null ? alert.errorMessage : `${alert.errorTag}: ${alert.errorMessage}`

/** One line per worker: id, service, queue, `detail`, and when it last sent a heartbeat. */
const workerLines = <W extends { readonly workerId: string; readonly service: string; readonly queueName: string; readonly lastHeartbeatAt: Date }>(
  workers: ReadonlyArray<W>,
  detail: (worker: W) => string
) =>
  joinLines(
    workers.map((w) =>
      `\`${w.workerId}\` · ${w.service} · ${w.queueName} · ${detail(w)} · last heartbeat <t:${
        Math.floor(w.lastHeartbeatAt.getTime() / 1000)
      }:R>`
    ),
    Limits.description
  )

const staleEmbed = (workers: ReadonlyArray<StaleWorker>, at: number): Embed => ({
  title: `${plural(workers.length, "stale worker", "stale workers")}: no heartbeat`,
  description: workerLines(workers, (w) => w.status),
  color: Colour.StaleWorkers,
  timestamp: iso(at)
})

const goneEmbed = (workers: ReadonlyArray<GoneWorker>, at: number): Embed => ({
  title: `${plural(workers.length, "worker", "workers")} gone: no longer alerted about`,
  description: workerLines(workers, (w) => w.reason),
  color: Colour.GoneWorkers,
  timestamp: iso(at)
})

const monitorEmbed = (alert: MonitorFailing, at: number): Embed => ({
  title: "Worker monitor cannot read the heartbeats",
  description: truncate(alert.message.trim() === "" ? "—" : alert.message, Limits.description),
  color: Colour.MonitorFailing,
  timestamp: iso(at)
})

const embedOf = ({ alert, at }: Pending): Embed => {
  switch (alert._tag) {
    case "DeadLettered":
      return {
        title: truncate(`Job dead-lettered: ${alert.reason}`, Limits.title),
        color: Colour.DeadLettered,
        fields: [
          field("queue", alert.queue),
          field("msg_id", String(alert.msgId)),
          field("reads", String(alert.readCt)),
          field("job_id", alert.jobId),
          field("trace_id", alert.traceId),
          field("worker", alert.workerId),
          field("error", errorText(alert), Limits.fieldValue, false)
        ],
        timestamp: iso(at)
      }
    case "WorkerCrashed":
      return {
        title: truncate(`Worker crashed: ${alert.service}`, Limits.title),
        description: truncate(alert.message.trim() === "" ? "—" : alert.message, 3000),
        color: Colour.WorkerCrashed,
        fields: [field("worker", alert.workerId), field("host", alert.host)],
        timestamp: iso(at)
      }
    case "StaleWorkers":
      return staleEmbed(alert.workers, at)
    case "GoneWorkers":
      return goneEmbed(alert.workers, at)
    case "MonitorFailing":
      return monitorEmbed(alert, at)
    case "Test":
      return {
        title: "Dragonfly test alert",
        description: truncate(alert.message.trim() === "" ? "—" : alert.message, Limits.description),
        color: Colour.Test,
        timestamp: iso(at)
      }
  }
}

/** Counts by key, most frequent first. */
const countBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string) => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1])
}

const examples = <A>(items: ReadonlyArray<A>, show: (a: A) => string) =>
  field("examples", items.slice(0, 3).map((a) => truncate(show(a), 300)).join("\n"), Limits.fieldValue, false)

const summaries = (batch: ReadonlyArray<Pending>, window: string): Array<Embed> => {
  const of = <T extends Alert["_tag"]>(tag: T) =>
    batch.filter((p): p is Pending & { readonly alert: Extract<Alert, { _tag: T }> } => p.alert._tag === tag)
  const crashed = of("WorkerCrashed")
  const stale = of("StaleWorkers")
  const gone = of("GoneWorkers")
  const dead = of("DeadLettered")
  const tests = of("Test")
  const monitor = of("MonitorFailing")
  const embeds: Array<Embed> = []
  if (monitor.length > 0) embeds.push(monitorEmbed(monitor[monitor.length - 1]!.alert, monitor[monitor.length - 1]!.at))
  if (crashed.length > 0) {
    const alerts: ReadonlyArray<WorkerCrashed> = crashed.map((p) => p.alert)
    embeds.push({
      title: `${plural(alerts.length, "worker crash", "worker crashes")} in ${window}`,
      description: joinLines(
        countBy(alerts, (a) => `\`${a.service}\` on \`${a.host}\``).map(([key, n]) => `${key}: **${n}**`),
        summaryDescription
      ),
      color: Colour.WorkerCrashed,
      fields: [examples(alerts, (a) => `${a.workerId}: ${a.message}`)],
      timestamp: iso(crashed[0]!.at)
    })
  }
  if (stale.length > 0) {
    const byId = new Map<string, StaleWorker>()
    for (const p of stale) for (const w of p.alert.workers) byId.set(w.workerId, w)
    embeds.push(staleEmbed([...byId.values()], stale[0]!.at))
  }
  if (gone.length > 0) {
    const byId = new Map<string, GoneWorker>()
    for (const p of gone) for (const w of p.alert.workers) byId.set(w.workerId, w)
    embeds.push(goneEmbed([...byId.values()], gone[0]!.at))
  }
  if (dead.length > 0) {
    const alerts: ReadonlyArray<DeadLettered> = dead.map((p) => p.alert)
    embeds.push({
      title: `${plural(alerts.length, "job", "jobs")} dead-lettered in ${window}`,
      description: joinLines(
        countBy(alerts, (a) => `\`${a.queue}\` · \`${a.reason}\``).map(([key, n]) => `${key}: **${n}**`),
        summaryDescription
      ),
      color: Colour.DeadLettered,
      fields: [examples(alerts, (a) => `msg ${a.msgId} on ${a.queue}: ${errorText(a)}`)],
      timestamp: iso(dead[0]!.at)
    })
  }
  if (tests.length > 0) {
    const alerts: ReadonlyArray<TestAlert> = tests.map((p) => p.alert)
    embeds.push({
      title: `${plural(alerts.length, "test alert", "test alerts")} in ${window}`,
      description: truncate(alerts[0]!.message.trim() === "" ? "—" : alerts[0]!.message, summaryDescription),
      color: Colour.Test,
      timestamp: iso(tests[0]!.at)
    })
  }
  return embeds
}

const embedSize = (embed: Embed) =>
  embed.title.length + (embed.description?.length ?? 0) +
  (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)

/** Packs embeds into as few messages as Discord allows (≤ 10 embeds, ≤ 6000 characters each). */
const pack = (embeds: ReadonlyArray<Embed>): Array<WebhookMessage> => {
  const messages: Array<WebhookMessage> = []
  let current: Array<Embed> = []
  let size = 0
  for (const embed of embeds) {
    const n = embedSize(embed)
    if (current.length === Limits.embedsPerMessage || (current.length > 0 && size + n > Limits.charactersPerMessage)) {
      messages.push({ username: "Dragonfly", embeds: current })
      current = []
      size = 0
    }
    current.push(embed)
    size += n
  }
  if (current.length > 0) messages.push({ username: "Dragonfly", embeds: current })
  return messages
}

/** One embed per alert when they fit in one message; otherwise one summary per kind. */
const compose = (batch: ReadonlyArray<Pending>, dropped: number, window: string, now: number) => {
  const droppedEmbeds: Array<Embed> = dropped === 0 ? [] : [{
    title: `${plural(dropped, "alert", "alerts")} dropped`,
    description: "The in-memory alert queue was full; these alerts were not sent. See the worker logs.",
    color: Colour.Dropped,
    timestamp: iso(now)
  }]
  const embeds = batch.length + droppedEmbeds.length <= Limits.embedsPerMessage
    ? batch.map(embedOf)
    : summaries(batch, window)
  return pack([...embeds, ...droppedEmbeds])
}

const RateLimitBody = Schema.Struct({ retry_after: Schema.Number })

const seconds = (value: number) => Duration.min(Duration.millis(Math.max(0, value) * 1000), maxRetryAfter)

const retryAfterOf = (body: unknown, header: string | undefined): Duration.Duration =>
  Option.match(Schema.decodeUnknownOption(RateLimitBody)(body), {
    onSome: ({ retry_after }) => seconds(retry_after),
    onNone: () => {
      const value = header === undefined ? Number.NaN : Number.parseFloat(header)
      return Number.isFinite(value) ? seconds(value) : Duration.seconds(1)
    }
  })

/** Discord's own error text (`{"message": ...}`), or the start of whatever the body was. */
const describeBody = (text: string) => {
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === "object" && parsed !== null && "message" in parsed) return String(parsed.message)
  } catch {
    // not JSON: an HTML error page from a proxy, say
  }
  return truncate(text.trim(), 200)
}

const makeLive = (url: Redacted.Redacted<string>, options: DiscordOptions) =>
  Effect.gen(function*() {
    const client = (yield* HttpClient.HttpClient).pipe(
      // the client's span would record url.full, which carries the webhook token
      HttpClient.withTracerDisabledWhen(() => true)
    )
    const window = Duration.decode(options.window ?? "2 seconds")
    const windowLabel = Duration.format(window)
    const capacity = options.capacity ?? 10_000
    const flushTimeout = Duration.decode(options.flushTimeout ?? "5 seconds")
    const retrySchedule = options.retrySchedule ?? retryPolicy

    /** Removes the webhook URL and its token from text we did not write (error causes, response bodies). */
    const scrub = (text: string) => {
      const raw = Redacted.value(url)
      const token = raw.split("?")[0]!.split("/").filter((part) => part !== "").at(-1) ?? raw
      return [raw, token].filter((secret) => secret.length >= 8).reduce(
        (acc, secret) => acc.split(secret).join("<redacted>"),
        text
      )
    }

    const classify = (response: HttpClientResponse.HttpClientResponse) =>
      Effect.gen(function*() {
        if (response.status >= 200 && response.status < 300) {
          return yield* Effect.ignore(response.arrayBuffer)
        }
        const text = yield* Effect.orElseSucceed(response.text, () => "")
        const detail = scrub(describeBody(text))
        if (response.status === 429) {
          const body = Option.getOrUndefined(Option.liftThrowable(JSON.parse)(text))
          const retryAfter = retryAfterOf(body, response.headers["retry-after"])
          return yield* new DiscordRateLimited({
            retryAfter,
            message: `Discord rate limited the webhook (retry after ${Duration.format(retryAfter)})`
          })
        }
        const message = `Discord answered ${response.status}: ${detail}`
        return yield* response.status >= 500
          ? new DiscordUnavailable({ status: response.status, message })
          : new DiscordRejected({ status: response.status, message })
      })

    const attempt = (message: WebhookMessage) =>
      HttpClientRequest.post(Redacted.value(url)).pipe(
        HttpClientRequest.bodyUnsafeJson(message),
        client.execute,
        // HttpClient errors print the request URL: keep only their reason and the cause's text
        Effect.mapError((error) => {
          const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ""
          const text = scrub(`could not reach Discord (${error.reason}${cause})`)
          return error._tag === "RequestError" && error.reason !== "Transport"
            ? new DiscordRejected({ status: null, message: text })
            : new DiscordUnavailable({ status: null, message: text })
        }),
        Effect.flatMap(classify)
      )

    const deliver = (message: WebhookMessage) =>
      attempt(message).pipe(
        Effect.tapErrorTag("DiscordRateLimited", (error) => Effect.logDebug(error.message)),
        Effect.retry({ schedule: rateLimitPolicy, while: (error) => error._tag === "DiscordRateLimited" }),
        Effect.retry({ schedule: retrySchedule, while: (error) => error._tag === "DiscordUnavailable" }),
        Effect.tapBoth({
          onSuccess: () => Effect.sync(() => posted.sent(1)),
          onFailure: () => Effect.sync(() => posted.failed(1))
        })
      )

    const queue = yield* Queue.dropping<Pending>(capacity)
    const dropped = yield* Ref.make(0)
    const stopping = yield* Deferred.make<void>()

    const publish = Effect.fnUntraced(function*(batch: ReadonlyArray<Pending>, droppedCount: number) {
      if (droppedCount > 0) {
        yield* Effect.logWarning(`Discord: dropped ${droppedCount} alerts, the alert queue (${capacity}) was full`)
      }
      const now = yield* Clock.currentTimeMillis
      for (const message of compose(batch, droppedCount, windowLabel, now)) {
        yield* deliver(message).pipe(
          Effect.catchAll((error) =>
            Effect.logWarning(
              `Discord: message with ${plural(message.embeds.length, "embed", "embeds")} not delivered: ${error.message}`
            ).pipe(
              Effect.annotateLogs({ errorTag: error._tag })
            )
          )
        )
      }
    }, (effect, batch, droppedCount) =>
      Effect.withSpan(effect, "Discord.publish", { attributes: { alerts: batch.length, dropped: droppedCount } }))

    /** One window: wait (or stop early), take what arrived, post it. Returns whether to stop. */
    const tick = Effect.gen(function*() {
      yield* Effect.raceFirst(Effect.sleep(window), Deferred.await(stopping))
      const stop = yield* Deferred.isDone(stopping)
      const batch = Chunk.toReadonlyArray(yield* Queue.takeAll(queue))
      const droppedCount = yield* Ref.getAndSet(dropped, 0)
      if (batch.length > 0 || droppedCount > 0) yield* publish(batch, droppedCount)
      return stop
    }).pipe(
      Effect.catchAllCause((cause) => Effect.logError("Discord: alert loop failed", cause).pipe(Effect.as(false)))
    )

    const loop = yield* Effect.forkScoped(Effect.repeat(tick, { until: (stop) => stop }))

    // runs before forkScoped's interruption: let the loop post what is pending, within the deadline
    yield* Effect.addFinalizer(() =>
      Deferred.succeed(stopping, undefined).pipe(
        Effect.zipRight(Fiber.await(loop).pipe(Effect.interruptible, Effect.timeoutOption(flushTimeout))),
        Effect.flatMap(Option.match({
          onSome: () => Effect.void,
          onNone: () =>
            Effect.flatMap(
              Queue.size(queue),
              (queued) =>
                Effect.logWarning(
                  `Discord: gave up flushing alerts after ${Duration.format(flushTimeout)} (${queued} still queued)`
                )
            )
        }))
      )
    )

    const notify = Effect.fn("Discord.notify")(function*(alert: Alert) {
      const at = yield* Clock.currentTimeMillis
      const accepted = yield* Queue.offer(queue, { alert, at })
      if (!accepted) {
        posted.dropped(1)
        yield* Ref.update(dropped, (n) => n + 1)
      }
    })

    const send = Effect.fn("Discord.send")(function*(alert: Alert) {
      const at = yield* Clock.currentTimeMillis
      for (const message of compose([{ alert, at }], 0, windowLabel, at)) yield* deliver(message)
    })

    return { notify, send } satisfies DiscordService
  })

const notConfigured: DiscordService = {
  notify: () => Effect.void,
  send: () => Effect.fail(new DiscordNotConfigured())
}

/** Test seam: every alert given to `Discord.layerRecording`, in order. */
export class RecordedAlerts extends Context.Tag("test/alerts/RecordedAlerts")<
  RecordedAlerts,
  Ref.Ref<ReadonlyArray<Alert>>
>() {}

export class Discord extends Context.Tag("alerts/Discord")<Discord, DiscordService>() {
  /** The webhook from `WorkerConfig`, with options (window, bounds, deadlines); no-op when no URL is set. */
  static readonly layerWith = (
    options: DiscordOptions = {}
  ): Layer.Layer<Discord, never, WorkerConfig | HttpClient.HttpClient> =>
    Layer.scoped(
      Discord,
      Effect.gen(function*() {
        const { discordWebhookUrl } = yield* WorkerConfig
        if (Option.isNone(discordWebhookUrl)) {
          yield* Effect.logDebug("Discord alerts are off: DISCORD_WEBHOOK_URL is not set")
          return notConfigured
        }
        return yield* makeLive(discordWebhookUrl.value, options)
      })
    )

  static readonly layer: Layer.Layer<Discord, never, WorkerConfig | HttpClient.HttpClient> = this.layerWith()

  /** Alerts off: `notify` does nothing, `send` fails with `DiscordNotConfigured`. */
  static readonly layerNoop: Layer.Layer<Discord> = Layer.succeed(this, notConfigured)

  /** Records every notified or sent alert into `RecordedAlerts`. */
  static readonly layerRecording: Layer.Layer<Discord | RecordedAlerts> = Layer.effect(
    this,
    Effect.map(RecordedAlerts, (ref): DiscordService => ({
      notify: (alert) => Ref.update(ref, (alerts) => [...alerts, alert]),
      send: (alert) => Ref.update(ref, (alerts) => [...alerts, alert])
    }))
  ).pipe(Layer.provideMerge(Layer.effect(RecordedAlerts, Ref.make<ReadonlyArray<Alert>>([]))))
}
