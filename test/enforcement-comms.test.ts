import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Ref } from "effect"
import { renderMessage } from "../src/domain/communications/index.js"
import { UploadStore } from "../src/domain/uploads/index.js"
import * as Envelope from "../src/envelope/index.js"
import { Outbox } from "../src/jobs/Outbox.js"
import { JobRequests } from "../src/jobs/JobRequests.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { QueueDirectory } from "../src/queue/QueueDirectory.js"
import { queueName } from "../src/queue/QueueName.js"
import { clockAt, newYorkToday } from "./support/clock.js"
import { smtpServer } from "./support/smtpServer.js"
import { collectorSettings, deadLetters, eventually, ORG, recordedAlerts, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const FROM = "Example Recovery LLP <collections@example.com>"

const recently = (daysAgo: number) => {
  const date = new Date(Date.now() - daysAgo * 86_400_000)
  return `${String(date.getUTCMonth() + 1).padStart(2, "0")}/${String(date.getUTCDate()).padStart(2, "0")}/${date.getUTCFullYear()}`
}

/**
 * Two consumer judgments with an employer and a bank (tier B): one debtor in Albany, one in
 * Brooklyn (New York City: email needs written consent there, which nobody gave).
 */
const simplicityFile = () =>
  [
    "case_number,client_name,debtor_first_name,debtor_last_name,debtor_address_one,debtor_city,debtor_state,debtor_zip,debtor_county,debtor_email,debtor_phone,judgment_date,judgment_amount,current_balance_due,account_type,employer_name,employer_address,bank_name",
    `E2E-1,Example Funding LLC (TEST),Ada,Example,12 Lark St,Albany,NY,12210,Albany,ada@example.com,(518) 555-0142,${recently(200)},"$4,000.00","$4,000.00",N,Acme Widgets Inc,"1 Plaza, Albany, NY 12207",Example Savings Bank`,
    `E2E-2,Example Funding LLC (TEST),Bob,Sample,9 Court St,Brooklyn,NY,11201,Kings,bob@example.net,(718) 555-0150,${recently(200)},"$3,000.00","$3,000.00",N,Sample Corp,"2 Main St, Brooklyn, NY 11201",Example Savings Bank`
  ].join("\r\n") + "\r\n"

const importSimplicity = (csv: string) =>
  Effect.gen(function*() {
    const stored = yield* (yield* UploadStore).put({ content: Buffer.from(csv), contentType: "text/csv" })
    const envelope = Envelope.make({
      org_id: ORG,
      idempotency_key: `simplicity:${stored.sha256}`,
      entity_type: "batch",
      entity_id: stored.sha256.slice(0, 16),
      payload: { file_path: stored.filePath, source: "simplicity" }
    })
    yield* (yield* PgmqQueue).send(queueName("simplicity_import"), Envelope.encode(envelope))
  })

interface OutboxRow {
  readonly judgment_case: string
  readonly kind: string
  readonly status: string
  readonly blocked_rule: string | null
  readonly recipient: string
  readonly not_before: Date | null
}

const outboxRows = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<OutboxRow>`
    SELECT j.case_number AS judgment_case, o.kind, o.status, o.blocked_rule, o.recipient, o.not_before
    FROM dragonfly.outbox o JOIN dragonfly.judgments j ON j.org_id = o.org_id AND j.id = o.judgment_id
    ORDER BY j.case_number, o.created_at`)

const Infrastructure = Layer.mergeAll(PgmqQueue.Default, UploadStore.Default, recordedAlerts).pipe(
  Layer.provideMerge(TestDatabase.layer())
)

const OutboxLive = Outbox.Default.pipe(
  Layer.provide(JobRequests.Default),
  Layer.provide(QueueDirectory.Default)
)

