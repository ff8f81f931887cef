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

      // What the debtor said, for the rules: a dispute and a cease request.
      const dispute = yield* raw("/v1/comms/events", json({ org_id: ORG, judgment_id: "j-1", event: { type: "dispute" } }))
      assert.strictEqual(dispute.status, 201)
      const cease = yield* raw("/v1/comms/events", json({ org_id: ORG, judgment_id: "j-1", event: { type: "cease" }, source: "letter of 2026-11-30" }))
      assert.strictEqual(cease.status, 201)
      const sql = yield* SqlClient.SqlClient
      const [account] = yield* sql<{ disputed: boolean; ceased: boolean }>`
        SELECT dispute_received_at IS NOT NULL AS disputed, cease_requested_at IS NOT NULL AS ceased
        FROM dragonfly.comms_accounts WHERE judgment_id = 'j-1'`
      assert.deepStrictEqual({ ...account }, { disputed: true, ceased: true })
      const suppressions = yield* sql<{ channel: string; reason: string }>`SELECT channel, reason FROM dragonfly.comms_suppressions ORDER BY id`
      assert.deepStrictEqual(suppressions.map((row) => `${row.channel}:${row.reason}`), ["sms:opt_out", "all:cease"])
      const noDebt = yield* raw("/v1/comms/events", json({ org_id: ORG, judgment_id: "j-404", event: { type: "cease" } }))
      assert.strictEqual(noDebt.status, 404)
      const badEvent = yield* raw("/v1/comms/events", json({ org_id: ORG, judgment_id: "j-1", event: { type: "consent", channel: "fax" } }))
      assert.strictEqual(badEvent.status, 400)

      // A task that needs an attorney is acted on only once signed; later plans read what was acted on.
      const execution = plan.tasks.find((task) => task.action === "income_execution")!
      const early = yield* raw(`/v1/tasks/${execution.task_id}/status`, json({ org_id: ORG, status: "waiting" }))
      assert.deepStrictEqual([early.status, (early.json as any).message], [409, "the task needs an attorney's sign-off first"])
      const signed = yield* raw(`/v1/tasks/${execution.task_id}/signoff`, json({ org_id: ORG, signed_off_by: "A. Attorney (TEST)" }))
      assert.strictEqual(signed.status, 200)
      const twice = yield* raw(`/v1/tasks/${execution.task_id}/signoff`, json({ org_id: ORG, signed_off_by: "A. Attorney (TEST)" }))
      assert.strictEqual(twice.status, 409)
      const served = yield* raw(`/v1/tasks/${execution.task_id}/status`, json({ org_id: ORG, status: "waiting" }))
      assert.strictEqual(served.status, 200)
      const unknownTask = yield* raw(`/v1/tasks/${randomUUID()}/status`, json({ org_id: ORG, status: "done" }))
      assert.strictEqual(unknownTask.status, 404)
      yield* sql`UPDATE dragonfly.judgment_facts SET bank_name = 'Example Savings Bank', bank_state = 'NY', bank_identified_at = current_date
        WHERE judgment_id = 'j-1'`
      yield* send(envelope({ action: "plan" }, "plan-api-2", { org_id: ORG, entity_type: "judgment", entity_id: "j-1" }), queueName("enforcement_plan"))
      yield* eventually(Effect.map(client.plans.history({ path: { id: "j-1" }, urlParams: { org_id: ORG } }), (h) => h.plans.length === 2))
      const replanned = yield* client.plans.inForce({ path: { id: "j-1" }, urlParams: { org_id: ORG } })
      const second = replanned.tasks.filter((task) => task.action === "income_execution")
      // No second execution while the first is outstanding (CPLR 5231: one at a time).
      assert.isFalse(second.some((task) => task.status === "pending"), JSON.stringify(second))
      assert.include(replanned.tasks.map((task) => task.action), "restraining_notice_bank")
      const old = yield* client.plans.plan({ path: { id: plan.plan.plan_id }, urlParams: { org_id: ORG } })
      assert.deepStrictEqual(
        old.tasks.filter((task) => task.task_id === execution.task_id).map((task) => [task.status, task.signed_off_by]),
        [["waiting", "A. Attorney (TEST)"]]
      )
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ApiTest.layer(), recordedAlerts))), 60_000)
})
