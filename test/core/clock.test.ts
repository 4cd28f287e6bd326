import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigError, ManualClock, SessionEngine, defineApp, systemClock } from '../../src/index'
import { timersOf } from '../../src/core/clock'
import { fcParams } from '../support/fc'
import { flush, timerPending } from '../support/clock'

describe('ManualClock', () => {
  it('ManualClock starts where told, advances and sets', () => {
    const clock = new ManualClock(5)
    expect(clock.now()).toBe(5)
    expect(clock.advance(10)).toBe(15)
    clock.set(100)
    expect(clock.now()).toBe(100)
    expect(new ManualClock().now()).toBe(0)
    expect(() => clock.advance(-1)).toThrow(RangeError)
    expect(() => clock.set(Number.NaN)).toThrow(RangeError)
  })
})

describe('ManualClock timers', () => {
  it('fire only when the clock reaches them, in due-time order, each reading its due time', () => {
    const clock = new ManualClock(100)
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20)
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10)
    clock.setTimeout(() => fired.push(['c', clock.now()]), 30)
    expect(clock.pendingTimers).toBe(3)
    expect(clock.advance(9)).toBe(109)
    expect(fired).toEqual([])
    expect(clock.advance(11)).toBe(120)
    expect(fired).toEqual([
      ['a', 110],
      ['b', 120],
    ])
    clock.set(1_000)
    expect(fired.at(-1)).toEqual(['c', 130])
    expect(clock.now()).toBe(1_000)
    expect(clock.pendingTimers).toBe(0)
  })

  it('equal due times fire in the order they were scheduled; 0, negative and NaN delays are due now', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    for (const [name, ms] of [['x', 5], ['zero', 0], ['y', 5], ['negative', -3], ['nan', Number.NaN]] as const) {
      clock.setTimeout(() => fired.push(name), ms)
    }
    clock.advance(0)
    expect(fired).toEqual(['zero', 'negative', 'nan'])
    clock.advance(5)
    expect(fired).toEqual(['zero', 'negative', 'nan', 'x', 'y'])
  })

  it('clearTimeout cancels a pending timer; unknown, spent and foreign handles are ignored', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    const a = clock.setTimeout(() => fired.push('a'), 10)
    const b = clock.setTimeout(() => fired.push('b'), 10)
    clock.clearTimeout(a)
    clock.clearTimeout(a)
    clock.clearTimeout(12345)
    clock.clearTimeout(undefined)
    clock.clearTimeout({})
    expect(clock.pendingTimers).toBe(1)
    clock.advance(10)
    expect(fired).toEqual(['b'])
    clock.clearTimeout(b)
    expect(clock.pendingTimers).toBe(0)
  })

  it('a timer scheduled by a firing timer fires in the same advance when it falls within it, not otherwise', () => {
    const clock = new ManualClock()
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => {
      fired.push(['outer', clock.now()])
      clock.setTimeout(() => fired.push(['inner', clock.now()]), 15)
      clock.setTimeout(() => fired.push(['beyond', clock.now()]), 100)
    }, 10)
    clock.setTimeout(() => fired.push(['later', clock.now()]), 20)
    clock.advance(30)
    expect(fired).toEqual([
      ['outer', 10],
      ['later', 20],
      ['inner', 25],
    ])
    expect(clock.now()).toBe(30)
    expect(clock.pendingTimers).toBe(1)
    clock.advance(80)
    expect(fired.at(-1)).toEqual(['beyond', 110])
  })

  it('a timer may clear another one due in the same advance', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    let second: number | undefined
    clock.setTimeout(() => {
      fired.push('first')
      clock.clearTimeout(second)
    }, 1)
    second = clock.setTimeout(() => fired.push('second'), 2)
    clock.advance(5)
    expect(fired).toEqual(['first'])
  })

  it('a throwing timer does not stop the others: they fire, the clock arrives, then the first error is thrown', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    clock.setTimeout(() => {
      throw new Error('one')
    }, 1)
    clock.setTimeout(() => {
      throw new Error('two')
    }, 2)
    clock.setTimeout(() => fired.push('three'), 3)
    expect(() => clock.advance(10)).toThrow('one')
    expect(fired).toEqual(['three'])
    expect(clock.now()).toBe(10)
    expect(clock.pendingTimers).toBe(0)
  })

  it('set() backwards fires nothing and timers keep their due times', () => {
    const clock = new ManualClock(50)
    const fired: number[] = []
    clock.setTimeout(() => fired.push(clock.now()), 10)
    clock.set(0)
    clock.advance(59)
    expect(fired).toEqual([])
    clock.advance(1)
    expect(fired).toEqual([60])
  })

  it('refuses bad arguments', () => {
    const clock = new ManualClock()
    expect(() => clock.advance(-1)).toThrow(RangeError)
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError)
    expect(() => clock.set(Number.POSITIVE_INFINITY)).toThrow(RangeError)
    expect(() => clock.setTimeout('code' as never, 1)).toThrow(TypeError)
    expect(clock.pendingTimers).toBe(0)
  })

  it('property: whatever the schedule (nested, cleared, split advances), timers fire in non-decreasing due time, each exactly once, at its due time', () => {
    // a timer: its delay, the delays of the timers it schedules when it fires, and whether it gets cleared
    const plan = fc.array(
      fc.record({
        ms: fc.integer({ min: -2, max: 50 }),
        children: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }),
        clear: fc.boolean(),
      }),
      { maxLength: 25 },
    )
    const steps = fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 })
    fc.assert(
      fc.property(plan, steps, (timers, advances) => {
        const clock = new ManualClock()
        const due = new Map<number, number>()
        const fired: Array<{ id: number; at: number }> = []
        const cleared = new Set<number>()
        const schedule = (ms: number, children: readonly number[]): number => {
          const id: number = clock.setTimeout(() => {
            fired.push({ id, at: clock.now() })
            for (const child of children) schedule(child, [])
          }, ms)
          due.set(id, clock.now() + Math.max(0, ms))
          return id
        }
        for (const t of timers) {
          const id = schedule(t.ms, t.children)
          if (t.clear) {
            clock.clearTimeout(id)
            cleared.add(id)
          }
        }
        for (const step of advances) clock.advance(step)
        const end = clock.now()
        expect(end).toBe(advances.reduce((a, b) => a + b, 0))
        for (let i = 1; i < fired.length; i++) expect(fired[i]!.at).toBeGreaterThanOrEqual(fired[i - 1]!.at)
        expect(new Set(fired.map((f) => f.id)).size).toBe(fired.length)
        for (const f of fired) {
          expect(cleared.has(f.id)).toBe(false)
          expect(f.at).toBe(due.get(f.id))
        }
        // everything due by now has fired; everything else is still pending
        const shouldHaveFired = [...due].filter(([id, at]) => !cleared.has(id) && at <= end).map(([id]) => id)
        expect(fired.map((f) => f.id).sort((a, b) => a - b)).toEqual(shouldHaveFired.sort((a, b) => a - b))
        expect(clock.pendingTimers).toBe(due.size - cleared.size - fired.length)
      }),
      fcParams(300),
    )
  })
})

