import { SqlClient } from "@effect/sql"
import { assert, describe, inject, it } from "@effect/vitest"
import { Effect, Redacted, Ref } from "effect"
import { environmentFor, heartbeat, sendScoreJobs, withCliFixture } from "./support/cli.js"
import { adminQuery } from "./support/admin.js"
import { deadLetter } from "./support/deadLetters.js"
import { closedPort } from "./support/net.js"
import { runNode, startNode } from "./support/processes.js"
import { ORG } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"
import { webhookServer, webhookServerAnswering } from "./support/webhook.js"

describe("dragonfly queue inspect", () => {
  it.live("the table and --json show depth, dead letters, consumers and worker health", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        yield* sendScoreJobs(3)
        yield* deadLetter()
        yield* heartbeat("score-a")
        yield* heartbeat("score-b", { secondsAgo: 900 })
        const sql = yield* SqlClient.SqlClient
        yield* sql`
          INSERT INTO dragonfly.import_batches (id, org_id, source, layout, file_path, expected_row_count, rows_committed,
            quarantined, queue_name)
          VALUES ('00000000-0000-4000-8000-0000000000b1', ${ORG}, 'simplicity', 'simplicity', 'exports/big.csv', 1000, 150, 3,
            'simplicity_import')`
        const [human, json, wrongProject] = yield* Effect.all([
          dragonfly(["queue", "inspect", "--env", "dev"]),
          dragonfly(["queue", "inspect", "--json"]),
          dragonfly(["queue", "inspect", "--env", "prod"])
        ], { concurrency: 3 })
        assert.strictEqual(wrongProject.code, 1)
        assert.strictEqual(
          wrongProject.stderr.trim(),
          "error: --env prod, but SUPABASE_MODE is 'dev': refusing to act on the dev project"
        )
        assert.strictEqual(wrongProject.stdout, "")
        assert.strictEqual(human.code, 0, human.stderr)
        assert.match(human.stdout, /^queue +depth +visible +oldest +newest +dead letters +consumers +flags$/m)
        assert.match(human.stdout, /^score_collectability +3 +3 +\d+s +\d+s +0 +1/m)
        assert.match(human.stdout, /^dead_letter +1 +1 /m)
        assert.include(human.stdout, "workers: 1 healthy, 0 draining, 1 stale, 0 gone, 0 stopped")
        assert.match(
          human.stdout,
          /^imports running:\nbatch +queue +file +progress +quarantined +running for\n00000000-0000-4000-8000-0000000000b1 +simplicity_import +exports\/big\.csv +150\/1,000 rows \(15%\) +3 +\d+s$/m
        )

        assert.strictEqual(json.code, 0, json.stderr)
        const parsed = JSON.parse(json.stdout)
        const score = parsed.queues.find((q: { queue_name: string }) => q.queue_name === "score_collectability")
        assert.include(score, { depth: 3, live_consumers: 1, scale_out: false })
        assert.sameMembers(parsed.workers.map((w: { worker_id: string; health: string }) => `${w.worker_id}:${w.health}`), [
          "score-a:healthy",
          "score-b:stale"
        ])
        assert.deepStrictEqual(
          parsed.imports.map((b: { batch_id: string; rows_committed: number }) => [b.batch_id, b.rows_committed]),
          [["00000000-0000-4000-8000-0000000000b1", 150]]
        )
      })), 30_000)
  it.scopedLive("--watch --json prints one object per refresh until Ctrl-C", () =>
    withCliFixture(({ env }) =>
      Effect.gen(function*() {
        const inspect = yield* startNode(["bin/dragonfly.js", "queue", "inspect", "--watch", "--json", "--interval", "1"], env)
        yield* inspect.waitFor(/^\{.*\n\{.*\n/m)
        yield* sendScoreJobs(4)
        yield* inspect.waitFor(/"queue_name":"score_collectability","depth":4/)
        inspect.child.kill("SIGINT")
        const finished = yield* inspect.finished
        assert.strictEqual(finished.code, 0, finished.stderr)
        const snapshots = finished.stdout.trim().split("\n").map((line) => JSON.parse(line))
        assert.isAtLeast(snapshots.length, 3)
      })), 30_000)
})

