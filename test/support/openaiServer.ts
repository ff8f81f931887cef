import { Effect, Ref, type Scope } from "effect"
import * as Http from "node:http"
import { localHttpServer } from "./net.js"

/** What the server does with one request. */
export type OpenAiReply =
  | { readonly _tag: "Answer"; readonly outputText: string }
  | {
    readonly _tag: "Status"
    readonly status: number
    readonly headers: Readonly<Record<string, string>>
    readonly body: unknown
  }
  | { readonly _tag: "Slow"; readonly delayMs: number; readonly then: OpenAiReply }

export const Reply = {
  /** 200 whose output text is `value` as JSON: what structured outputs return. */
  json: (value: unknown): OpenAiReply => ({ _tag: "Answer", outputText: JSON.stringify(value) }),
  /** 200 whose output text is `text` as it is (not JSON, say). */
  text: (text: string): OpenAiReply => ({ _tag: "Answer", outputText: text }),
  rateLimited: (retryAfterSeconds: number): OpenAiReply => ({
    _tag: "Status",
    status: 429,
    headers: { "retry-after": String(retryAfterSeconds) },
    body: {
      error: {
        message: "Rate limit reached for requests. Please try again later.",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded"
      }
    }
  }),
  serverError: (): OpenAiReply => ({
    _tag: "Status",
    status: 500,
    headers: {},
    body: {
      error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null }
    }
  }),
  /** Waits `delayMs` before doing `then`; the wait is abandoned if the client goes away. */
  slow: (delayMs: number, then: OpenAiReply): OpenAiReply => ({ _tag: "Slow", delayMs, then })
}

export interface OpenAiRequest {
  readonly method: string
  readonly path: string
  readonly authorized: boolean
  /** The JSON body as sent (or the raw text if it was not JSON). */
  readonly body: any
  /** Date.now() when the request arrived. */
  readonly receivedAt: number
}

export interface OpenAiServerOptions {
  readonly apiKey: string
  /** One reply per request, in order; the last one repeats. */
  readonly replies: ReadonlyArray<OpenAiReply>
}

export interface OpenAiServer {
  /** What OPENAI_BASE_URL would be: `http://127.0.0.1:{port}/v1`. */
  readonly baseUrl: string
  readonly requests: Ref.Ref<ReadonlyArray<OpenAiRequest>>
}

/** Every text the client put in the request's `input` messages, joined. */
export const promptText = (request: OpenAiRequest): string =>
  (request.body?.input ?? []).map((message: any) =>
    typeof message.content === "string"
      ? message.content
      : (message.content ?? []).map((part: any) => part.text ?? "").join("\n")
  ).join("\n")

/** A Responses API object as POST /v1/responses returns it, with one assistant message. */
const responseObject = (id: number, model: unknown, outputText: string) => ({
  id: `resp_${id}`,
  object: "response",
  created_at: Math.floor(Date.now() / 1000),
  status: "completed",
  model: typeof model === "string" ? model : "gpt-4.1-mini",
  output: [{
    type: "message",
    id: `msg_${id}`,
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text: outputText, annotations: [] }]
  }],
  usage: {
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 50,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 150
  },
  error: null,
  incomplete_details: null,
  instructions: null,
  metadata: {},
  parallel_tool_calls: true,
  temperature: 1,
  top_p: 1,
  tool_choice: "auto",
  tools: []
})

/** Imitates OpenAI's `POST /v1/responses` on 127.0.0.1, answering from a script. */
export const openaiServer = (options: OpenAiServerOptions): Effect.Effect<OpenAiServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const requests = yield* Ref.make<ReadonlyArray<OpenAiRequest>>([])
    let served = 0

    const handle = (request: Http.IncomingMessage, response: Http.ServerResponse) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // recorded as text
        }
        const presented = request.headers.authorization ?? ""
        const authorized = presented === `Bearer ${options.apiKey}`
        const path = request.url ?? ""
        Effect.runSync(Ref.update(requests, (all) => [
          ...all,
          { method: request.method ?? "", path, authorized, body, receivedAt: Date.now() }
        ]))

        const json = (status: number, value: unknown, headers: Readonly<Record<string, string>> = {}) =>
          response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value))

        if (request.method !== "POST" || path !== "/v1/responses") {
          return json(404, { error: { message: `Unknown request URL: ${request.method} ${path}`, type: "invalid_request_error" } })
        }
        if (!authorized) {
          // the real API echoes (part of) the key it was given, which is what the drafter must keep out of errors
          return json(401, {
            error: {
              message: `Incorrect API key provided: ${presented.replace(/^Bearer /, "")}.`,
              type: "invalid_request_error",
              code: "invalid_api_key"
            }
          })
        }
        const reply = options.replies[Math.min(served, options.replies.length - 1)]!
        served += 1
        const answer = (reply: OpenAiReply): void => {
          switch (reply._tag) {
            case "Answer":
              return void json(200, responseObject(served, (body as any)?.model, reply.outputText))
            case "Status":
              return void json(reply.status, reply.body, reply.headers)
            case "Slow": {
              const timer = setTimeout(() => answer(reply.then), reply.delayMs)
              response.on("close", () => clearTimeout(timer))
              return
            }
          }
        }
        answer(reply)
      })
    }

    const port = yield* localHttpServer(handle)
    return { baseUrl: `http://127.0.0.1:${port}/v1`, requests }
  })
