import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import { randomUUID } from "node:crypto"
import { mkdirSync, mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Page } from "playwright-core"
import { queueName } from "../src/queue/QueueName.js"
import * as ApiTest from "./support/api.js"
import { API_KEY, authorized, baseUrl, raw } from "./support/api.js"
import { browser, hasChromium, newPage, openView, shownNumber, texts, viewLoaded } from "./support/browser.js"
import { projectRoot } from "./support/processes.js"
import { eventually, ORG, recordedAlerts, send, serviceWorker } from "./support/runtime.js"

/**
 * Screenshots for the README: `npm run screenshots` writes them to docs/images/; a plain test run
 * writes them to a temporary directory, so that running the suite leaves the work tree alone.
 */
const screenshots = process.env["UPDATE_SCREENSHOTS"] === "1"
  ? join(projectRoot, "docs", "images")
  : mkdtempSync(join(tmpdir(), "dragonfly-dashboard-"))
mkdirSync(screenshots, { recursive: true })

const screenshot = (page: Page, name: string) =>
  Effect.promise(async () => {
    const path = join(screenshots, `dashboard-${name}.png`)
    await page.screenshot({ path, fullPage: true })
    assert.isAbove(statSync(path).size, 10_000, `${name} screenshot is empty`)
  })

const CSV = [
  "plaintiff_name,case_number,debtor_first_name,debtor_last_name,judgment_date,judgment_amount,current_balance_due",
  "Example Funding LLC (TEST),D-1,Ada,Lovelace,01/02/2020,1200,1100",
  "Example Funding LLC (TEST),D-2,Grace,,01/02/2020,800,800",
  "Example Funding LLC (TEST),D-3,Alan,Turing,13/45/2020,500,500",
  "Example Funding LLC (TEST),D-4,Edsger,Dijkstra,01/02/2020,950,900",
  "Example Funding LLC (TEST),D-5,Barbara,Liskov,03/04/2021,2500,2400"
].join("\n")

/** An envelope the worker refuses (its org_id is no UUID): dead-lettered at once as invalid_envelope. */
const invalidEnvelope = (n: number) => ({
  job_id: randomUUID(),
  org_id: `org-${n}`,
  idempotency_key: `bad-${n}`,
  entity_type: "judgment",
  entity_id: `j-${n}`,
  payload: {}
})

/** Polls until `check` says done, or dies saying what it saw last. */
const until = <E, R>(what: string, check: Effect.Effect<{ readonly done: boolean; readonly seen: unknown }, E, R>) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 60_000
    for (;;) {
      const { done, seen } = yield* check
      if (done) return
      if (Date.now() > deadline) return yield* Effect.dieMessage(`${what} within 60 s; last seen: ${JSON.stringify(seen)}`)
      yield* Effect.sleep("200 millis")
    }
  })

const signIn = (page: Page, key = API_KEY) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.promise(async () => {
      await page.goto(`${url}/dashboard`)
      await page.fill('input[name="api-key"]', key)
      await page.click('form.login button[type="submit"]')
    }))

/** The queue a worker consumed until its scope closed: its dead letters stay, nothing takes them back. */
const deadLettersFrom = (service: string, queue: string, messages: ReadonlyArray<unknown>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const scope = yield* Scope.make()
    yield* Layer.buildWithScope(serviceWorker(service), scope)
    yield* Effect.forEach(messages, (message) => send(message, queueName(queue)))
    yield* eventually(
      Effect.map(
        sql<{ readonly n: number }>`
          SELECT count(*)::int AS n FROM pgmq.q_dead_letter WHERE message->>'source_queue' = ${queue}`,
        (rows) => rows[0]!.n === messages.length
      ),
      "60 seconds"
    )
    yield* Scope.close(scope, Exit.void)
  })

describe("dashboard", () => {
  it.live("the page is served with its assets, a content security policy, and no data without the key", () =>
    Effect.gen(function*() {
      const page = yield* raw("/dashboard")
      assert.strictEqual(page.status, 200)
      assert.include(page.headers.get("content-type")!, "text/html")
      assert.include(page.headers.get("content-security-policy")!, "script-src 'self'")
      const script = /src="(\/dashboard\/assets\/app\.js\?v=[0-9a-f]+)"/.exec(page.text)![1]!
      const asset = yield* raw(script)
      assert.strictEqual(asset.status, 200)
      assert.include(asset.headers.get("content-type")!, "javascript")
      const again = yield* raw(script, { headers: { "if-none-match": asset.headers.get("etag")! } })
      assert.strictEqual(again.status, 304)
      const data = yield* raw("/v1/dead-letters/groups")
      assert.strictEqual(data.status, 401)
    }).pipe(Effect.scoped, Effect.provide(ApiTest.layer())))
})