describe('the clocks an engine accepts', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const hang = defineApp({ name: 'hang', input: { public: ['go'] }, output: { out: ['v'] }, timeoutMs: 50, transform: () => new Promise<undefined>(() => {}) })

  it('a { now() }-only clock still works: sessions expire by it, app timeouts fall back to the global timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let now = 1_000
    const engine = new SessionEngine({ apps: [hang], clock: { now: () => now }, ttlMs: 100 })
    const { session } = await engine.create()
    expect(session.expiresAt).toBe(1_100)
    const call = engine.patch(session.id, { public: { go: 1 } })
    for (let i = 0; i < 1_000 && vi.getTimerCount() === 0; i++) await flush()
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(50)
    const { report } = await call
    expect(report.waves[0]!.apps[0]).toMatchObject({ status: 'failed', error: { kind: 'timeout' } })
    expect(vi.getTimerCount()).toBe(0)
    now = 5_000
    expect(await engine.get(session.id)).toBeUndefined()
  })

  it('the system clock schedules on the global timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const fired: number[] = []
    const handle = systemClock.setTimeout!(() => fired.push(1), 10)
    systemClock.setTimeout!(() => fired.push(2), 20)
    systemClock.clearTimeout!(handle)
    vi.advanceTimersByTime(20)
    expect(fired).toEqual([2])
    expect(timersOf(systemClock).now).not.toBe(systemClock.now)
  })

  it('a clock with its own timers runs the app timeouts on them, called as its methods', async () => {
    const scheduled: number[] = []
    class Custom {
      readonly inner = new ManualClock()
      now() {
        return this.inner.now()
      }
      setTimeout(fn: () => void, ms: number) {
        scheduled.push(ms)
        return this.inner.setTimeout(fn, ms)
      }
      clearTimeout(handle: unknown) {
        this.inner.clearTimeout(handle)
      }
    }
    const clock = new Custom()
    const engine = new SessionEngine({ apps: [hang], clock })
    const call = engine.runTransform({}, { public: { go: 1 } })
    await timerPending(clock.inner)
    expect(scheduled).toEqual([50])
    clock.inner.advance(50)
    expect((await call).report.waves[0]!.apps[0]!.error?.kind).toBe('timeout')
  })

  it('a clock with only one of the timer methods, or a non-function one, is refused', () => {
    const now = () => 0
    for (const clock of [{ now, setTimeout: () => 1 }, { now, clearTimeout: () => {} }, { now, setTimeout: 1, clearTimeout: () => {} }]) {
      expect(() => new SessionEngine({ clock: clock as never })).toThrow(ConfigError)
    }
  })
})
