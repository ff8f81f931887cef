import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Ref } from "effect"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { openaiServer, Reply } from "./support/openaiServer.js"
import { count, deadLetters, envelope, eventually, ORG, recordedAlerts, send, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const PLAN_QUEUE = queueName("enforcement_plan")
const OPENAI_KEY = "sk-test-0123456789abcdefghijklmnop"

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)

/** j-1: a consumer judgment with a W-2 employer and a NY bank (R2 income execution, R3 restraint). */
const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO dragonfly.plaintiffs (org_id, id, name) VALUES (${ORG}::uuid, 'p-1', 'Example Funding LLC (TEST)')`
  yield* sql`INSERT INTO dragonfly.judgments ${
    sql.insert({
      org_id: ORG,
      id: "j-1",
      plaintiff_id: "p-1",
      source: "simplicity",
      case_number: "CASE-1",
      account_type: "N",
      court_name: "Supreme Court of the State of New York, County of Albany",
      court_county: "Albany",
      index_number: "12345/2025",
      judgment_date: daysAgo(400),
      judgment_amount_cents: 1_000_000,
      current_balance_cents: 1_000_000,
      debtor_first_name: "Pat",
      debtor_last_name: "Example",
      debtor_address_one: "12 Lark St",
      debtor_city: "Albany",
      debtor_state: "NY",
      debtor_zip: "12210",
      debtor_county: "Albany",
      is_synthetic: true
    })
  }`
  yield* sql`INSERT INTO dragonfly.judgment_facts ${
    sql.insert({
      org_id: ORG,
      judgment_id: "j-1",
      employer_name: "Acme Widgets Inc",
      employer_address: "1 Plaza, Albany, NY 12207",
      employment_type: "w2",
      employment_verified_at: daysAgo(10),
      bank_name: "Example Savings Bank",
      bank_state: "NY",
      bank_identified_at: daysAgo(10)
    })
  }`
})

const planJob = (key: string) =>
  send(envelope({ action: "plan" }, key, { org_id: ORG, entity_type: "judgment", entity_id: "j-1" }), PLAN_QUEUE)

interface PlanRow {
  readonly id: string
  readonly version: number
  readonly status: string
  readonly fired: ReadonlyArray<string>
  readonly blocked: ReadonlyArray<string>
  readonly gates_failed: ReadonlyArray<string>
}

const plans = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<PlanRow>`
    SELECT id::text, version, status,
      ARRAY(SELECT r ->> 'ruleId' FROM jsonb_array_elements(rules) r WHERE r ->> 'outcome' = 'fired' ORDER BY 1) AS fired,
      ARRAY(SELECT r ->> 'ruleId' FROM jsonb_array_elements(rules) r WHERE r ->> 'outcome' = 'blocked' ORDER BY 1) AS blocked,
      ARRAY(SELECT g ->> 'code' FROM jsonb_array_elements(gates) g WHERE NOT (g ->> 'passed')::boolean ORDER BY 1) AS gates_failed
    FROM dragonfly.enforcement_plans ORDER BY version`)

const tasksOf = (planId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ rule_id: string; action: string; status: string; requires_attorney_signoff: boolean }>`
      SELECT rule_id, action, status, requires_attorney_signoff FROM dragonfly.enforcement_tasks
      WHERE plan_id = ${planId}::uuid ORDER BY position`)

const Infrastructure = Layer.mergeAll(PgmqQueue.Default, recordedAlerts).pipe(Layer.provideMerge(TestDatabase.layer()))

describe("enforcement worker", () => {
  it.live("plans a judgment with its rules, tasks and template drafts; replanning after a bankruptcy supersedes and keeps the history", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed
      yield* Layer.build(serviceWorker("enforcement"))
      yield* planJob("plan-1")
      yield* eventually(Effect.map(plans, (rows) => rows.length === 1))
      const [first] = yield* plans
      assert.deepInclude(first, { version: 1, status: "active", gates_failed: [] })
      assert.includeMembers([...first!.fired], ["R2", "R3"])
      const tasks = yield* tasksOf(first!.id)
      const actions = tasks.map((task) => task.action)
      assert.includeMembers(actions, ["income_execution", "restraining_notice_bank"])
      assert.isTrue(tasks.find((task) => task.action === "income_execution")!.requires_attorney_signoff)
      const [drafts] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM dragonfly.enforcement_drafts WHERE method = 'template' AND status = 'ready'`
      assert.isAbove(drafts!.n, 0)

      // The same facts again: the plan in force already says it all.
      yield* planJob("plan-2")
      yield* eventually(Effect.map(count("SELECT count(*) AS n FROM pgmq.q_enforcement_plan"), (n) => n === 0))
      yield* eventually(Effect.map(sql<{ n: number }>`SELECT count(*)::int AS n FROM workers.job_ledger`, ([row]) => row!.n === 2))
      assert.lengthOf(yield* plans, 1)

      yield* sql`UPDATE dragonfly.judgment_facts SET bankruptcy_status = 'open', bankruptcy_as_of = current_date WHERE judgment_id = 'j-1'`
      yield* planJob("plan-3")
      yield* eventually(Effect.map(plans, (rows) => rows.length === 2))
      const [old, current] = yield* plans
      assert.deepInclude(old, { version: 1, status: "superseded" })
      assert.deepInclude(current, { version: 2, status: "active", gates_failed: ["G3"] })
      assert.include([...current!.fired], "R9")
      assert.includeMembers([...current!.blocked], ["R2", "R3"])
      const after = yield* tasksOf(current!.id)
      assert.includeMembers(after.map((task) => task.action), ["stop_enforcement", "proof_of_claim"])
      assert.notInclude(after.map((task) => task.action), "income_execution")
      const superseded = yield* tasksOf(old!.id)
      assert.isTrue(superseded.every((task) => task.status === "superseded"), JSON.stringify(superseded))
      assert.lengthOf(yield* deadLetters, 0)
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 60_000 })

  it.live("with OPENAI_API_KEY, each document is also drafted by the model on its own job; an outage delays drafts, never the plan", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed
      // One answer that fills the prose slots of every template; then the model goes down.
      const prose = {
        additional_questions: ["State whether you have any other bank accounts and, if so, where."],
        opening_paragraph: "We represent the judgment creditor. Enclosed are papers about the judgment against you.",
        closing_paragraph: "If you have questions, please call our office and quote the index number.",
        narrative: "The planner proposes enforcement against a verified employer and a New York bank. Check the gates before signing."
      }
      const server = yield* openaiServer({ apiKey: OPENAI_KEY, replies: [Reply.json(prose)] })
      const drafting = {
        apiKey: Redacted.make(OPENAI_KEY),
        model: "gpt-4.1-mini",
        baseUrl: server.baseUrl,
        requestTimeout: Duration.seconds(5),
        requestAttempts: 2,
        retryBaseDelay: Duration.millis(20),
        draftAttempts: 2
      }
      yield* Layer.build(serviceWorker("enforcement", { maxAttempts: 2 }, {}, { drafting }))
      yield* planJob("plan-llm")
      yield* eventually(Effect.map(plans, (rows) => rows.length === 1))
      const [templates] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM dragonfly.enforcement_drafts WHERE method = 'template' AND status = 'ready'`
      yield* eventually(
        Effect.map(sql<{ n: number }>`SELECT count(*)::int AS n FROM dragonfly.enforcement_drafts WHERE method = 'llm'`, ([row]) =>
          row!.n === templates!.n),
        "30 seconds"
      )
      const llm = yield* sql<{ status: string; prompt_version: string | null; model: string | null }>`
        SELECT status, prompt_version, model FROM dragonfly.enforcement_drafts WHERE method = 'llm'`
      assert.isTrue(llm.every((draft) => draft.status === "ready" && draft.prompt_version !== null && draft.model !== null), JSON.stringify(llm))
      assert.lengthOf(yield* deadLetters, 0)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM pgmq.q_enforcement_draft"), 0)
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 60_000 })

  it.live("a model that answers garbage gets 'draft failed' records beside the template drafts, and nothing is dead-lettered", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed
      const garbage = yield* openaiServer({ apiKey: OPENAI_KEY, replies: [Reply.text("I would rather not.")] })
      const drafting = (baseUrl: string) => ({
        apiKey: Redacted.make(OPENAI_KEY),
        model: "gpt-4.1-mini",
        baseUrl,
        requestTimeout: Duration.seconds(5),
        requestAttempts: 2,
        retryBaseDelay: Duration.millis(20),
        draftAttempts: 2
      })
      yield* Layer.build(serviceWorker("enforcement", { maxAttempts: 2 }, {}, { drafting: drafting(garbage.baseUrl) }))
      yield* planJob("plan-garbage")
      yield* eventually(Effect.map(plans, (rows) => rows.length === 1))
      const [templates] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM dragonfly.enforcement_drafts WHERE method = 'template' AND status = 'ready'`
      const failed = sql<{ status: string; error: string | null; attempts: number }>`
        SELECT status, error, attempts FROM dragonfly.enforcement_drafts WHERE method = 'llm'`
      yield* eventually(Effect.map(failed, (rows) => rows.length === templates!.n), "30 seconds")
      for (const draft of yield* failed) {
        assert.strictEqual(draft.status, "failed")
        assert.include(draft.error, "draft failed after 2 answers")
      }
      assert.lengthOf(yield* deadLetters, 0)
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 60_000 })

  it.live("an LLM outage is retried on the draft job's schedule and dead-lettered at the limit; the plan is complete anyway", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* seed
      const down = yield* openaiServer({ apiKey: OPENAI_KEY, replies: [Reply.serverError()] })
      yield* Layer.build(serviceWorker("enforcement", { maxAttempts: 2 }, {}, {
        drafting: {
          apiKey: Redacted.make(OPENAI_KEY),
          model: "gpt-4.1-mini",
          baseUrl: down.baseUrl,
          requestTimeout: Duration.seconds(5),
          requestAttempts: 2,
          retryBaseDelay: Duration.millis(20),
          draftAttempts: 2
        }
      }))
      yield* planJob("plan-down")
      yield* eventually(Effect.map(plans, (rows) => rows.length === 1))
      const [jobs] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM workers.job_requests WHERE queue_name = 'enforcement_draft'`
      assert.isAbove(jobs!.n, 0)
      yield* eventually(Effect.map(deadLetters, (letters) => letters.length === jobs!.n), "60 seconds")
      for (const letter of yield* deadLetters) {
        assert.deepInclude(letter, { reason: "max_attempts_exceeded", source_queue: "enforcement_draft" })
        assert.include(JSON.stringify(letter), "drafting unavailable")
      }
      const [llm] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM dragonfly.enforcement_drafts WHERE method = 'llm'`
      assert.strictEqual(llm!.n, 0)
      const [plan] = yield* plans
      assert.strictEqual(plan!.status, "active")
      // Two deliveries of each draft job, each with the drafter's own two tries.
      assert.strictEqual((yield* Ref.get(down.requests)).length, jobs!.n * 2 * 2)
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 90_000 })
})