describe("dragonfly monitor workers", () => {
  it.scopedLive("exit 0 when every heartbeat is fresh; 1 naming the stale ones, posted to Discord with --alert", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        const webhook = yield* webhookServer
        yield* heartbeat("score-fresh")
        yield* heartbeat("score-gone", { status: "stopped", secondsAgo: 3600 })
        const healthy = yield* dragonfly(["monitor", "workers", "--alert"], { DISCORD_WEBHOOK_URL: webhook.url })
        assert.strictEqual(healthy.code, 0, healthy.stderr)
        assert.include(healthy.stdout, "no stale workers (threshold 5 min)")
        assert.match(healthy.stdout, /^score-fresh +score +score_collectability +healthy +running/m)
        assert.lengthOf(yield* Ref.get(webhook.posts), 0)

        yield* heartbeat("score-silent", { secondsAgo: 600 })
        const [stale, lenient, unconfigured] = yield* Effect.all([
          dragonfly(["monitor", "workers", "--alert"], { DISCORD_WEBHOOK_URL: webhook.url }),
          dragonfly(["monitor", "workers", "--stale-minutes", "15"]),
          dragonfly(["monitor", "workers", "--alert"])
        ], { concurrency: 3 })
        assert.strictEqual(stale.code, 1)
        assert.include(stale.stdout, "1 stale worker: no heartbeat for more than 5 min: score-silent")
        assert.include(stale.stdout, "alerted Discord: 1 stale worker")
        assert.strictEqual(stale.stderr.trim(), "error: 1 stale worker")
        const posts = yield* Ref.get(webhook.posts)
        assert.lengthOf(posts, 1)
        assert.strictEqual(posts[0]!.body.embeds?.[0]?.title, "1 stale worker: no heartbeat")
        assert.notInclude(stale.stdout + stale.stderr, "secret-token")

        // a longer threshold: nobody is stale
        assert.strictEqual(lenient.code, 0, lenient.stderr)

        assert.strictEqual(unconfigured.code, 1)
        assert.include(unconfigured.stderr, "DISCORD_WEBHOOK_URL")
      })), 30_000)

  it.live("the health column and the stale summary judge with the same threshold; a gone worker does not fail the check", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        // Silent for 2 minutes: stale by the view's three intervals of 30 s, not by the 5-minute threshold.
        yield* heartbeat("score-quiet", { secondsAgo: 120, startedSecondsAgo: 1800 })
        // Silent since before score-quiet started, for less than the hour after which any silence is gone.
        yield* heartbeat("score-long-gone", { secondsAgo: 2400 })
        const [lenient, strict] = yield* Effect.all([
          dragonfly(["monitor", "workers"]),
          dragonfly(["monitor", "workers", "--stale-minutes", "1"])
        ], { concurrency: 2 })
        assert.strictEqual(lenient.code, 0, lenient.stdout + lenient.stderr)
        assert.match(lenient.stdout, /^score-quiet +score +score_collectability +healthy +running +2m ago/m)
        assert.include(lenient.stdout, "no stale workers (threshold 5 min)")
        assert.match(lenient.stdout, /^score-long-gone +score +score_collectability +gone +running +40m ago/m)
        assert.include(
          lenient.stdout,
          "1 worker gone, not alerting: score-long-gone (replaced by a newer score worker on score_collectability); remove with: node bin/dragonfly.js workers prune"
        )
        assert.strictEqual(strict.code, 1)
        assert.match(strict.stdout, /^score-quiet +score +score_collectability +STALE +running/m)
        assert.include(strict.stdout, "1 stale worker: no heartbeat for more than 1 min: score-quiet")

        const doctor = yield* dragonfly(["doctor"])
        assert.match(
          doctor.stdout,
          /^✓ heartbeats +no stale workers \(no heartbeat for 5 min\); 1 gone \(node bin\/dragonfly\.js workers prune removes them\)$/m
        )
      })), 30_000)

  it.scopedLive("a gone worker is posted once across runs; a post Discord refused is tried again by the next run", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        const [refusing, accepting] = yield* Effect.all([webhookServerAnswering(400), webhookServer])
        yield* heartbeat("score-fresh")
        yield* heartbeat("score-long-gone", { secondsAgo: 7200 })
        const titles = (server: typeof accepting) =>
          Effect.map(Ref.get(server.posts), (posts) => posts.flatMap((post) => post.body.embeds ?? []).map((embed) => embed.title))

        const refused = yield* dragonfly(["monitor", "workers", "--alert"], { DISCORD_WEBHOOK_URL: refusing.url })
        assert.strictEqual(refused.code, 1)
        assert.deepStrictEqual(yield* titles(refusing), ["1 worker gone: no longer alerted about"])
        const runs = yield* Effect.forEach([1, 2], () =>
          dragonfly(["monitor", "workers", "--alert"], { DISCORD_WEBHOOK_URL: accepting.url }))
        for (const run of runs) assert.strictEqual(run.code, 0, run.stdout + run.stderr)
        assert.include(runs[0]!.stdout, "alerted Discord: 1 worker gone")
        assert.notInclude(runs[1]!.stdout, "alerted Discord")
        assert.deepStrictEqual(yield* titles(accepting), ["1 worker gone: no longer alerted about"])
        assert.include(JSON.stringify(yield* Ref.get(accepting.posts)), "no heartbeat for over 60 min")
      })), 30_000)

  it.live("workers prune removes stopped and gone rows older than --older-than; --dry-run only lists them", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* heartbeat("score-fresh")
        yield* heartbeat("score-stuck", { secondsAgo: 1200 })
        yield* heartbeat("score-stopped-old", { status: "stopped", secondsAgo: 3 * 86_400 })
        yield* heartbeat("score-stopped-new", { status: "stopped", secondsAgo: 600 })
        yield* heartbeat("score-gone-old", { secondsAgo: 2 * 86_400 })
        const ids = sql<{ worker_id: string }>`SELECT worker_id FROM workers.heartbeats ORDER BY worker_id`.pipe(
          Effect.map((rows) => rows.map((row) => row.worker_id))
        )

        const dry = yield* dragonfly(["workers", "prune", "--older-than", "1d", "--dry-run"])
        assert.strictEqual(dry.code, 0, dry.stderr)
        assert.match(dry.stdout, /^score-gone-old +score +gone +2d ago$/m)
        assert.match(dry.stdout, /^score-stopped-old +score +stopped +3d ago$/m)
        assert.include(dry.stdout, "would remove 2 heartbeat rows (dry run)")
        assert.lengthOf(yield* ids, 5)

        const pruned = yield* dragonfly(["workers", "prune", "--older-than", "1d"])
        assert.strictEqual(pruned.code, 0, pruned.stderr)
        assert.include(pruned.stdout, "removed 2 heartbeat rows")
        assert.deepStrictEqual(yield* ids, ["score-fresh", "score-stopped-new", "score-stuck"])

        const [nothing, bad] = yield* Effect.all([
          dragonfly(["workers", "prune"]),
          dragonfly(["workers", "prune", "--older-than", "5 weeks"])
        ], { concurrency: 2 })
        assert.strictEqual(nothing.code, 0, nothing.stderr)
        assert.include(nothing.stdout, "no stopped or gone worker is that old: nothing to remove")
        assert.notStrictEqual(bad.code, 0)
        assert.include(bad.stdout + bad.stderr, "--older-than '5 weeks': expected minutes, hours or days, such as 30m, 12h, 7d")
        assert.lengthOf(yield* ids, 3)
      })), 30_000)

  it.scopedLive("--watch --alert posts each stale worker once, and a newly stale one on its own", () =>
    withCliFixture(({ env }) =>
      Effect.gen(function*() {
        const webhook = yield* webhookServer
        yield* heartbeat("score-silent", { secondsAgo: 600 })
        const monitor = yield* startNode(
          ["bin/dragonfly.js", "monitor", "workers", "--watch", "--alert", "--interval", "1"],
          { ...env, DISCORD_WEBHOOK_URL: webhook.url }
        )
        yield* monitor.waitFor(/(?:— .*\n[\s\S]*){3}/)
        yield* heartbeat("score-late", { secondsAgo: 700 })
        yield* monitor.waitFor(/score-late[\s\S]*— [\s\S]*— /)
        monitor.child.kill("SIGINT")
        const finished = yield* monitor.finished
        assert.strictEqual(finished.code, 0, finished.stderr)
        const posts = yield* Ref.get(webhook.posts)
        assert.deepStrictEqual(posts.map((post) => post.body.embeds?.[0]?.title), [
          "1 stale worker: no heartbeat",
          "1 stale worker: no heartbeat"
        ])
        assert.include(JSON.stringify(posts[0]!.body), "score-silent")
        assert.include(JSON.stringify(posts[1]!.body), "score-late")
        assert.notInclude(JSON.stringify(posts[1]!.body), "score-silent")
      })), 30_000)
  it.scopedLive("--watch --alert: heartbeats that cannot be read are posted once, and the watch goes on", () =>
    withCliFixture(({ env }) =>
      Effect.gen(function*() {
        const webhook = yield* webhookServer
        yield* heartbeat("score-fresh")
        const monitor = yield* startNode(
          ["bin/dragonfly.js", "monitor", "workers", "--watch", "--alert", "--interval", "1"],
          { ...env, DISCORD_WEBHOOK_URL: webhook.url }
        )
        yield* monitor.waitFor(/no stale workers/)
        const database = new URL(env["SUPABASE_DB_URL"]!).pathname.slice(1)
        yield* Effect.promise(() => adminQuery(inject("adminDatabaseUrl"), `DROP DATABASE "${database}" WITH (FORCE)`))
        yield* monitor.waitFor(/(?:error: check failed: [^\n]*\n[\s\S]*){3}/)
        monitor.child.kill("SIGINT")
        const finished = yield* monitor.finished
        assert.strictEqual(finished.code, 0, finished.stderr)
        assert.include(finished.stdout, "alerted Discord: the heartbeats cannot be read")
        const posts = yield* Ref.get(webhook.posts)
        assert.deepStrictEqual(posts.map((post) => post.body.embeds?.[0]?.title), ["Worker monitor cannot read the heartbeats"])
        assert.include(JSON.stringify(posts[0]!.body), `database \\"${database}\\" does not exist`)
        assert.notInclude(finished.stdout + finished.stderr + JSON.stringify(posts), new URL(env["SUPABASE_DB_URL"]!).password)
      })), 30_000)
})

