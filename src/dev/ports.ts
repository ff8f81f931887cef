import { Data, Effect } from "effect"
import * as Net from "node:net"

/** No TCP port could be bound on 127.0.0.1. */
export class NoFreePort extends Data.TaggedError("NoFreePort")<{ readonly cause: unknown }> {
  override get message() {
    return "no free port on 127.0.0.1"
  }
}

/** A port asked for by name (`--api-port`, `PORT`) is taken: refused rather than replaced. */
export class PortInUse extends Data.TaggedError("PortInUse")<{ readonly port: number; readonly setting: string }> {
  override get message() {
    return `port ${this.port} is in use (${this.setting}); stop what listens there, or choose another port`
  }
}

/** Whether a listen failed because the address was taken. */
export const isAddressInUse = (error: unknown): boolean => {
  for (let cause = error; typeof cause === "object" && cause !== null; cause = (cause as { cause?: unknown }).cause) {
    if ((cause as { code?: unknown }).code === "EADDRINUSE") return true
  }
  return false
}

const isFree = (port: number) =>
  Effect.async<boolean>((resume) => {
    const server = Net.createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resume(Effect.succeed(true))))
  })

/** A port free on 127.0.0.1 a moment ago: bound on port 0, then released. */
export const anyFreePort = Effect.async<number, NoFreePort>((resume) => {
  const server = Net.createServer()
  server.once("error", (cause) => resume(Effect.fail(new NoFreePort({ cause }))))
  server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** The preferred port when it is free, any free port otherwise. */
export const choosePort = (preferred: number) =>
  Effect.flatMap(isFree(preferred), (free) => (free ? Effect.succeed(preferred) : anyFreePort))

/** The port, when it is free; `PortInUse` naming the setting that asked for it otherwise. */
export const requireFree = (port: number, setting: string) =>
  Effect.flatMap(isFree(port), (free) => (free ? Effect.succeed(port) : Effect.fail(new PortInUse({ port, setting }))))

/** Whether something accepts TCP connections on the port (127.0.0.1). */
export const acceptsConnections = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = Net.connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
  })
