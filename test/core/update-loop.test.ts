import { describe, expect, it } from 'vitest'
import { ConflictError, DEFAULT_RETRY_POLICY, ManualClock, MemoryStore, type Session, SessionEngine, type SessionStore, recipe, jsonPatch } from '../../src/index'
import { CONFLICT, backoffMs, updateLoop } from '../../src/core/update-loop'
import { rejection } from '../support/helpers'
import { flush, timerPending } from '../support/clock'

/** A clock whose timers fire at once and record the pauses asked for; `random` as given. */
function recordingClock(random: () => number) {
  const pauses: number[] = []
  return {
    pauses,
    now: () => 0,
    random,
    setTimeout(callback: () => void, ms: number) {
      pauses.push(ms)
      queueMicrotask(callback)
      return pauses.length
    },
    clearTimeout() {},
  }
}

/** A store whose every update loses the compare-and-set (another writer always got there first). */
class AlwaysContended implements SessionStore {
  readonly inner = new MemoryStore()
  puts = 0
  get(id: string): Session | undefined {
    return this.inner.get(id)
  }
  put(session: Session, expected: number | undefined): boolean {
    this.puts++
    return expected === undefined ? this.inner.put(session, expected) : false
  }
  delete(id: string): void {
    this.inner.delete(id)
  }
}

