import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Cause, ConfigProvider, Context, Duration, Effect, Either, Layer, Option, Redacted, Ref } from "effect"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs/promises"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { CommsConfig, type CommsSettings, type EmailSettings, type SmsSettings } from "../src/config/CommsConfig.js"
import { type InvalidConfiguration, loadSections } from "../src/config/index.js"
import {
  Channels,
  ChannelsLive,
  type OutboundMessage,
  requireChannels,
  type SendError
} from "../src/services/comms/channels/index.js"
import { closedPort } from "./support/net.js"
import { smsServer } from "./support/smsServer.js"
import { smtpServer } from "./support/smtpServer.js"

const SMTP_LOGIN = { user: "mailer-login-7", password: "smtp-p@ss:w0rd/secret" }
const SMS_SID = "AC0123456789abcdef0123456789abcdef"
const SMS_TOKEN = "sms-auth-token-0123456789abcdef"
const SMS_FROM = "+15550001111"
const FROM = "Dragonfly Collections <noreply@dragonfly.example>"
const SECRETS = [SMTP_LOGIN.password, encodeURIComponent(SMTP_LOGIN.password), SMS_TOKEN]

const settings = (overrides: Partial<CommsSettings>): CommsSettings => ({
  email: Option.none(),
  sms: Option.none(),
  captureDir: Option.none(),
  sendTimeout: Duration.seconds(5),
  smsDeduplicates: false,
  ...overrides
})

const emailSettings = (smtpUrl: string): Option.Option<EmailSettings> =>
  Option.some({ smtpUrl: Redacted.make(smtpUrl), from: FROM })

const smsSettings = (apiUrl: URL, authToken = SMS_TOKEN): Option.Option<SmsSettings> =>
  Option.some({ apiUrl, accountSid: SMS_SID, authToken: Redacted.make(authToken), from: SMS_FROM })

const channels = (comms: CommsSettings) =>
  Effect.provide(Channels, ChannelsLive.pipe(Layer.provide(Layer.succeed(CommsConfig, comms))))

const email = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => {
  const outboxId = randomUUID()
  return {
    channel: "email",
    outboxId,
    idempotencyKey: `outbox-${outboxId}`,
    to: "debtor@example.test",
    subject: "About your account",
    body: "This is from a debt collector.\nLine two.",
    ...overrides
  }
}

const sms = (overrides: Partial<OutboundMessage> = {}): OutboundMessage =>
  email({ channel: "sms", to: "+15557654321", subject: null, body: "Reply STOP to opt out.", ...overrides })

const assertNoSecrets = (...values: ReadonlyArray<unknown>) => {
  for (const value of values) {
    const texts = value instanceof Error
      ? [value.message, JSON.stringify(value), Cause.pretty(Cause.fail(value))]
      : [JSON.stringify(value)]
    for (const text of texts) for (const secret of SECRETS) assert.notInclude(text, secret)
  }
}

const assertFails = (error: SendError, tag: SendError["_tag"], text: string) => {
  assert.strictEqual(error._tag, tag, error.message)
  assert.include(error.message, text)
  assertNoSecrets(error)
}