describe.skipIf(!hasChromium)("dashboard in Chromium", () => {
  it.live("asks for the key once per tab, keeps it out of every URL, and refuses a wrong one", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      const chromium = yield* browser
      const { page, problems, urls } = yield* newPage(chromium)

      yield* signIn(page, "not-the-key-0123456789")
      yield* Effect.promise(() => page.waitForSelector("text=That key was refused."))
      yield* signIn(page)
      yield* viewLoaded(page, "queues")
      assert.strictEqual(yield* Effect.promise(() => page.evaluate("sessionStorage.getItem('dragonfly.apiKey')")), API_KEY)

      // Another tab of the same browser has no key: session storage is per tab.
      const other = yield* Effect.promise(() => page.context().newPage())
      yield* Effect.promise(() => other.goto(`${url}/dashboard`))
      yield* Effect.promise(() => other.waitForSelector('input[name="api-key"]'))
      // A reload of this tab keeps it.
      yield* Effect.promise(() => page.reload())
      yield* viewLoaded(page, "queues")
      yield* Effect.promise(() => page.click('a[data-view="workers"]'))
      yield* viewLoaded(page, "workers")

      yield* Effect.promise(() => page.click("text=Sign out"))
      yield* Effect.promise(() => page.waitForSelector('input[name="api-key"]'))
      assert.isNull(yield* Effect.promise(() => page.evaluate("sessionStorage.getItem('dragonfly.apiKey')")))

      assert.isAbove(urls.length, 5)
      for (const requested of urls) assert.notInclude(requested, API_KEY)
      assert.deepStrictEqual(problems.filter((p) => !p.includes("401")), [])
    }).pipe(Effect.scoped, Effect.provide(ApiTest.layer())), 120_000)

  it.live("shows queues, workers, dead letters and import batches as the database has them", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* Layer.build(serviceWorker("ingest"))
      // A few hours of history before the test began, beside the sample the API takes at start.
      yield* sql`
        INSERT INTO workers.queue_samples (queue_name, sampled_at, depth, visible, oldest_msg_age_sec, total_messages)
        SELECT 'score_collectability', now() - make_interval(mins => m), (180 - m) / 3, (180 - m) / 4, m * 5, 1000 - m * 4
        FROM generate_series(10, 180, 10) AS m`

      const uploaded = yield* raw(`/v1/uploads?enqueue=ingest&org_id=${ORG}`, {
        method: "POST",
        headers: authorized({ "content-type": "text/csv" }),
        body: CSV
      })
      assert.strictEqual(uploaded.status, 201)
      const batchId: string = uploaded.json.job.job_id
      yield* Effect.forEach([1, 2, 3], (n) => send(invalidEnvelope(n), queueName("ingest_raw")))
      yield* until(
        "the batch imported and three dead letters",
        Effect.map(
          sql<{ readonly status: string | null; readonly dead: number; readonly left: number }>`
            SELECT (SELECT status FROM dragonfly.import_batches WHERE id = ${batchId}::uuid) AS status,
                   (SELECT count(*)::int FROM pgmq.q_dead_letter) AS dead,
                   (SELECT count(*)::int FROM pgmq.q_ingest_raw) AS left`,
          ([row]) => ({ done: row!.status === "completed" && row!.dead === 3 && row!.left === 0, seen: row })
        )
      )

      const chromium = yield* browser
      const { page, problems } = yield* newPage(chromium)
      yield* signIn(page)
      yield* viewLoaded(page, "queues")

      // Queues: every queue's depth and visible count as workers.v_queue_metrics has them.
      const metrics = yield* sql<{ readonly queue_name: string; readonly depth: number; readonly visible: number }>`
        SELECT queue_name, depth::int, visible::int FROM workers.v_queue_metrics ORDER BY queue_name`
      const shownQueues = yield* texts(page, '[data-view="queues"] tr[data-queue] [data-field="queue"]')
      assert.deepStrictEqual(shownQueues, metrics.map((m) => m.queue_name))
      for (const m of metrics) {
        const row = `[data-view="queues"] tr[data-queue="${m.queue_name}"]`
        const [depth] = yield* texts(page, `${row} [data-field="depth"]`)
        const [visible] = yield* texts(page, `${row} [data-field="visible"]`)
        assert.deepStrictEqual([m.queue_name, shownNumber(depth!), shownNumber(visible!)], [m.queue_name, m.depth, m.visible])
      }
      const [deadLetters] = yield* texts(page, '[data-view="queues"] tr[data-queue="ingest_raw"] [data-field="dead_letters"]')
      assert.strictEqual(shownNumber(deadLetters!), 3)
      // Both charts drawn, with a line per queue in the depth chart's legend.
      const legend = yield* texts(page, '[data-chart="depth"] .u-legend .u-series .u-label')
      for (const m of metrics) assert.include(legend, m.queue_name)
      assert.strictEqual(yield* Effect.promise(() => page.locator("[data-chart] canvas").count()), 2)
      yield* screenshot(page, "queues")

      // Workers: the ingest worker's counts as its last heartbeat wrote them.
      yield* until(
        "the ingest worker shown as its heartbeat has it",
        Effect.gen(function*() {
          yield* openView(page, "workers")
          const [worker] = yield* sql<{ readonly worker_id: string; readonly jobs_processed: number; readonly jobs_dead_lettered: number }>`
            SELECT worker_id, jobs_processed::int, jobs_dead_lettered::int FROM workers.v_worker_health WHERE service = 'ingest'`
          const row = `[data-view="workers"] tr[data-worker="${worker!.worker_id}"]`
          const shown = yield* Effect.all([
            texts(page, `${row} [data-field="health"] .badge`),
            texts(page, `${row} [data-field="processed"]`),
            texts(page, `${row} [data-field="dead_lettered"]`)
          ])
          return {
            done: shown[0][0] === "healthy" && shownNumber(shown[1][0]!) === worker!.jobs_processed &&
              shownNumber(shown[2][0]!) === worker!.jobs_dead_lettered && worker!.jobs_dead_lettered === 3,
            seen: { shown, worker }
          }
        })
      )
      yield* screenshot(page, "workers")

      // Dead letters: one group of three, and its messages.
      yield* openView(page, "dead-letters")
      const groups = yield* sql<{ readonly source_queue: string; readonly signature: string; readonly dead_letters: number }>`
        SELECT source_queue, signature, dead_letters::int FROM workers.v_dead_letter_groups`
      assert.deepStrictEqual(groups.map((g) => [g.source_queue, g.dead_letters]), [["ingest_raw", 3]])
      assert.deepStrictEqual(yield* texts(page, '[data-view="dead-letters"] tr[data-group] [data-field="signature"]'), [
        groups[0]!.signature
      ])
      assert.deepStrictEqual(yield* texts(page, '[data-view="dead-letters"] tr[data-group] [data-field="count"]'), ["3"])
      yield* Effect.promise(() => page.click('[data-action="toggle-messages"]'))
      yield* Effect.promise(() => page.waitForSelector("li[data-dead-letter]"))
      const ids = yield* sql<{ readonly msg_id: string }>`SELECT msg_id::text FROM pgmq.q_dead_letter ORDER BY msg_id DESC`
      const shownIds = yield* Effect.promise(() =>
        page.locator("li[data-dead-letter]").evaluateAll((items) => items.map((item) => item.getAttribute("data-dead-letter")))
      )
      assert.deepStrictEqual(shownIds, ids.map((row) => row.msg_id))
      yield* screenshot(page, "dead-letters")

      // Imports: the batch's counts, and its quarantined rows with their reasons.
      yield* openView(page, "imports")
      const [batch] = yield* sql<{ readonly inserted: number; readonly quarantined: number; readonly rows_committed: number }>`
        SELECT inserted::int, quarantined::int, rows_committed::int FROM dragonfly.import_batches WHERE id = ${batchId}::uuid`
      const row = `[data-view="imports"] tr[data-batch="${batchId}"]`
      assert.deepStrictEqual(yield* texts(page, `${row} [data-field="status"]`), ["completed"])
      assert.strictEqual(shownNumber((yield* texts(page, `${row} [data-field="inserted"]`))[0]!), batch!.inserted)
      assert.strictEqual(shownNumber((yield* texts(page, `${row} [data-field="quarantined"]`))[0]!), batch!.quarantined)
      assert.deepStrictEqual(yield* texts(page, `${row} [data-field="progress"] .sub`), [`${batch!.rows_committed} / 5`])
      yield* Effect.promise(() => page.click(row))
      yield* Effect.promise(() => page.waitForSelector("tr[data-row]"))
      const quarantined = yield* sql<{ readonly row_number: number }>`
        SELECT row_number FROM dragonfly.import_quarantine WHERE batch_id = ${batchId}::uuid ORDER BY row_number`
      const shownRows = yield* texts(page, 'tr[data-row] [data-field="row"]')
      assert.deepStrictEqual(shownRows.map(Number), quarantined.map((q) => q.row_number))
      assert.include((yield* texts(page, 'tr[data-row="2"] [data-field="reasons"]'))[0]!, "debtor_last_name")
      yield* screenshot(page, "imports")

      assert.deepStrictEqual(problems, [])
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ApiTest.layer(), recordedAlerts))), 180_000)

  it.live("replays a dead-letter group through the page: a dry run, a confirmation, the audit trail", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* deadLettersFrom("score", "score_collectability", [1, 2, 3, 4].map(invalidEnvelope))
      yield* deadLettersFrom("ingest", "ingest_raw", [invalidEnvelope(9)])

      const chromium = yield* browser
      const { page, problems } = yield* newPage(chromium)
      yield* signIn(page)
      yield* viewLoaded(page, "queues")
      yield* openView(page, "dead-letters")
      const group = '[data-view="dead-letters"] tr[data-group*="score_collectability"]'
      assert.deepStrictEqual(yield* texts(page, `${group} [data-field="count"]`), ["4"])

      yield* Effect.promise(() => page.click(`${group} [data-action="replay-group"]`))
      yield* Effect.promise(() => page.waitForSelector("dialog[open] [data-dry-run]"))
      const dryRun = yield* Effect.promise(() => page.getAttribute("dialog[open] [data-dry-run]", "data-dry-run"))
      assert.strictEqual(dryRun, "4")
      // Nothing moves until it is confirmed.
      assert.strictEqual((yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM workers.dead_letter_replays`)[0]!.n, 0)
      // Who and why are required.
      yield* Effect.promise(() => page.click('dialog[open] [data-action="confirm-replay"]'))
      assert.strictEqual((yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM workers.dead_letter_replays`)[0]!.n, 0)
      yield* Effect.promise(() => page.fill('dialog[open] input[name="replayed_by"]', "ops@dragonfly.law"))
      yield* Effect.promise(() => page.fill('dialog[open] input[name="reason"]', "score payload fixed"))
      yield* screenshot(page, "replay")
      yield* Effect.promise(() => page.click('dialog[open] [data-action="confirm-replay"]'))
      yield* Effect.promise(() => page.waitForSelector('dialog[open] .status[data-outcome="replayed"]'))
      assert.deepStrictEqual(yield* texts(page, "dialog[open] .status"), ["Replayed 4 of 4."])
      yield* Effect.promise(() => page.click('dialog[open] [data-action="confirm-replay"]'))
      yield* Effect.promise(() => page.waitForSelector("dialog", { state: "detached" }))

      // The database: four replays recorded with who and why, the originals back on their queue.
      const replays = yield* sql<{ readonly replayed_by: string; readonly reason: string; readonly source_queue: string }>`
        SELECT replayed_by, reason, source_queue FROM workers.dead_letter_replays`
      assert.deepStrictEqual(
        replays.map((r) => [r.replayed_by, r.reason, r.source_queue]),
        Array(4).fill(["ops@dragonfly.law", "score payload fixed", "score_collectability"])
      )
      assert.strictEqual((yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pgmq.q_score_collectability`)[0]!.n, 4)
      // The page, refreshed by the replay: the group gone, the other left, four rows in the audit trail.
      yield* Effect.promise(() => page.waitForSelector(group, { state: "detached" }))
      assert.deepStrictEqual(yield* texts(page, '[data-view="dead-letters"] tr[data-group] [data-field="source_queue"]'), ["ingest_raw"])
      const trail = yield* texts(page, 'tr[data-replay] [data-field="replayed_by"]')
      assert.deepStrictEqual(trail, Array(4).fill("ops@dragonfly.law"))
      yield* screenshot(page, "replays")

      // One dead letter on its own: the page says what it will do before it does it.
      yield* Effect.promise(() => page.click('[data-action="toggle-messages"]'))
      yield* Effect.promise(() => page.click('li[data-dead-letter] [data-action="replay-one"]'))
      yield* Effect.promise(() => page.fill('dialog[open] input[name="reason"]', "retry once"))
      yield* Effect.promise(() => page.click('dialog[open] [data-action="confirm-replay"]'))
      yield* Effect.promise(() => page.waitForSelector('dialog[open] .status[data-outcome="replayed"]'))
      assert.strictEqual((yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pgmq.q_dead_letter`)[0]!.n, 0)
      assert.deepStrictEqual(problems, [])
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ApiTest.layer(), recordedAlerts))), 180_000)
})
