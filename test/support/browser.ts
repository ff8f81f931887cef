import { Effect } from "effect"
import { existsSync } from "node:fs"
import { type Browser, chromium, type Page } from "playwright-core"

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), or the one CHROMIUM_PATH names. */
export const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
export const hasChromium = existsSync(chromiumPath)

if (!hasChromium) {
  console.warn(
    `browser tests skipped: no Chromium at ${chromiumPath} (install Debian's chromium, or set CHROMIUM_PATH)`
  )
}

/**
 * Headless Chromium for the test's scope. The flags keep it off the network (this machine's is
 * closed: background fetches would be refused, many at a time) and run it as root in a sandbox.
 */
export const browser = Effect.acquireRelease(
  Effect.promise(() =>
    chromium.launch({
      executablePath: chromiumPath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync"
      ]
    })
  ),
  (browser: Browser) => Effect.promise(() => browser.close())
)

/** A new page (its own context: its own session storage) that records what went wrong in it. */
export const newPage = (browser: Browser) =>
  Effect.promise(async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
    const page = await context.newPage()
    const problems: Array<string> = []
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`)
    })
    page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`))
    const urls: Array<string> = []
    page.on("request", (request) => urls.push(request.url()))
    return { page, problems, urls }
  })

/** Waits until the view has rendered. */
export const viewLoaded = (page: Page, view: string) =>
  Effect.promise(() => page.waitForSelector(`main[data-view="${view}"][data-loaded="true"]`, { timeout: 30_000 }))

/** The view loaded afresh (the page reloaded on it: session storage keeps the key), rendered from new data. */
export const openView = (page: Page, view: string) =>
  Effect.zipRight(
    Effect.promise(async () => {
      await page.evaluate(`history.replaceState(null, "", "#${view}")`)
      await page.reload()
    }),
    viewLoaded(page, view)
  )

/** The text of every element matching, trimmed. */
export const texts = (page: Page, selector: string) =>
  Effect.promise(() => page.locator(selector).allTextContents()).pipe(Effect.map((all) => all.map((t) => t.trim())))

/** A count as the page shows it (12,345) as a number. */
export const shownNumber = (text: string) => Number(text.replace(/,/g, ""))
