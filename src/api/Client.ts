import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Redacted } from "effect"
import { Api } from "./Api.js"

export interface ClientOptions {
  /** Where the API listens, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
}

/**
 * The typed client of the API, derived from its declaration: one method per endpoint, grouped as
 * the API is (`client.jobs.enqueue`, `client.deadLetters.replay`, …), with the endpoints' errors
 * decoded by status. Needs an `HttpClient` (FetchHttpClient or NodeHttpClient).
 */
export const make = (options: ClientOptions) =>
  HttpApiClient.make(Api, {
    baseUrl: options.baseUrl,
    transformClient: HttpClient.mapRequest(HttpClientRequest.setHeader("x-api-key", Redacted.value(options.apiKey)))
  })
