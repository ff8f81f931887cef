import { FetchHttpClient, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Option, Redacted } from "effect"
import { createServer } from "node:http"
import * as Client from "../../src/api/Client.js"
import * as Server from "../../src/api/Server.js"
import { ApiConfig, LegalRulesConfig, OptionalCollectorConfig } from "../../src/config/index.js"
import { PgmqQueue } from "../../src/queue/PgmqQueue.js"
import { collectorSettings } from "./runtime.js"
import * as TestDatabase from "./TestDatabase.js"

export const API_KEY = "test-key-0123456789abcdef"

export interface ApiTestOptions {
  readonly corsOrigins?: ReadonlyArray<string>
  readonly limits?: Partial<Server.Limits>
  /** Default true; false gives an empty database (no pgmq, no migrations). */
  readonly migrated?: boolean
}

/**
 * The real server on 127.0.0.1 and an ephemeral port, on a fresh migrated database, with the
 * test's SqlClient, PgmqQueue and HttpServer (for its address) beside it.
 */
export const layer = (options: ApiTestOptions = {}) =>
  Server.layer({ ...Server.defaultLimits, ...options.limits }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provide(Layer.succeed(ApiConfig, {
      apiKey: Redacted.make(API_KEY),
      port: 0,
      corsOrigins: options.corsOrigins ?? []
    })),
    Layer.provide(Layer.succeed(OptionalCollectorConfig, Option.some(collectorSettings))),
    Layer.provide(Layer.succeed(LegalRulesConfig, { directory: Option.none() })),
    Layer.provideMerge(PgmqQueue.Default),
    Layer.provideMerge(TestDatabase.layer({ migrated: options.migrated ?? true }))
  )

export const baseUrl = HttpServer.addressFormattedWith((address) => Effect.succeed(address))

/** The client derived from the API, sending the key. */
export const client = (key: string = API_KEY) =>
  Effect.flatMap(baseUrl, (url) =>
    Client.make({ baseUrl: url, apiKey: Redacted.make(key) })).pipe(Effect.provide(FetchHttpClient.layer))

export interface RawResponse {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

/** A plain `fetch`, for what the typed client cannot send. */
export const raw = (path: string, init: RequestInit = {}) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.promise(async (): Promise<RawResponse> => {
      const response = await fetch(`${url}${path}`, init)
      const text = await response.text()
      let json: unknown = undefined
      try {
        json = JSON.parse(text)
      } catch {
        // not JSON
      }
      return { status: response.status, headers: response.headers, text, json }
    }))

export const authorized = (headers: Record<string, string> = {}) => ({ "x-api-key": API_KEY, ...headers })
