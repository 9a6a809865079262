/** Waiting in tests: a sleep, and polling until a condition holds (or failing with what was awaited). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function until(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}
