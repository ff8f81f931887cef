import { Effect, Redacted, type Scope } from "effect"
import { createConnection, createServer, type Server, type Socket } from "node:net"

/**
 * A TCP proxy between one worker and Postgres: the worker's network, which the chaos suite breaks.
 * - `cut`: every connection reset (RST both ways), and new ones refused, for a while;
 * - `stall`: nothing passes either way for a while (sockets stay open, bytes wait, as on a network
 *   that drops packets until TCP's retransmissions get through), new connections included;
 * - `halfClose`: the worker's side of every connection gets a FIN while Postgres's side stays open
 *   and hears nothing more: a session the server believes alive, maybe inside a transaction holding
 *   locks, whose client is gone.
 */
export interface NetworkProxy {
  /** `url` with its host and port replaced by the proxy's. */
  readonly through: (url: Redacted.Redacted<string>) => Redacted.Redacted<string>
  readonly cut: (forMillis: number) => number
  readonly stall: (forMillis: number) => number
  readonly halfClose: () => number
}

interface Link {
  readonly client: Socket
  readonly backend: Socket
  /** The worker's side was half-closed: nothing more is passed either way. */
  orphaned: boolean
}

const listening = (server: Server) =>
  Effect.async<number>((resume) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/** A proxy to the Postgres of `target` on 127.0.0.1, for as long as the scope lasts. */
export const make = (target: Redacted.Redacted<string>): Effect.Effect<NetworkProxy, never, Scope.Scope> =>
  Effect.gen(function*() {
    const upstream = new URL(Redacted.value(target))
    const links = new Set<Link>()
    let refusingUntil = 0
    let stalledUntil = 0
    let resumeTimer: NodeJS.Timeout | undefined

    const pause = (link: Link) => {
      link.client.pause()
      link.backend.pause()
    }
    const resumeAll = () => {
      resumeTimer = undefined
      if (Date.now() < stalledUntil) return
      for (const link of links) {
        if (link.orphaned) continue
        link.client.resume()
        link.backend.resume()
      }
    }

    const server = createServer((client) => {
      if (Date.now() < refusingUntil) return client.resetAndDestroy()
      const backend = createConnection({ host: upstream.hostname, port: Number(upstream.port || 5432) })
      const link: Link = { client, backend, orphaned: false }
      links.add(link)
      client.on("data", (chunk: Buffer) => {
        if (!link.orphaned) backend.write(chunk)
      })
      backend.on("data", (chunk: Buffer) => {
        if (!link.orphaned) client.write(chunk)
      })
      const close = () => {
        links.delete(link)
        client.destroy()
        backend.destroy()
      }
      // An orphaned session's client is gone; its server side lives until Postgres ends it.
      client.on("close", () => (link.orphaned ? undefined : close()))
      backend.on("close", close)
      client.on("error", () => undefined)
      backend.on("error", () => undefined)
      if (Date.now() < stalledUntil) pause(link)
    })
    const port = yield* listening(server)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        clearTimeout(resumeTimer)
        server.close()
        for (const link of links) {
          link.client.destroy()
          link.backend.destroy()
        }
      })
    )

    const live = () => [...links].filter((link) => !link.orphaned)
    return {
      through: (url) => {
        const parsed = new URL(Redacted.value(url))
        parsed.hostname = "127.0.0.1"
        parsed.port = String(port)
        return Redacted.make(parsed.toString())
      },
      cut: (forMillis) => {
        refusingUntil = Date.now() + forMillis
        const cut = live()
        for (const link of cut) {
          link.client.resetAndDestroy()
          link.backend.resetAndDestroy()
        }
        return cut.length
      },
      stall: (forMillis) => {
        stalledUntil = Date.now() + forMillis
        const stalled = live()
        stalled.forEach(pause)
        clearTimeout(resumeTimer)
        resumeTimer = setTimeout(resumeAll, forMillis)
        return stalled.length
      },
      halfClose: () => {
        const closed = live()
        for (const link of closed) {
          link.orphaned = true
          link.client.end()
        }
        return closed.length
      }
    }
  })