describe("enforcement and comms, end to end", () => {
  it.live("a Simplicity file → ingest → score → plan → the validation notice emailed where allowed, blocked (C3) where not", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const smtp = yield* smtpServer()
      yield* Layer.build(Layer.mergeAll(
        serviceWorker("simplicity"),
        serviceWorker("score"),
        serviceWorker("enforcement"),
        serviceWorker("comms", {}, {}, {
          comms: { email: Option.some({ smtpUrl: Redacted.make(smtp.url()), from: FROM }) }
        }).pipe(Layer.provide(clockAt(newYorkToday(12, 0))))
      ))
      yield* importSimplicity(simplicityFile())
      // The import's facts are unverified (tier D, nothing planned); a skip trace then verifies the
      // employment, the bank and the address, and asks for the scores again, as a fact update does.
      yield* eventually(Effect.map(sql<{ n: number }>`SELECT count(*)::int AS n FROM dragonfly.collectability_scores`, ([row]) => row!.n === 2), "60 seconds")
      assert.lengthOf(yield* outboxRows, 0)
      // Tier D asks for no plan: no planning job was ever sent (it would commit with the scores).
      const [planJobs] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM workers.job_requests WHERE queue_name = 'enforcement_plan'`
      assert.strictEqual(planJobs!.n, 0)
      yield* sql`UPDATE dragonfly.judgment_facts SET employment_type = 'w2', employment_verified_at = current_date - 10,
        bank_state = 'NY', bank_identified_at = current_date - 10, address_verified_at = current_date - 10`
      const [plaintiff] = yield* sql<{ id: string }>`SELECT id FROM dragonfly.plaintiffs`
      yield* (yield* PgmqQueue).send(queueName("score_collectability"), Envelope.encode(Envelope.make({
        org_id: ORG,
        idempotency_key: "skip-trace-1",
        entity_type: "plaintiff",
        entity_id: plaintiff!.id,
        payload: { action: "compute_collectability" }
      })))

      const settled = (rows: ReadonlyArray<OutboxRow>) => rows.length === 2 && rows.every((row) => row.status === "sent" || row.status === "blocked")
      yield* eventually(Effect.map(outboxRows, settled), "90 seconds")
      const [albany, brooklyn] = yield* outboxRows
      assert.deepInclude(albany, { judgment_case: "E2E-1", kind: "validation_notice", status: "sent", recipient: "ada@example.com" })
      assert.deepInclude(brooklyn, { judgment_case: "E2E-2", kind: "validation_notice", status: "blocked", blocked_rule: "C3" })

      const received = yield* Ref.get(smtp.received)
      assert.lengthOf(received, 1)
      assert.deepStrictEqual(received[0]!.rcptTo, ["ada@example.com"])
      assert.include(received[0]!.body, "debt collector")

      const plans = yield* sql<{ case_number: string; tier: string | null; version: number; fired: ReadonlyArray<string>; tasks: number }>`
        SELECT j.case_number, p.tier, p.version,
          ARRAY(SELECT r ->> 'ruleId' FROM jsonb_array_elements(p.rules) r WHERE r ->> 'outcome' = 'fired' ORDER BY 1) AS fired,
          (SELECT count(*)::int FROM dragonfly.enforcement_tasks t WHERE t.plan_id = p.id) AS tasks
        FROM dragonfly.enforcement_plans p JOIN dragonfly.judgments j ON j.org_id = p.org_id AND j.id = p.judgment_id
        WHERE p.status = 'active' ORDER BY j.case_number`
      assert.lengthOf(plans, 2)
      for (const plan of plans) {
        assert.include(["A", "B", "C"], plan.tier)
        assert.includeMembers([...plan.fired], ["R2", "R3"], `an employer and a bank: income execution and restraint (${plan.case_number})`)
        assert.isAbove(plan.tasks, 2)
      }
      const drafts = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM dragonfly.enforcement_drafts WHERE status = 'ready' AND method = 'template'`
      assert.isAbove(drafts[0]!.n, 0)

      const ledger = yield* sql<{ medium: string; kind: string }>`SELECT medium, kind FROM dragonfly.contact_attempts`
      assert.deepStrictEqual(ledger.map((row) => ({ ...row })), [{ medium: "email", kind: "attempt" }])
      const accounts = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM dragonfly.comms_accounts WHERE validation_notice_sent_at IS NOT NULL`
      assert.strictEqual(accounts[0]!.n, 1)

      // A bankruptcy turns the judgment into tier X: scoring plans it again, and the new plan stops everything (R9).
      yield* sql`UPDATE dragonfly.judgment_facts f SET bankruptcy_status = 'open', bankruptcy_as_of = current_date
        FROM dragonfly.judgments j WHERE j.org_id = f.org_id AND j.id = f.judgment_id AND j.case_number = 'E2E-1'`
      yield* (yield* PgmqQueue).send(queueName("score_collectability"), Envelope.encode(Envelope.make({
        org_id: ORG,
        idempotency_key: "bankruptcy-scrub-1",
        entity_type: "plaintiff",
        entity_id: plaintiff!.id,
        payload: { action: "compute_collectability" }
      })))
      const stopped = sql<{ version: number; tier: string | null; fired: ReadonlyArray<string> }>`
        SELECT p.version, p.tier,
          ARRAY(SELECT r ->> 'ruleId' FROM jsonb_array_elements(p.rules) r WHERE r ->> 'outcome' = 'fired' ORDER BY 1) AS fired
        FROM dragonfly.enforcement_plans p JOIN dragonfly.judgments j ON j.org_id = p.org_id AND j.id = p.judgment_id
        WHERE p.status = 'active' AND j.case_number = 'E2E-1'`
      yield* eventually(Effect.map(stopped, ([plan]) => plan?.version === 2), "60 seconds")
      const [afterBankruptcy] = yield* stopped
      assert.strictEqual(afterBankruptcy!.tier, "X")
      assert.include([...afterBankruptcy!.fired], "R9")
      assert.lengthOf(yield* deadLetters, 0)
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 120_000 })

  it.live("a message deferred by the contact hours (C1) is sent when they open, through the queue", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const smtp = yield* smtpServer()
      yield* Layer.build(Layer.mergeAll(serviceWorker("simplicity")))
      yield* importSimplicity(simplicityFile())
      yield* eventually(Effect.map(sql<{ n: number }>`SELECT count(*)::int AS n FROM dragonfly.judgments`, ([row]) => row!.n === 2), "60 seconds")
      const [judgment] = yield* sql<{ id: string }>`SELECT id FROM dragonfly.judgments WHERE case_number = 'E2E-1'`
      const message = renderMessage("initial", {
        channel: "email",
        collector: collectorSettings,
        consumerName: "Ada Example",
        accountNumber: "E2E-1",
        currentCreditor: "Example Funding LLC (TEST)",
        currentAmountCents: 400_000
      })
      const entry = yield* Effect.flatMap(Outbox, (outbox) => outbox.request({
        orgId: ORG,
        judgmentId: judgment!.id,
        channel: "email",
        kind: "initial",
        recipient: "ada@example.com",
        subject: message.subject,
        body: message.body,
        disclosures: message.disclosures,
        requestedBy: "test",
        idempotencyKey: "deferred-1"
      })).pipe(Effect.provide(OutboxLive))
      // Three seconds before 08:00 in New York (the consumer's only zone: Albany, area code 518).
      const opening = newYorkToday(8, 0)
      yield* Layer.build(
        serviceWorker("comms", {}, {}, { comms: { email: Option.some({ smtpUrl: Redacted.make(smtp.url()), from: FROM }) } }).pipe(
          Layer.provide(clockAt(new Date(opening.getTime() - 3_000)))
        )
      )
      const status = sql<{ status: string; not_before: Date | null; deferrals: number; blocked_rule: string | null }>`
        SELECT status, not_before, deferrals, blocked_rule FROM dragonfly.outbox WHERE id = ${entry.outboxId}::uuid`
      yield* eventually(Effect.map(status, ([row]) => row!.status !== "pending"), "30 seconds")
      const [deferred] = yield* status
      assert.strictEqual(deferred!.status, "deferred", `blocked by ${deferred!.blocked_rule}`)
      assert.strictEqual(deferred!.not_before?.getTime(), opening.getTime())
      assert.lengthOf(yield* Ref.get(smtp.received), 0)
      yield* eventually(Effect.map(status, ([row]) => row!.status === "sent"), "30 seconds")
      assert.lengthOf(yield* Ref.get(smtp.received), 1)
      assert.strictEqual((yield* status)[0]!.deferrals, 1)
    }).pipe(Effect.provide(Infrastructure), Effect.scoped), { timeout: 120_000 })
})
