import { Effect, Ref, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import { localHttpServer } from "./net.js"

/**
 * What the server does with the next request for a number:
 * - `rate-limit`: 429 with `Retry-After: 7` (Twilio error 20429);
 * - `server-error`: 500;
 * - `gateway-timeout`: stores the message, then answers 504 as a proxy in front of a slow API would;
 * - `invalid-number`: 400, Twilio error 21211;
 * - `accept-then-hang`: stores the message (with its idempotency token) and never answers.
 */
export type SmsBehaviour = "rate-limit" | "server-error" | "gateway-timeout" | "invalid-number" | "accept-then-hang"

export interface StoredSms {
  readonly sid: string
  readonly to: string
  readonly from: string
  readonly body: string
  readonly idempotencyToken: string | undefined
}

export interface SmsRequest {
  readonly method: string
  readonly path: string
  readonly authorized: boolean
  readonly contentType: string | undefined
  readonly form: Readonly<Record<string, string>>
  readonly idempotencyToken: string | undefined
}

export interface SmsServerOptions {
  readonly accountSid: string
  readonly authToken: string
}

export interface SmsServer {
  readonly url: URL
  readonly messages: Ref.Ref<ReadonlyArray<StoredSms>>
  readonly requests: Ref.Ref<ReadonlyArray<SmsRequest>>
  /** Requests that carried each idempotency token, accepted or not. */
  readonly sendsPerToken: Effect.Effect<ReadonlyMap<string, number>>
  /** The next requests for `to` get these behaviours, one each, then the normal answer. */
  readonly script: (to: string, ...behaviours: ReadonlyArray<SmsBehaviour>) => Effect.Effect<void>
}

const E164 = /^\+[1-9]\d{1,14}$/

/** Imitates Twilio's `POST /2010-04-01/Accounts/{sid}/Messages.json` on 127.0.0.1. */
export const smsServer = (options: SmsServerOptions): Effect.Effect<SmsServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const messages = yield* Ref.make<ReadonlyArray<StoredSms>>([])
    const requests = yield* Ref.make<ReadonlyArray<SmsRequest>>([])
    const scripts = new Map<string, Array<SmsBehaviour>>()
    const byToken = new Map<string, StoredSms>()
    const expectedPath = `/2010-04-01/Accounts/${options.accountSid}/Messages.json`
    const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`

    const resource = (message: StoredSms) => ({
      sid: message.sid,
      account_sid: options.accountSid,
      to: message.to,
      from: message.from,
      body: message.body,
      status: "queued",
      date_created: new Date().toUTCString(),
      uri: `${expectedPath.replace(/\.json$/, "")}/${message.sid}.json`
    })

    const store = (to: string, form: Record<string, string>, idempotencyToken: string | undefined) => {
      const message: StoredSms = {
        sid: `SM${randomBytes(16).toString("hex")}`,
        to,
        from: form.From ?? "",
        body: form.Body ?? "",
        idempotencyToken
      }
      if (idempotencyToken !== undefined) byToken.set(idempotencyToken, message)
      Effect.runSync(Ref.update(messages, (all) => [...all, message]))
      return message
    }

    const handle = (request: Http.IncomingMessage, response: Http.ServerResponse, text: string) => {
      const form = Object.fromEntries(new URLSearchParams(text))
      const header = request.headers["i-twilio-idempotency-token"]
      const idempotencyToken = typeof header === "string" ? header : undefined
      const authorized = request.headers.authorization === expectedAuth
      Effect.runSync(Ref.update(requests, (all) => [...all, {
        method: request.method ?? "",
        path: request.url ?? "",
        authorized,
        contentType: request.headers["content-type"],
        form,
        idempotencyToken
      }]))
      const json = (status: number, body: unknown, headers: Http.OutgoingHttpHeaders = {}) =>
        response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))
      const error = (status: number, code: number, message: string, headers: Http.OutgoingHttpHeaders = {}) =>
        json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers)

      if (request.method !== "POST" || request.url !== expectedPath) {
        return error(404, 20404, "The requested resource was not found")
      }
      if (!authorized) return error(401, 20003, "Authenticate")

      const replayed = idempotencyToken === undefined ? undefined : byToken.get(idempotencyToken)
      if (replayed !== undefined) return json(201, resource(replayed), { "idempotent-replayed": "true" })

      const to = form.To ?? ""
      switch (scripts.get(to)?.shift()) {
        case "rate-limit":
          return error(429, 20429, "Too Many Requests", { "retry-after": "7" })
        case "server-error":
          return error(500, 20500, "Internal Server Error")
        case "gateway-timeout":
          store(to, form, idempotencyToken)
          return error(504, 20504, "Gateway Timeout")
        case "invalid-number":
          return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`)
        case "accept-then-hang":
          store(to, form, idempotencyToken)
          return
      }
      if (!E164.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`)
      if (!form.From || !form.Body) return error(400, 21602, "Message body is required.")
      return json(201, resource(store(to, form, idempotencyToken)))
    }

    const port = yield* localHttpServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")))
    })
    return {
      url: new URL(`http://127.0.0.1:${port}`),
      messages,
      requests,
      sendsPerToken: Effect.map(Ref.get(requests), (all) => {
        const counts = new Map<string, number>()
        for (const { idempotencyToken } of all) {
          if (idempotencyToken !== undefined) counts.set(idempotencyToken, (counts.get(idempotencyToken) ?? 0) + 1)
        }
        return counts
      }),
      script: (to, ...behaviours) =>
        Effect.sync(() => {
          scripts.set(to, [...(scripts.get(to) ?? []), ...behaviours])
        })
    }
  })