const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(tmpdir(), "dragonfly-capture-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

layer(NodeHttpClient.layerUndici, { excludeTestServices: true, timeout: "60 seconds" })("comms channels", (it) => {
  describe("email over SMTP", () => {
    it.scoped("delivers with the Message-ID, the idempotency header, the subject and the body, after AUTH", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer({ login: SMTP_LOGIN })
        const comms = yield* channels(settings({ email: emailSettings(server.url(SMTP_LOGIN)) }))
        const message = email()
        const receipt = yield* comms.send(message)
        assert.deepStrictEqual(receipt, {
          providerMessageId: `<${message.outboxId}@dragonfly.invalid>`,
          channel: "email",
          provider: "smtp",
          duplicate: false
        })
        const [received] = yield* Ref.get(server.received)
        assert.isDefined(received)
        assert.strictEqual(received!.user, SMTP_LOGIN.user)
        assert.strictEqual(received!.mailFrom, "noreply@dragonfly.example")
        assert.deepStrictEqual(received!.rcptTo, ["debtor@example.test"])
        assert.strictEqual(received!.headers["message-id"], `<${message.outboxId}@dragonfly.invalid>`)
        assert.strictEqual(received!.headers["x-dragonfly-idempotency-key"], message.idempotencyKey)
        assert.strictEqual(received!.headers["subject"], "About your account")
        assert.strictEqual(received!.headers["from"], FROM)
        assert.strictEqual(received!.body.trim(), "This is from a debt collector.\r\nLine two.")
      }))

    it.scoped("a 550 for the recipient is SendRejected", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer({ login: SMTP_LOGIN })
        yield* server.script("gone@example.test", "reject")
        const comms = yield* channels(settings({ email: emailSettings(server.url(SMTP_LOGIN)) }))
        const error = yield* Effect.flip(comms.send(email({ to: "gone@example.test" })))
        assertFails(error, "SendRejected", "550")
        assert.lengthOf(yield* Ref.get(server.received), 0)
      }))

    it.scoped("a 451 is SendUnavailable", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer()
        yield* server.script("later@example.test", "defer")
        const comms = yield* channels(settings({ email: emailSettings(server.url()) }))
        const error = yield* Effect.flip(comms.send(email({ to: "later@example.test" })))
        assertFails(error, "SendUnavailable", "451")
      }))

    it.scoped("a connection dropped after the message was sent is SendOutcomeUnknown", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer()
        yield* server.script("dropped@example.test", "drop-after-data")
        const comms = yield* channels(settings({ email: emailSettings(server.url()) }))
        const message = email({ to: "dropped@example.test" })
        const error = yield* Effect.flip(comms.send(message))
        assertFails(error, "SendOutcomeUnknown", "after the message was sent")
        const [received] = yield* Ref.get(server.received)
        assert.strictEqual(received?.headers["message-id"], `<${message.outboxId}@dragonfly.invalid>`)
        assert.isFalse(received?.acknowledged)
      }))

    it.scoped("a connection dropped before the message was sent is SendUnavailable", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer()
        yield* server.script("early@example.test", "drop-at-rcpt")
        const comms = yield* channels(settings({ email: emailSettings(server.url()) }))
        const error = yield* Effect.flip(comms.send(email({ to: "early@example.test" })))
        assertFails(error, "SendUnavailable", "could not hand the message")
        assert.lengthOf(yield* Ref.get(server.received), 0)
      }))

    it.scoped("no reply after the message within the timeout is SendOutcomeUnknown", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer()
        yield* server.script("slow@example.test", "silent-after-data")
        const comms = yield* channels(settings({
          email: emailSettings(server.url()),
          sendTimeout: Duration.millis(500)
        }))
        const error = yield* Effect.flip(comms.send(email({ to: "slow@example.test" })))
        assert.strictEqual(error._tag, "SendOutcomeUnknown", error.message)
        assert.lengthOf(yield* Ref.get(server.received), 1)
      }))

    it.scoped("a refused login is SendUnavailable and does not show the password", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer({ login: { user: SMTP_LOGIN.user, password: "another-password" } })
        const comms = yield* channels(settings({ email: emailSettings(server.url(SMTP_LOGIN)) }))
        const error = yield* Effect.flip(comms.send(email()))
        assertFails(error, "SendUnavailable", "refused the login")
        assertNoSecrets(comms.describe())
      }))

    it.scoped("a server that is not listening is SendUnavailable", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const url = `smtp://${SMTP_LOGIN.user}:${encodeURIComponent(SMTP_LOGIN.password)}@127.0.0.1:${port}`
        const comms = yield* channels(settings({ email: emailSettings(url) }))
        const error = yield* Effect.flip(comms.send(email()))
        assertFails(error, "SendUnavailable", "could not hand the message")
      }))

    it.scoped("an invalid recipient is SendRejected without contacting the server", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer()
        const comms = yield* channels(settings({ email: emailSettings(server.url()) }))
        for (const to of ["not-an-address", "a@example.test, b@example.test", "Name <a@example.test>"]) {
          const error = yield* Effect.flip(comms.send(email({ to })))
          assertFails(error, "SendRejected", "invalid recipient")
        }
        assert.lengthOf(yield* Ref.get(server.received), 0)
      }))
  })

  describe("SMS over a Twilio-style API", () => {
    it.scoped("delivers with basic auth, the form fields and the idempotency token", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url) }))
        const message = sms()
        const receipt = yield* comms.send(message)
        const [stored] = yield* Ref.get(server.messages)
        assert.deepStrictEqual(receipt, {
          providerMessageId: stored!.sid,
          channel: "sms",
          provider: "sms-http",
          duplicate: false
        })
        assert.deepStrictEqual(stored, {
          sid: receipt.providerMessageId,
          to: "+15557654321",
          from: SMS_FROM,
          body: "Reply STOP to opt out.",
          idempotencyToken: message.idempotencyKey
        })
        const [request] = yield* Ref.get(server.requests)
        assert.strictEqual(request!.path, `/2010-04-01/Accounts/${SMS_SID}/Messages.json`)
        assert.isTrue(request!.authorized)
        assert.include(request!.contentType ?? "", "application/x-www-form-urlencoded")
        assert.deepStrictEqual(request!.form, { To: "+15557654321", From: SMS_FROM, Body: "Reply STOP to opt out." })
      }))

    it.scoped("a repeated idempotency token is one provider message and a duplicate receipt", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url) }))
        const message = sms()
        const first = yield* comms.send(message)
        const again = yield* comms.send(message)
        assert.isFalse(first.duplicate)
        assert.isTrue(again.duplicate)
        assert.strictEqual(again.providerMessageId, first.providerMessageId)
        assert.lengthOf(yield* Ref.get(server.messages), 1)
        assert.strictEqual((yield* server.sendsPerToken).get(message.idempotencyKey), 2)
      }))

    it.scoped("429 and 500 are SendUnavailable, 429 with its Retry-After", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url) }))
        yield* server.script("+15557654321", "rate-limit", "server-error")
        const message = sms()
        const limited = yield* Effect.flip(comms.send(message))
        assertFails(limited, "SendUnavailable", "HTTP 429")
        assert.strictEqual(limited._tag === "SendUnavailable" ? limited.retryAfterSeconds : undefined, 7)
        const failed = yield* Effect.flip(comms.send(message))
        assertFails(failed, "SendUnavailable", "HTTP 500")
        const receipt = yield* comms.send(message)
        assert.isFalse(receipt.duplicate)
        assert.lengthOf(yield* Ref.get(server.messages), 1)
      }))

    it.scoped("a 504 from a gateway is SendOutcomeUnknown: the API behind it may have taken the message", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url) }))
        yield* server.script("+15557654321", "gateway-timeout")
        const error = yield* Effect.flip(comms.send(sms()))
        assertFails(error, "SendOutcomeUnknown", "HTTP 504")
        assert.lengthOf(yield* Ref.get(server.messages), 1)
      }))

    it.scoped("a 400 is SendRejected with the provider's message", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url) }))
        yield* server.script("+15557654321", "invalid-number")
        const error = yield* Effect.flip(comms.send(sms()))
        assertFails(error, "SendRejected", "error 21211: The 'To' number +15557654321 is not a valid phone number.")
      }))

    it.scoped("an API that takes the message and never answers is SendOutcomeUnknown; the retry is a duplicate", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url), sendTimeout: Duration.millis(500) }))
        yield* server.script("+15557654321", "accept-then-hang")
        const message = sms()
        const error = yield* Effect.flip(comms.send(message))
        assertFails(error, "SendOutcomeUnknown", "no answer from the SMS API within 500ms")
        const [stored] = yield* Ref.get(server.messages)
        const retry = yield* comms.send(message)
        assert.deepStrictEqual(retry, {
          providerMessageId: stored!.sid,
          channel: "sms",
          provider: "sms-http",
          duplicate: true
        })
        assert.lengthOf(yield* Ref.get(server.messages), 1)
      }))

    it.scoped("refused credentials are SendUnavailable and do not show the token", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: "the-real-token-0123456789" })
        const comms = yield* channels(settings({ sms: smsSettings(server.url) }))
        const error = yield* Effect.flip(comms.send(sms()))
        assertFails(error, "SendUnavailable", "refused the credentials (HTTP 401")
        assertNoSecrets(comms.describe())
      }))

    it.scoped("an API that is not listening is SendUnavailable", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const comms = yield* channels(settings({ sms: smsSettings(new URL(`http://127.0.0.1:${port}`)) }))
        const error = yield* Effect.flip(comms.send(sms()))
        assertFails(error, "SendUnavailable", "could not reach the SMS API")
      }))

    it.scoped("a recipient that is not E.164 is SendRejected without a request", () =>
      Effect.gen(function*() {
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url) }))
        const error = yield* Effect.flip(comms.send(sms({ to: "555-1234" })))
        assertFails(error, "SendRejected", "invalid recipient")
        assert.lengthOf(yield* Ref.get(server.requests), 0)
      }))
  })

  describe("capture", () => {
    it.scoped("writes an .eml per email and a .json per SMS; a repeated key is the same file and a duplicate", () =>
      Effect.gen(function*() {
        const dir = Path.join(yield* tempDir, "nested", "capture")
        const comms = yield* channels(settings({ captureDir: Option.some(dir) }))
        const mail = email({ subject: "Line\r\nBcc: injected@example.test" })
        const text = sms()

        const mailReceipt = yield* comms.send(mail)
        assert.strictEqual(mailReceipt.provider, "capture")
        assert.isFalse(mailReceipt.duplicate)
        assert.strictEqual(mailReceipt.providerMessageId, Path.join(dir, `email-${mail.idempotencyKey}.eml`))
        const eml = yield* Effect.promise(() => Fs.readFile(mailReceipt.providerMessageId, "utf8"))
        assert.include(eml, `Message-ID: <${mail.outboxId}@dragonfly.invalid>\r\n`)
        assert.include(eml, `X-Dragonfly-Idempotency-Key: ${mail.idempotencyKey}\r\n`)
        assert.include(eml, "To: debtor@example.test\r\n")
        assert.include(eml, "Subject: Line Bcc: injected@example.test\r\n")
        assert.include(eml, "\r\n\r\nThis is from a debt collector.\r\nLine two.\r\n")

        const smsReceipt = yield* comms.send(text)
        const json: unknown = JSON.parse(yield* Effect.promise(() => Fs.readFile(smsReceipt.providerMessageId, "utf8")))
        assert.deepInclude(json, {
          channel: "sms",
          to: text.to,
          body: text.body,
          outboxId: text.outboxId,
          idempotencyKey: text.idempotencyKey
        })

        const again = yield* comms.send({ ...mail, body: "a second attempt" })
        assert.deepStrictEqual(again, { ...mailReceipt, duplicate: true })
        const unchanged = yield* Effect.promise(() => Fs.readFile(mailReceipt.providerMessageId, "utf8"))
        assert.strictEqual(unchanged, eml)
        const files = yield* Effect.promise(() => Fs.readdir(dir))
        assert.sameMembers(files, [`email-${mail.idempotencyKey}.eml`, `sms-${text.idempotencyKey}.json`])
      }))

    it.scoped("a key that is not a file name stays inside the directory", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const comms = yield* channels(settings({ captureDir: Option.some(dir) }))
        const receipt = yield* comms.send(sms({ idempotencyKey: "../../etc/passwd" }))
        assert.strictEqual(Path.dirname(receipt.providerMessageId), dir)
        assert.match(Path.basename(receipt.providerMessageId), /^sms-\.\._\.\._etc_passwd-[0-9a-f]{16}\.json$/)
      }))

    it.scoped("a configured channel is sent, only the other one is captured", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const server = yield* smsServer({ accountSid: SMS_SID, authToken: SMS_TOKEN })
        const comms = yield* channels(settings({ sms: smsSettings(server.url), captureDir: Option.some(dir) }))
        assert.strictEqual((yield* comms.send(sms())).provider, "sms-http")
        assert.strictEqual((yield* comms.send(email())).provider, "capture")
        assert.deepStrictEqual(comms.available(), ["email", "sms"])
        assert.deepStrictEqual(comms.describe(), {
          email: `capture to ${dir}`,
          sms: `sms-http to ${server.url.origin} (account ${SMS_SID}), from ${SMS_FROM}`
        })
      }))
  })

  describe("routing", () => {
    it.scoped("a channel neither configured nor captured is SendRejected naming its variables", () =>
      Effect.gen(function*() {
        const server = yield* smtpServer()
        const comms = yield* channels(settings({ email: emailSettings(server.url()) }))
        assert.deepStrictEqual(comms.available(), ["email"])
        const error = yield* Effect.flip(comms.send(sms()))
        assert.strictEqual(error._tag, "SendRejected")
        assert.strictEqual(
          error.message,
          "sms is not configured: set SMS_API_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM"
        )
        const none = yield* channels(settings({}))
        const emailError = yield* Effect.flip(none.send(email()))
        assert.strictEqual(emailError.message, "email is not configured: set SMTP_URL and COMMS_EMAIL_FROM")
      }))

    it.scoped("requireChannels fails naming what is missing when no channel is usable", () =>
      Effect.gen(function*() {
        const check = (comms: CommsSettings) =>
          requireChannels.pipe(Effect.provide(ChannelsLive.pipe(Layer.provide(Layer.succeed(CommsConfig, comms)))))
        const error = yield* Effect.flip(check(settings({})))
        assert.strictEqual(error._tag, "InvalidConfiguration")
        for (const variable of ["SMTP_URL", "COMMS_EMAIL_FROM", "SMS_API_URL", "SMS_AUTH_TOKEN", "COMMS_CAPTURE_DIR"]) {
          assert.include(error.message, variable)
        }
        const dir = yield* tempDir
        assert.deepStrictEqual(yield* check(settings({ captureDir: Option.some(dir) })), ["email", "sms"])
      }))

    it.scoped("describe() says where each channel goes, without secrets", () =>
      Effect.gen(function*() {
        const comms = yield* channels(settings({
          email: emailSettings(
            `smtps://${SMTP_LOGIN.user}:${encodeURIComponent(SMTP_LOGIN.password)}@smtp.example.com:465`
          ),
          sms: smsSettings(new URL("https://api.twilio.com"))
        }))
        const description = comms.describe()
        assert.deepStrictEqual(description, {
          email: `smtp to smtps://smtp.example.com:465 with a login, from ${FROM}`,
          sms: `sms-http to https://api.twilio.com (account ${SMS_SID}), from ${SMS_FROM}`
        })
        assertNoSecrets(description)
        assert.notInclude(JSON.stringify(description), SMTP_LOGIN.user)
      }))
  })
})

