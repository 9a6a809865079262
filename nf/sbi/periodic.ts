/**
 * A background job run every `ms` (sweepers, heart-beats): never two runs at once (a tick while one runs
 * is skipped), a failure goes to `onError` and the next tick runs as usual, and the timer does not keep the
 * process alive. `stop()` clears the timer and waits for the run under way, so nothing touches the store
 * after its NF stopped.
 */
export interface Periodic {
  stop(): Promise<void>
}

export function every(ms: number, job: () => Promise<unknown>, onError: (err: unknown) => void, opts: { runNow?: boolean } = {}): Periodic {
  let running: Promise<void> | undefined
  const tick = () => {
    running ??= job()
      .then(() => undefined, onError)
      .finally(() => (running = undefined))
  }
  if (opts.runNow) tick()
  const timer = setInterval(tick, ms)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
