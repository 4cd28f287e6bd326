/** Driving a ManualClock from a test: timeouts happen when the test says, with no real waiting. */
import type { ManualClock } from '../../src/index'

/** One turn of the event loop: pending promise callbacks run; no time passes on a ManualClock. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Resolves once `clock` holds a pending timer (e.g. the engine scheduled an app's timeout). */
export async function timerPending(clock: ManualClock, turns = 1_000): Promise<void> {
  for (let i = 0; clock.pendingTimers === 0; i++) {
    if (i === turns) throw new Error(`no timer was scheduled on the ManualClock within ${turns} event-loop turns`)
    await flush()
  }
}

/**
 * Awaits `call` while driving `clock`: whenever a timer is pending (an app's timeout), the clock
 * moves `stepMs` forward, so a hanging app times out without any real waiting.
 */
export async function driveClock<T>(clock: ManualClock, call: Promise<T>, stepMs: number, turns = 10_000): Promise<T> {
  let settled = false
  call.then(
    () => (settled = true),
    () => (settled = true),
  )
  for (let i = 0; !settled; i++) {
    if (i === turns) throw new Error(`the call did not settle within ${turns} event-loop turns`)
    if (clock.pendingTimers > 0) clock.advance(stepMs)
    await flush()
  }
  return call
}
