import { Clock, Effect } from "effect"
import { createHash, randomUUID } from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { InvalidConfiguration } from "../../../config/InvalidConfiguration.js"
import {
  type ChannelName,
  type OutboundMessage,
  recipientProblem,
  type Route,
  type SendReceipt,
  SendRejected,
  SendUnavailable
} from "./Channel.js"
import { IDEMPOTENCY_HEADER, isMessageIdPart, messageIdOf } from "./EmailChannel.js"

/** Captured mail has no configured sender: COMMS_EMAIL_FROM belongs to a configured SMTP channel. */
export const CAPTURE_FROM = "Dragonfly capture <comms@dragonfly.invalid>"

const SAFE_KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/

/**
 * `email-<key>.eml` / `sms-<key>.json`: one file per idempotency key, so a repeated key finds the file
 * it wrote before. A key that is not a safe file name keeps a readable prefix and gains a digest.
 */
export const captureFileName = (message: OutboundMessage) => {
  const key = SAFE_KEY.test(message.idempotencyKey)
    ? message.idempotencyKey
    : `${message.idempotencyKey.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 60)}-${
      createHash("sha256").update(message.idempotencyKey).digest("hex").slice(0, 16)
    }`
  return `${message.channel}-${key}.${message.channel === "email" ? "eml" : "json"}`
}

/** A header value on one line: a newline in a subject must not start a header of its own. */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, " ")

const emailText = (message: OutboundMessage, capturedAt: Date) =>
  [
    `Message-ID: ${messageIdOf(message.outboxId)}`,
    `Date: ${capturedAt.toUTCString()}`,
    `From: ${CAPTURE_FROM}`,
    `To: ${oneLine(message.to)}`,
    ...(message.subject === null ? [] : [`Subject: ${oneLine(message.subject)}`]),
    `${IDEMPOTENCY_HEADER}: ${oneLine(message.idempotencyKey)}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    message.body.replace(/\r?\n/g, "\r\n")
  ].join("\r\n") + "\r\n"

const smsJson = (message: OutboundMessage, capturedAt: Date) =>
  JSON.stringify(
    {
      channel: "sms",
      to: message.to,
      from: null,
      body: message.body,
      outboxId: message.outboxId,
      idempotencyKey: message.idempotencyKey,
      capturedAt: capturedAt.toISOString()
    },
    null,
    2
  ) + "\n"

const textOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

const codeOf = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined

/** Filesystems without hard links (some network or FUSE mounts). */
const NO_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"])

/**
 * Publishes `temporary` as `target` unless `target` exists: false when it did (a repeated key).
 * A hard link is both atomic and exclusive; without links, a rename is atomic but may replace a file
 * written at the same moment for the same key, which holds the same message.
 */
const publish = async (temporary: string, target: string): Promise<boolean> => {
  try {
    await Fs.link(temporary, target)
    return true
  } catch (error) {
    if (codeOf(error) === "EEXIST") return false
    if (!NO_LINKS.has(codeOf(error) ?? "")) throw error
  }
  const exists = await Fs.access(target).then(() => true, () => false)
  if (exists) return false
  await Fs.rename(temporary, target)
  return true
}

/**
 * Writes each message to a file under `dir` instead of sending it, for channels that are not configured
 * (the dev stack): a developer reads what would have gone out.
 */
export const make = (dir: string) =>
  Effect.gen(function*() {
    yield* Effect.tryPromise({
      try: () => Fs.mkdir(dir, { recursive: true }),
      catch: (error) =>
        new InvalidConfiguration({
          problems: [{
            variable: "COMMS_CAPTURE_DIR",
            problem: `cannot create the directory ${dir}: ${textOf(error)}`
          }]
        })
    })

    const send = Effect.fnUntraced(function*(message: OutboundMessage) {
      const channel: ChannelName = message.channel
      const problem = recipientProblem(message)
      if (problem !== undefined) return yield* new SendRejected({ channel, message: problem })
      if (channel === "email" && !isMessageIdPart(message.outboxId)) {
        return yield* new SendRejected({
          channel,
          message: "the outbox id cannot be part of a Message-ID (dot-atom characters only)"
        })
      }
      const capturedAt = new Date(yield* Clock.currentTimeMillis)
      const content = channel === "email" ? emailText(message, capturedAt) : smsJson(message, capturedAt)
      const target = Path.join(dir, captureFileName(message))
      const temporary = Path.join(dir, `.${randomUUID()}.tmp`)
      const created = yield* Effect.tryPromise({
        try: async () => {
          try {
            await Fs.writeFile(temporary, content, { flag: "wx" })
            return await publish(temporary, target)
          } finally {
            await Fs.rm(temporary, { force: true })
          }
        },
        catch: (error) =>
          new SendUnavailable({ channel, message: `cannot write the capture file ${target}: ${textOf(error)}` })
      })
      return { providerMessageId: target, channel, provider: "capture", duplicate: !created } satisfies SendReceipt
    })

    return { provider: "capture", destination: `capture to ${dir}`, send } satisfies Route
  })