describe("dragonfly discord test", () => {
  it.scopedLive("posts a test alert; a rejected or missing webhook is a clear error that does not show the token", () =>
    Effect.gen(function*() {
      const accepting = yield* webhookServer
      const rejecting = yield* webhookServerAnswering(404)
      const [sent, rejected, missing] = yield* Effect.all([
        runNode(["bin/dragonfly.js", "discord", "test", "--message", "hello ops"], { DISCORD_WEBHOOK_URL: accepting.url }),
        runNode(["bin/dragonfly.js", "discord", "test"], { DISCORD_WEBHOOK_URL: rejecting.url }),
        runNode(["bin/dragonfly.js", "discord", "test"])
      ], { concurrency: 3 })
      assert.strictEqual(sent.code, 0, sent.stderr)
      assert.include(sent.stdout, "sent a test alert to Discord")
      const posts = yield* Ref.get(accepting.posts)
      assert.lengthOf(posts, 1)
      assert.strictEqual(posts[0]!.body.embeds?.[0]?.title, "Dragonfly test alert")
      assert.include(JSON.stringify(posts[0]!.body), "hello ops")

      assert.strictEqual(rejected.code, 1)
      assert.match(rejected.stderr, /^error: .*404/m)
      assert.lengthOf(yield* Ref.get(rejecting.posts), 1)
      assert.notInclude(rejected.stdout + rejected.stderr, "secret-token")

      assert.strictEqual(missing.code, 1)
      assert.include(missing.stderr, "error: Discord is not configured: set DISCORD_WEBHOOK_URL")
    }), 30_000)
})