describe("CommsConfig", () => {
  const full: Record<string, string> = {
    SMTP_URL: `smtp://${SMTP_LOGIN.user}:${encodeURIComponent(SMTP_LOGIN.password)}@smtp.example.com:587`,
    COMMS_EMAIL_FROM: FROM,
    SMS_API_URL: "https://api.twilio.com/",
    SMS_ACCOUNT_SID: SMS_SID,
    SMS_AUTH_TOKEN: SMS_TOKEN,
    SMS_FROM,
    COMMS_CAPTURE_DIR: "./tmp/comms",
    COMMS_SEND_TIMEOUT: "12"
  }

  const load = (env: Record<string, string>) =>
    loadSections(CommsConfig).pipe(
      Effect.map((context) => Context.get(context, CommsConfig)),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.either
    )

  const problems = (result: Either.Either<unknown, InvalidConfiguration>) =>
    Either.match(result, {
      onLeft: (error) => {
        assertNoSecrets(error)
        return error.problems.map(({ problem, variable }) => `${variable}: ${problem}`)
      },
      onRight: () => []
    })

  const only = (...names: Array<string>) => Object.fromEntries(names.map((name) => [name, full[name]!]))

  it.effect("reads both channels, the capture directory and the timeout", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(yield* load(full))
      const emailConfig = Option.getOrThrow(config.email)
      assert.strictEqual(Redacted.value(emailConfig.smtpUrl), full.SMTP_URL)
      assert.strictEqual(emailConfig.from, FROM)
      const smsConfig = Option.getOrThrow(config.sms)
      assert.strictEqual(smsConfig.apiUrl.href, "https://api.twilio.com/")
      assert.strictEqual(smsConfig.accountSid, SMS_SID)
      assert.strictEqual(Redacted.value(smsConfig.authToken), SMS_TOKEN)
      assert.strictEqual(smsConfig.from, SMS_FROM)
      assert.strictEqual(Option.getOrThrow(config.captureDir), Path.resolve("tmp/comms"))
      assert.isTrue(Duration.equals(config.sendTimeout, Duration.seconds(12)))
      assert.notInclude(String(config.email), SMTP_LOGIN.password)
    }))

  it.effect("nothing set, or only blanks: no channel, no capture, 30 s", () =>
    Effect.gen(function*() {
      const blanks = Object.fromEntries(
        Object.keys(full).filter((name) => name !== "COMMS_SEND_TIMEOUT").map((name) => [name, " "])
      )
      for (const env of [{}, blanks]) {
        const config = Either.getOrThrow(yield* load(env))
        assert.isTrue(Option.isNone(config.email))
        assert.isTrue(Option.isNone(config.sms))
        assert.isTrue(Option.isNone(config.captureDir))
        assert.isTrue(Duration.equals(config.sendTimeout, Duration.seconds(30)))
      }
    }))

  it.effect("a partial SMTP setting names the missing variable", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(problems(yield* load(only("SMTP_URL"))), [
        "COMMS_EMAIL_FROM: is missing (required because SMTP_URL is set; email needs SMTP_URL and COMMS_EMAIL_FROM)"
      ])
      assert.deepStrictEqual(problems(yield* load(only("COMMS_EMAIL_FROM"))), [
        "SMTP_URL: is missing (required because COMMS_EMAIL_FROM is set; email needs SMTP_URL and COMMS_EMAIL_FROM)"
      ])
    }))

  it.effect("partial SMTP and SMS settings are one error naming every missing variable", () =>
    Effect.gen(function*() {
      const because =
        "required because SMS_API_URL is set; SMS needs SMS_API_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM"
      assert.deepStrictEqual(problems(yield* load(only("SMTP_URL", "SMS_API_URL"))), [
        "COMMS_EMAIL_FROM: is missing (required because SMTP_URL is set; email needs SMTP_URL and COMMS_EMAIL_FROM)",
        `SMS_ACCOUNT_SID: is missing (${because})`,
        `SMS_AUTH_TOKEN: is missing (${because})`,
        `SMS_FROM: is missing (${because})`
      ])
      const someSms = problems(yield* load(only("SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN")))
      assert.deepStrictEqual(someSms.map((line) => line.split(":")[0]), ["SMS_API_URL", "SMS_FROM"])
      assert.include(someSms[0]!, "required because SMS_ACCOUNT_SID and SMS_AUTH_TOKEN are set")
    }))

  it.effect("invalid values are reported with the missing ones, never echoing a secret", () =>
    Effect.gen(function*() {
      const lines = problems(yield* load({
        SMTP_URL: `http://${SMTP_LOGIN.user}:${SMTP_LOGIN.password}@smtp.example.com`,
        COMMS_EMAIL_FROM: "not an address",
        SMS_API_URL: `https://${SMS_SID}:${SMS_TOKEN}@api.twilio.com`,
        SMS_FROM: "5550001111",
        COMMS_SEND_TIMEOUT: "0"
      }))
      assert.deepStrictEqual(lines.map((line) => line.split(":")[0]), [
        "COMMS_EMAIL_FROM",
        "COMMS_SEND_TIMEOUT",
        "SMS_ACCOUNT_SID",
        "SMS_API_URL",
        "SMS_AUTH_TOKEN",
        "SMS_FROM",
        "SMTP_URL"
      ])
      assert.include(lines.join("\n"), "SMTP_URL: must be an smtp:// or smtps:// URL")
      assert.include(lines.join("\n"), "SMS_API_URL: must not carry credentials")
      assert.include(lines.join("\n"), "SMS_FROM: must be an E.164 number")
    }))
})
