/**
 * `NodeRuntime.runMain` stops the program on the first SIGINT or SIGTERM and then removes its
 * listeners, so a second signal would kill the process in the middle of its drain: a terminal's
 * Ctrl-C reaches every process of the dev stack and the supervisor's SIGTERM follows it, and
 * Railway may signal again. With this listener in place, later signals only say that the process
 * is still stopping (SIGKILL still stops it at once). The dev stack's usual pair, SIGINT from
 * the terminal then SIGTERM from the supervisor, passes without a word.
 */
export const keepStoppingOnRepeatedSignals = (what: string) => {
  const received = new Set<NodeJS.Signals>()
  const onSignal = (signal: NodeJS.Signals) => {
    if (received.has(signal)) process.stderr.write(`${signal} again: ${what} is still stopping (SIGKILL stops it at once)\n`)
    received.add(signal)
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
}
