import { Effect, Ref, type Scope } from "effect"
import type * as Net from "node:net"
import { SMTPServer } from "smtp-server"

/**
 * What the server does for a recipient:
 * - `reject`: 550 to RCPT TO (no such user);
 * - `defer`: 451 to RCPT TO (try again later);
 * - `drop-at-rcpt`: closes the connection on RCPT TO, before any message was sent;
 * - `drop-after-data`: reads the whole message, then closes the connection without a reply;
 * - `silent-after-data`: reads the whole message and never replies.
 */
export type SmtpBehaviour = "reject" | "defer" | "drop-at-rcpt" | "drop-after-data" | "silent-after-data"

export interface ReceivedEmail {
  readonly mailFrom: string
  readonly rcptTo: ReadonlyArray<string>
  /** The login the session authenticated with, if any. */
  readonly user: string | undefined
  /** The message as sent after DATA. */
  readonly raw: string
  /** Lower-cased header names, unfolded values. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** False when the server did not say 250 (dropped or silent after DATA). */
  readonly acknowledged: boolean
}

export interface SmtpServerOptions {
  /** When set, AUTH is required and must match. */
  readonly login?: { readonly user: string; readonly password: string }
}

export interface SmtpServer {
  readonly port: number
  /** `smtp://[user:password@]127.0.0.1:port`, the password percent-encoded. */
  readonly url: (login?: { readonly user: string; readonly password: string }) => string
  readonly received: Ref.Ref<ReadonlyArray<ReceivedEmail>>
  /** Scripts what happens to every message for `recipient`. */
  readonly script: (recipient: string, behaviour: SmtpBehaviour) => Effect.Effect<void>
}

const parse = (raw: string) => {
  const split = raw.indexOf("\r\n\r\n")
  const head = split === -1 ? raw : raw.slice(0, split)
  const body = split === -1 ? "" : raw.slice(split + 4)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":")
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body }
}

const smtpError = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode })

/** An SMTP server on 127.0.0.1 (no TLS) that keeps every message it reads. */
export const smtpServer = (options: SmtpServerOptions = {}): Effect.Effect<SmtpServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const received = yield* Ref.make<ReadonlyArray<ReceivedEmail>>([])
    const behaviours = new Map<string, SmtpBehaviour>()
    const sockets = new Map<number, Net.Socket>()
    const dropSession = (remotePort: number) => sockets.get(remotePort)?.destroy()
    const behaviourOf = (recipients: ReadonlyArray<string>) =>
      recipients.map((address) => behaviours.get(address.toLowerCase())).find((b) => b !== undefined)

    const server = new SMTPServer({
      secure: false,
      disabledCommands: ["STARTTLS"],
      authOptional: options.login === undefined,
      allowInsecureAuth: true,
      logger: false,
      closeTimeout: 100,
      onAuth(auth, _session, callback) {
        const login = options.login
        return login !== undefined && auth.username === login.user && auth.password === login.password
          ? callback(null, { user: auth.username })
          : callback(smtpError(535, "5.7.8 Authentication credentials invalid"))
      },
      onRcptTo(address, session, callback) {
        switch (behaviours.get(address.address.toLowerCase())) {
          case "reject":
            return callback(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: no such user`))
          case "defer":
            return callback(smtpError(451, "4.7.1 Greylisted, please try again later"))
          case "drop-at-rcpt":
            return dropSession(session.remotePort)
          default:
            return callback()
        }
      },
      onData(stream, session, callback) {
        const chunks: Array<Buffer> = []
        stream.on("data", (chunk: Buffer) => chunks.push(chunk))
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8")
          const rcptTo = session.envelope.rcptTo.map((address) => address.address)
          const behaviour = behaviourOf(rcptTo)
          const acknowledged = behaviour !== "drop-after-data" && behaviour !== "silent-after-data"
          const mailFrom = session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address
          const user = typeof session.user === "string" ? session.user : undefined
          const email: ReceivedEmail = { mailFrom, rcptTo, user, raw, ...parse(raw), acknowledged }
          Effect.runSync(Ref.update(received, (all) => [...all, email]))
          if (behaviour === "drop-after-data") return dropSession(session.remotePort)
          if (behaviour === "silent-after-data") return
          callback(null, `OK: queued as Q${received.pipe(Ref.get, Effect.runSync).length}`)
        })
      }
    })
    server.server.on("connection", (socket: Net.Socket) => {
      const port = socket.remotePort
      if (port === undefined) return
      sockets.set(port, socket)
      socket.on("close", () => sockets.delete(port))
    })

    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          for (const socket of sockets.values()) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.server.address() as Net.AddressInfo
    return {
      port,
      url: (login) =>
        login === undefined
          ? `smtp://127.0.0.1:${port}`
          : `smtp://${encodeURIComponent(login.user)}:${encodeURIComponent(login.password)}@127.0.0.1:${port}`,
      received,
      script: (recipient, behaviour) => Effect.sync(() => behaviours.set(recipient.toLowerCase(), behaviour))
    }
  })
