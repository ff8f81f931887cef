import { Data, Effect } from "effect"
import * as Net from "node:net"

/** No TCP port could be bound on 127.0.0.1. */
export class NoFreePort extends Data.TaggedError("NoFreePort")<{ readonly cause: unknown }> {
  override get message() {
    return "no free port on 127.0.0.1"
  }
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
