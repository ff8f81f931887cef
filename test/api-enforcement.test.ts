import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { envelope, eventually, ORG, recordedAlerts, send, serviceWorker } from "./support/runtime.js"
import { queueName } from "../src/queue/QueueName.js"

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)

/** j-1: a consumer with a verified W-2 employer in Albany; reachable by email and text. */
const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO dragonfly.plaintiffs (org_id, id, name) VALUES (${ORG}::uuid, 'p-1', 'Example Funding LLC (TEST)')`
  yield* sql`INSERT INTO dragonfly.judgments ${
    sql.insert({
      org_id: ORG,
      id: "j-1",
      plaintiff_id: "p-1",
      source: "test",
      case_number: "CASE-1",
      account_type: "N",
      judgment_date: daysAgo(300),
      judgment_amount_cents: 250_000,
      current_balance_cents: 250_000,
      debtor_first_name: "Pat",
      debtor_last_name: "Example",
      debtor_state: "NY",
      debtor_county: "Albany",
      debtor_city: "Albany",
      debtor_phone: "(518) 555-0142",
      debtor_email: "pat@example.com"
    })
  }`
  yield* sql`INSERT INTO dragonfly.judgment_facts ${
    sql.insert({
      org_id: ORG,
      judgment_id: "j-1",
      employer_name: "Acme Widgets Inc",
      employer_address: "1 Plaza, Albany, NY 12207",
      employment_type: "w2",
      employment_verified_at: daysAgo(10)
    })
  }`
})

const json = (body: unknown) => ({ method: "POST", headers: authorized({ "content-type": "application/json" }), body: JSON.stringify(body) })

describe("API: enforcement plans and communications", () => {
  it.live("plans, their history, outbox messages; operator messages and inbound opt-outs, with 4xx that say why", () =>
    Effect.gen(function*() {
      yield* seed
      const client = yield* ApiTest.client()
      const none = yield* raw(`/v1/judgments/j-1/plan?org_id=${ORG}`, { headers: authorized() })
      assert.strictEqual(none.status, 404)

      yield* Layer.build(serviceWorker("enforcement"))
      yield* send(envelope({ action: "plan" }, "plan-api", { org_id: ORG, entity_type: "judgment", entity_id: "j-1" }), queueName("enforcement_plan"))
      yield* eventually(Effect.map(Effect.either(client.plans.inForce({ path: { id: "j-1" }, urlParams: { org_id: ORG } })), (r) => r._tag === "Right"))
      const plan = yield* client.plans.inForce({ path: { id: "j-1" }, urlParams: { org_id: ORG } })
      assert.deepInclude(plan.plan, { judgment_id: "j-1", version: 1, status: "active" })
      assert.include(plan.tasks.map((task) => task.action), "income_execution")
      assert.include(plan.tasks.map((task) => task.action), "send_validation_notice")
      assert.isAbove(plan.drafts.length, 0)
      const byId = yield* client.plans.plan({ path: { id: plan.plan.plan_id }, urlParams: { org_id: ORG } })
      assert.strictEqual(byId.plan.plan_id, plan.plan.plan_id)
      const history = yield* client.plans.history({ path: { id: "j-1" }, urlParams: { org_id: ORG } })
      assert.deepStrictEqual(history.plans.map((p) => p.version), [1])

      // The plan's validation notice waits in the outbox (no comms worker here).
      const messages = yield* client.comms.messages({ path: { id: "j-1" }, urlParams: { org_id: ORG } })
      assert.deepStrictEqual(messages.messages.map((m) => [m.kind, m.channel, m.status]), [["validation_notice", "email", "pending"]])
      const one = yield* client.comms.message({ path: { id: messages.messages[0]!.outbox_id }, urlParams: { org_id: ORG } })
      assert.strictEqual(one.recipient, "pat@example.com")

      const sent = yield* raw("/v1/comms/messages", json({ org_id: ORG, judgment_id: "j-1", channel: "sms", kind: "follow_up", idempotency_key: "op-1" }))
      assert.strictEqual(sent.status, 202)
      const again = yield* raw("/v1/comms/messages", json({ org_id: ORG, judgment_id: "j-1", channel: "sms", kind: "follow_up", idempotency_key: "op-1" }))
      assert.deepStrictEqual([again.status, (again.json as any).outbox_id, (again.json as any).created], [202, (sent.json as any).outbox_id, false])
      const unknown = yield* raw("/v1/comms/messages", json({ org_id: ORG, judgment_id: "j-404", channel: "email", kind: "initial" }))
      assert.strictEqual(unknown.status, 404)
      const badKind = yield* raw("/v1/comms/messages", json({ org_id: ORG, judgment_id: "j-1", channel: "email", kind: "threat" }))
      assert.strictEqual(badKind.status, 400)

      const stop = yield* raw("/v1/comms/inbound", json({ org_id: ORG, channel: "sms", from: "+15185550142", body: "STOP" }))
      assert.strictEqual(stop.status, 200)
      assert.deepInclude(stop.json as object, { opted_out: true, debts: ["j-1"] })
      assert.isString((stop.json as any).confirmation_outbox_id)
      const chat = yield* raw("/v1/comms/inbound", json({ org_id: ORG, channel: "sms", from: "+15185550142", body: "when is it due?" }))
      assert.deepInclude(chat.json as object, { opted_out: false, confirmation_outbox_id: null })
      const notAPhone = yield* raw("/v1/comms/inbound", json({ org_id: ORG, channel: "sms", from: "hello", body: "STOP" }))
      assert.strictEqual(notAPhone.status, 400)
      assert.include(JSON.stringify(notAPhone.json), "not a US phone number")
      const otherOrg = yield* raw(`/v1/judgments/j-1/plan?org_id=${randomUUID()}`, { headers: authorized() })
      assert.strictEqual(otherOrg.status, 404)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ApiTest.layer(), recordedAlerts))), 60_000)
})
