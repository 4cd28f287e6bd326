/**
 * Source of time, in milliseconds. The host may supply its own. The engine reads `now()` for
 * sessions' expiry and schedules app timeouts (`timeoutMs`) with `setTimeout`/`clearTimeout`;
 * a clock without them (`{ now() }` only) gets the global timers for the timeouts.
 */
export interface Clock {
  /** Current time in ms. */
  now(): number
  /** Calls `fn` once, `ms` from now; returns a handle for `clearTimeout`. Give both timer methods or neither. */
  setTimeout?(fn: () => void, ms: number): unknown
  /** Cancels a timer of `setTimeout` that has not fired; an unknown or spent handle is ignored. */
  clearTimeout?(handle: unknown): void
  /** A number in [0, 1): the jitter of the pauses between conflict retries. Default `Math.random`. */
  random?(): number
}

/** What app timeouts run on: a clock's timers and the time they are measured in. */
export type Timers = Required<Omit<Clock, 'random'>> & Pick<Clock, 'random'>

// wrapped, not the functions themselves: called as a method of another object, a browser's
// global setTimeout throws "Illegal invocation"
const globalTimers = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
}

/** The default clock: `Date.now()` and the global `setTimeout`/`clearTimeout`. */
export const systemClock: Clock = { now: () => Date.now(), ...globalTimers }

/**
 * The engine's timers when its clock is the system's (internal). Timeouts on real time are
 * measured with the monotonic clock: Date.now() may jump.
 */
export const realTimers: Timers = { now: () => performance.now(), ...globalTimers }

/**
 * The timers app timeouts of an engine on `clock` run on: the clock's own when it has both
 * methods, so a timeout (a synchronous app's overrun included) happens in that clock's time;
 * otherwise — the system clock, a `{ now() }`-only clock — the global timers on real time.
 */
export function timersOf(clock: Clock): Timers {
  if (clock === systemClock || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') return realTimers
  return clock as Timers
}

interface ManualTimer {
  readonly due: number
  readonly seq: number
  readonly fn: () => void
}

/**
 * A clock that only moves when told to, for tests. It owns its timers: `setTimeout` schedules
 * against this clock's time, and `advance`/`set` fire the timers that fall due, in due-time order
 * (equal due times in the order they were scheduled), each with `now()` reading its due time.
 * A timer scheduled by a firing timer fires in the same call if it falls due within it. Nothing
 * fires on its own, so an app timeout in an engine on this clock happens exactly when the test
 * advances past it.
 *
 * ```ts
 * const clock = new ManualClock()
 * clock.setTimeout(() => console.log('at', clock.now()), 50)
 * clock.advance(100) // logs "at 50"; clock.now() is now 100
 * ```
 */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, ManualTimer>()

  /**
   * The jitter of the pauses between conflict retries (see {@link Clock.random}): 0 unless
   * replaced, so on this clock a conflict is re-run at once, without a timer nobody advances.
   * Assign another source (`clock.random = () => 0.5`) to have retries pause on this clock's timers.
   */
  random: () => number = () => 0

  /** Starts at `startMs` (default 0). */
  constructor(startMs = 0) {
    this.#now = startMs
  }

  /** Current time in ms. */
  now(): number {
    return this.#now
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /**
   * Schedules `fn` at `now() + ms` (a negative or non-finite `ms` counts as 0, as with the global
   * `setTimeout`); it fires only when `advance` or `set` reaches that time. Returns the handle.
   */
  setTimeout(fn: () => void, ms: number): number {
    if (typeof fn !== 'function') throw new TypeError('ManualClock.setTimeout: fn must be a function')
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    const seq = ++this.#seq
    this.#timers.set(seq, { due: this.#now + delay, seq, fn })
    return seq
  }

  /** Cancels a pending timer; an unknown, fired or already cleared handle is ignored. */
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle)
  }

  /**
   * Moves the clock forward by `ms`, firing every timer that falls due on the way, and returns
   * the new time. If timers throw, the rest still fire and the first error is thrown at the end.
   */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: ms must be a finite number >= 0, got ${ms}`)
    this.#runUntil(this.#now + ms)
    return this.#now
  }

  /**
   * Sets the clock to `ms`. Moving forward fires the timers that fall due on the way, as
   * `advance` does; moving back fires nothing (pending timers keep their due times).
   */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`ManualClock.set: ms must be finite, got ${ms}`)
    if (ms < this.#now) this.#now = ms
    else this.#runUntil(ms)
  }

  #runUntil(target: number): void {
    let failed = false
    let failure: unknown
    for (let next = this.#next(target); next !== undefined; next = this.#next(target)) {
      this.#timers.delete(next.seq)
      this.#now = next.due
      try {
        next.fn()
      } catch (error) {
        if (!failed) failure = error
        failed = true
      }
    }
    this.#now = target
    if (failed) throw failure
  }

  /** The earliest timer due at or before `target`: a linear scan, test clocks hold few timers. */
  #next(target: number): ManualTimer | undefined {
    let best: ManualTimer | undefined
    for (const timer of this.#timers.values()) {
      if (timer.due > target) continue
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer
    }
    return best
  }
}
