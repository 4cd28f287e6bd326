/** Source of time, in milliseconds. The host may supply its own. */
export interface Clock {
  /** Current time in ms. */
  now(): number
}

/** The default clock: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  #now: number

  /** Starts at `startMs` (default 0). */
  constructor(startMs = 0) {
    this.#now = startMs
  }

  /** Current time in ms. */
  now(): number {
    return this.#now
  }

  /** Moves the clock forward by `ms` and returns the new time. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: ms must be a finite number >= 0, got ${ms}`)
    this.#now += ms
    return this.#now
  }

  /** Sets the clock to `ms`. */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`ManualClock.set: ms must be finite, got ${ms}`)
    this.#now = ms
  }
}
