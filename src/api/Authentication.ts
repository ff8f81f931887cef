import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Layer, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { ApiConfig } from "../config/index.js"
import { Authentication } from "./Api.js"
import { Unauthorized } from "./errors.js"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()

/** Constant-time: both sides are hashed to 32 bytes first, so neither content nor length leaks. */
const matches = (expected: Buffer, candidate: string) => timingSafeEqual(expected, digest(candidate))

const BEARER = /^bearer[ \t]+(.*)$/is

/** The credentials a request presents: X-API-Key, and the token of an `Authorization: Bearer` header. */
const presented = (headers: Readonly<Record<string, string | undefined>>) => {
  const credentials: Array<string> = []
  const apiKey = headers["x-api-key"]
  if (apiKey !== undefined) credentials.push(apiKey.trim())
  const authorization = headers["authorization"]
  if (authorization !== undefined) {
    const bearer = BEARER.exec(authorization.trim())
    // Any other scheme is a credential we cannot accept, not an absent one.
    credentials.push(bearer === null ? "" : bearer[1]!.trim())
  }
  return credentials
}

/**
 * Accepts a request that presents at least one credential, every one of them the API key. The
 * answer to a missing and to a wrong key is the same.
 */
export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const config = yield* ApiConfig
    const expected = digest(Redacted.value(config.apiKey))
    const check = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const credentials = presented(request.headers)
      // Every credential is compared, so the time taken does not tell which one failed.
      const results = credentials.map((credential) => matches(expected, credential))
      return results.length > 0 && results.every(Boolean) ? Effect.void : Effect.fail(Unauthorized.default)
    })
    return Authentication.of({ apiKey: () => check, bearer: () => check })
  })
)