describe('the update loop', () => {
  it('pauses between re-runs with full jitter under a doubling cap (2, 4, 8, ... 100 ms), through the clock', async () => {
    const clock = recordingClock(() => 0.999)
    let runs = 0
    const error = await rejection(
      updateLoop('s', async () => (runs++, CONFLICT), DEFAULT_RETRY_POLICY, clock),
      ConflictError,
      'CONFLICT',
    )
    expect(runs).toBe(31)
    expect(error.attempts).toBe(31)
    const caps = clock.pauses.map((ms) => Math.round(ms / 0.999))
    expect(caps).toEqual([2, 4, 8, 16, 32, 64, ...Array(24).fill(100)])
    // the budget in the JSDoc: at most 2,526 ms of pauses in all
    expect(caps.reduce((a, b) => a + b, 0)).toBe(2_526)
  })

  it('the pause is uniform below the cap: random 0 means no pause; a broken random source still gives a bounded pause', () => {
    expect(backoffMs(DEFAULT_RETRY_POLICY, 3, { now: () => 0, random: () => 0 })).toBe(0)
    expect(backoffMs(DEFAULT_RETRY_POLICY, 3, { now: () => 0, random: () => 0.5 })).toBe(4)
    expect(backoffMs(DEFAULT_RETRY_POLICY, 3, { now: () => 0, random: () => Number.NaN })).toBe(4)
    expect(backoffMs(DEFAULT_RETRY_POLICY, 3, { now: () => 0, random: () => 7 })).toBe(8)
    expect(backoffMs(DEFAULT_RETRY_POLICY, 10_000, { now: () => 0, random: () => 1 })).toBe(100)
  })

  it('returns what the first attempt that did not conflict returns, and tells onRetry before each re-run', async () => {
    const clock = recordingClock(() => 0.5)
    const retries: number[] = []
    const value = await updateLoop('s', async (n) => (n < 4 ? CONFLICT : `done at ${n}`), DEFAULT_RETRY_POLICY, clock, (n) => retries.push(n))
    expect(value).toBe('done at 4')
    expect(retries).toEqual([2, 3, 4])
    expect(clock.pauses).toEqual([1, 2, 4])
  })

  it('an attempt may answer synchronously (a synchronous store): values, conflicts and throws behave as from an async attempt', async () => {
    for (const sync of [true, false]) {
      const clock = recordingClock(() => 0.5)
      const answer = <T,>(value: T) => (sync ? value : Promise.resolve(value))
      expect(await updateLoop('s', (n) => answer(n < 3 ? CONFLICT : `done at ${n}`), DEFAULT_RETRY_POLICY, clock)).toBe('done at 3')
      expect(clock.pauses).toEqual([1, 2])
      let runs = 0
      const conflicts = updateLoop('s', () => (runs++, answer(CONFLICT)), { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 1 }, clock)
      expect((await rejection(conflicts, ConflictError, 'CONFLICT')).attempts).toBe(3)
      expect(runs).toBe(3)
      // a synchronous throw is the call's rejection, never an exception out of updateLoop itself
      const thrown = updateLoop(
        's',
        () => {
          throw new TypeError('boom')
        },
        DEFAULT_RETRY_POLICY,
        clock,
      )
      await expect(thrown).rejects.toThrow('boom')
    }
  })

  it('patch, JSON Patch and touch share it: ConflictError after 1 + maxConflictRetries attempts, each paused through the clock', async () => {
    for (const maxConflictRetries of [0, 3, undefined]) {
      const store = new AlwaysContended()
      const clock = recordingClock(() => 0.5)
      const engine = new SessionEngine({ store, clock, maxConflictRetries })
      const { session } = await engine.create({ public: { n: 1 } })
      const attempts = 1 + (maxConflictRetries ?? DEFAULT_RETRY_POLICY.maxRetries)
      for (const call of [
        () => engine.patch(session.id, { public: { n: 2 } }),
        () => engine.patch(session.id, recipe((d) => void (d.public!.n = 3))),
        () => engine.patch(session.id, jsonPatch([{ op: 'replace', path: '/public/n', value: 4 }])),
        () => engine.touch(session.id),
      ]) {
        store.puts = 0
        clock.pauses.length = 0
        const error = await rejection(call(), ConflictError, 'CONFLICT')
        expect(error.attempts).toBe(attempts)
        expect(error.message).toContain(`${attempts} attempts`)
        expect(store.puts).toBe(attempts)
        expect(clock.pauses).toHaveLength(attempts - 1)
      }
      expect(store.inner.get(session.id)).toBe(session)
    }
  })

  it('on a ManualClock with a random source, a re-run waits for the clock: nothing happens until the test advances it', async () => {
    const clock = new ManualClock(0)
    clock.random = () => 0.5
    const store = new AlwaysContended()
    const engine = new SessionEngine({ store, clock, maxConflictRetries: 2 })
    const { session } = await engine.create({ public: { n: 1 } })
    const call = engine.patch(session.id, { public: { n: 2 } })
    const outcome = call.then(
      () => 'saved',
      (e: unknown) => e,
    )
    await timerPending(clock)
    expect(store.puts).toBe(2) // the create, and the first attempt
    clock.advance(0.9) // the first pause is 0.5 x 2 ms = 1 ms
    await flush()
    expect(store.puts).toBe(2)
    clock.advance(0.1)
    await timerPending(clock)
    expect(store.puts).toBe(3)
    clock.advance(2) // the second pause: 0.5 x 4 ms
    const error = await outcome
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as ConflictError).attempts).toBe(3)
    expect(store.puts).toBe(4)
  })

  it('on a ManualClock left as it is (random 0), conflicts re-run at once: no timer waits for a clock nobody advances', async () => {
    const clock = new ManualClock(0)
    const store = new AlwaysContended()
    const engine = new SessionEngine({ store, clock })
    const { session } = await engine.create({ public: { n: 1 } })
    const error = await rejection(engine.touch(session.id), ConflictError, 'CONFLICT')
    expect(error.attempts).toBe(1 + DEFAULT_RETRY_POLICY.maxRetries)
    expect(clock.pendingTimers).toBe(0)
  })

  it('two engines sharing a store, 10 concurrent increments each on one session: all succeed with the defaults', async () => {
    // an asynchronous store, so the engines' read-modify-write cycles interleave like two processes'
    const inner = new MemoryStore()
    const store: SessionStore = {
      get: async (id) => (await Promise.resolve(), inner.get(id)),
      put: async (session, expected) => {
        await new Promise((resolve) => setTimeout(resolve, 0))
        return inner.put(session, expected)
      },
      delete: (id) => inner.delete(id),
    }
    const engines = [new SessionEngine({ store }), new SessionEngine({ store })]
    const { session } = await engines[0]!.create({ public: { count: 0 } })
    const results = await Promise.all(
      engines.flatMap((engine) =>
        Array.from({ length: 10 }, () => engine.patch(session.id, recipe((d) => void (d.public!.count = (d.public!.count as number) + 1)))),
      ),
    )
    expect(results.some((r) => r.report.attempts > 1)).toBe(true)
    expect(inner.get(session.id)?.namespaces.public?.count).toBe(20)
    expect(inner.get(session.id)?.version).toBe(21)
  })
})