describe("dragonfly doctor", () => {
  it.scopedLive("passes on a healthy database (warnings only), and names each failed check with what to do", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        const webhook = yield* webhookServer
        const [healthy, withDiscord] = yield* Effect.all([
          dragonfly(["doctor"]),
          dragonfly(["doctor", "--discord"], { DISCORD_WEBHOOK_URL: webhook.url })
        ], { concurrency: 2 })
        assert.strictEqual(withDiscord.code, 0, withDiscord.stdout + withDiscord.stderr)
        assert.match(withDiscord.stdout, /^✓ discord +test alert accepted$/m)
        assert.lengthOf(yield* Ref.get(webhook.posts), 1)
        assert.strictEqual(healthy.code, 0, healthy.stdout + healthy.stderr)
        for (const check of ["configuration", "database", "pgmq", "migrations", "queues", "heartbeats", "backlog", "dead letters"]) {
          assert.match(healthy.stdout, new RegExp(`^✓ ${check} `, "m"))
        }
        assert.match(healthy.stdout, /^! discord +DISCORD_WEBHOOK_URL is not set/m)
        assert.include(healthy.stdout, "all checks passed (with warnings)")

        yield* sendScoreJobs(2)
        yield* heartbeat("score-silent", { secondsAgo: 600 })
        yield* deadLetter({ reason: "invalid_envelope", dead_lettered_at: new Date().toISOString() })
        const sick = yield* dragonfly(["doctor"])
        assert.strictEqual(sick.code, 1)
        assert.match(sick.stdout, /^✗ heartbeats +stale: score-silent \(score\)/m)
        assert.match(sick.stdout, /^✗ worker score +none live, and score_collectability holds 2\n +→ start or restart the score service/m)
        assert.match(sick.stdout, /^! dead letters +1 pending; 1 invalid envelope in the last 24 h/m)
        assert.strictEqual(sick.stderr.trim(), "error: 2 checks failed")
      })), 30_000)

  it.live("an empty database: pgmq and migrations fail; an unreachable one: the database check fails", () =>
    Effect.scoped(Effect.gen(function*() {
      const empty = yield* TestDatabase.freshDatabase({ migrated: false })
      const port = yield* closedPort
      const [unmigrated, unreachable] = yield* Effect.all([
        runNode(["bin/dragonfly.js", "doctor"], environmentFor(empty)),
        runNode(["bin/dragonfly.js", "doctor"], environmentFor(Redacted.make(`postgresql://postgres:pw-hidden@127.0.0.1:${port}/x`)))
      ], { concurrency: 2 })
      assert.strictEqual(unmigrated.code, 1)
      assert.match(unmigrated.stdout, /^✗ pgmq +pgmq is not installed \(run the migrations\)\n +→ node bin\/dragonfly\.js db migrate/m)
      assert.match(unmigrated.stdout, /^✗ migrations +no migrations applied/m)
      assert.strictEqual(unmigrated.stderr.trim(), "error: 2 checks failed")

      assert.strictEqual(unreachable.code, 1)
      assert.match(unreachable.stdout, new RegExp(`^✗ database +Could not connect to the database at 127\\.0\\.0\\.1:${port}/x`, "m"))
      assert.notInclude(unreachable.stdout + unreachable.stderr, "pw-hidden")
    })), 30_000)

  it.live("a bad environment is one failed check naming every bad variable", () =>
    Effect.gen(function*() {
      const result = yield* runNode(["bin/dragonfly.js", "doctor"], {
        ENVIRONMENT: "production",
        SUPABASE_MODE: "dev",
        SUPABASE_DB_URL: "not a url",
        LOG_LEVEL: "loud"
      })
      assert.strictEqual(result.code, 1)
      assert.match(result.stdout, /^✗ configuration +Invalid configuration/m)
      for (const variable of ["LOG_LEVEL", "SUPABASE_DB_URL", "SUPABASE_MODE", "SUPABASE_URL"]) {
        assert.include(result.stdout, variable)
      }
    }))
})
