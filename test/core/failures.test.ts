import { describe, expect, it } from 'vitest'
import { ManualClock, SessionEngine, TransformFailedError, defineApp } from '../../src/index'
import type { AppRunReport } from '../../src/index'
import { SpyStore, deferred, rejection } from '../support/helpers'
import { driveClock, flush, timerPending } from '../support/clock'

class Money {
  constructor(readonly cents: number) {}
}

/** An app monitoring public.go that returns `result()` (output declared: bad.v). */
function returning(name: string, result: () => unknown, extra: { critical?: boolean; timeoutMs?: number } = {}) {
  return defineApp({
    name,
    input: { public: ['go'] },
    output: { bad: ['v'] },
    ...extra,
    transform: result as never,
  })
}

const good = defineApp({ name: 'good', input: { public: ['go'] }, output: { ok: ['v'] }, transform: () => ({ ok: { v: 1 } }) })

async function runWith(bad: ReturnType<typeof returning>): Promise<{ report: AppRunReport; namespaces: unknown }> {
  const engine = new SessionEngine({ apps: [bad, good] })
  const { namespaces, report } = await engine.runTransform({ bad: { v: 'before' } }, { public: { go: 1 } })
  expect(report.waves).toHaveLength(1)
  expect(report.waves[0]!.apps[1]).toMatchObject({ app: 'good', status: 'ok', changed: ['ok.v'] })
  return { report: report.waves[0]!.apps[0]!, namespaces }
}

describe('a failing app is isolated and reported', () => {
  const cases: Array<[string, () => unknown, string, RegExp]> = [
    ['throws', () => {
      throw new Error('boom')
    }, 'threw', /boom/],
    ['rejects', () => Promise.reject(new Error('async boom')), 'rejected', /async boom/],
    ['returns a string', () => 'nope', 'invalid-output', /plain object/],
    ['returns null', () => null, 'invalid-output', /plain object/],
    ['returns an array', () => [{ bad: { v: 1 } }], 'invalid-output', /array/],
    ['returns a class instance', () => new Money(5), 'invalid-output', /Money/],
    ['resolves to a number', async () => 42, 'invalid-output', /number/],
    ['writes NaN', () => ({ bad: { v: Number.NaN } }), 'invalid-output', /NaN is not a finite number/],
    ['writes Infinity', () => ({ bad: { v: Number.POSITIVE_INFINITY } }), 'invalid-output', /finite/],
    ['writes a Date', () => ({ bad: { v: new Date(0) } }), 'invalid-output', /Date/],
    ['writes a function', () => ({ bad: { v: () => 1 } }), 'invalid-output', /function/],
    ['writes a class instance', () => ({ bad: { v: { nested: new Money(1) } } }), 'invalid-output', /Money/],
    ['writes undefined inside an array', () => ({ bad: { v: [1, undefined] } }), 'invalid-output', /undefined/],
    ['writes a cyclic value', () => {
      const v: Record<string, unknown> = {}
      v.self = v
      return { bad: { v } }
    }, 'invalid-output', /cyclic/],
    ['writes a namespace that is not an object', () => ({ bad: 'v' }), 'invalid-output', /plain object/],
    ['writes an undeclared namespace', () => ({ bad: { v: 'new' }, ok: { v: 2 } }), 'invalid-output', /"ok".*not in its output/],
    ['writes a reserved key inside a value', () => ({ bad: { v: JSON.parse('{"__proto__": 1}') } }), 'invalid-output', /reserved/],
  ]
  for (const [what, result, kind, message] of cases) {
    it(`when it ${what}`, async () => {
      const { report, namespaces } = await runWith(returning('bad', result))
      expect(report.status).toBe('failed')
      expect(report.error?.kind).toBe(kind)
      expect(report.error?.message).toMatch(message)
      expect(report.changed).toEqual([])
      // the whole output is dropped, including its valid parts; the other app's output lands
      expect(namespaces).toEqual({ bad: { v: 'before' }, public: { go: 1 }, ok: { v: 1 } })
    })
  }

  it('keeps the thrown value as the cause', async () => {
    const error = new Error('with cause')
    const { report } = await runWith(
      returning('bad', () => {
        throw error
      }),
    )
    expect(report.error?.cause).toBe(error)
  })

  it('returning undefined or {} writes nothing and is ok', async () => {
    for (const result of [() => undefined, () => ({}), async () => undefined, () => ({ bad: undefined })]) {
      const { report } = await runWith(returning('quiet', result))
      expect(report).toMatchObject({ status: 'ok', changed: [] })
    }
  })
})

describe('undeclared writes', () => {
  it('drops a write to an undeclared key of a declared namespace, keeps the rest, and reports it', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'sneaky',
          input: { public: ['go'] },
          output: { profile: ['email'] },
          transform: () => ({ profile: { email: 'a@b.c', isAdmin: true, role: 'root' } }) as never,
        }),
      ],
    })
    const { namespaces, report } = await engine.runTransform({}, { public: { go: 1 } })
    expect(namespaces.profile).toEqual({ email: 'a@b.c' })
    expect(report.waves[0]!.apps[0]).toMatchObject({
      app: 'sneaky',
      status: 'ok',
      changed: ['profile.email'],
      undeclared: ['profile.isAdmin', 'profile.role'],
    })
  })

  it('a namespace declared with no keys is declared: a write into it is an undeclared write, not an invalid output', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'sneaky',
          input: { public: ['go'] },
          output: { profile: ['email'], audit: [] },
          transform: () => ({ profile: { email: 'a@b.c' }, audit: { at: 1 } }) as never,
        }),
      ],
    })
    const { namespaces, report } = await engine.runTransform({}, { public: { go: 1 } })
    expect(namespaces.profile).toEqual({ email: 'a@b.c' })
    expect(namespaces.audit).toBeUndefined()
    expect(report.waves[0]!.apps[0]).toMatchObject({ status: 'ok', undeclared: ['audit.at'] })
  })

  it('an app cannot delete an undeclared param either', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'sneaky',
          input: { public: ['go'] },
          output: { profile: ['email'] },
          transform: () => ({ profile: { isAdmin: undefined } }) as never,
        }),
      ],
    })
    const { namespaces, report } = await engine.runTransform({ profile: { isAdmin: false } }, { public: { go: 1 } })
    expect(namespaces.profile).toEqual({ isAdmin: false })
    expect(report.waves[0]!.apps[0]!.undeclared).toEqual(['profile.isAdmin'])
  })
})

describe('critical apps', () => {
  it('a critical app that throws fails the call with TransformFailedError; nothing is saved', async () => {
    const store = new SpyStore()
    const engine = new SessionEngine({
      store,
      apps: [
        good,
        returning(
          'payments',
          () => {
            throw new Error('gateway down')
          },
          { critical: true },
        ),
      ],
    })
    const { session } = await engine.create()
    const error = await rejection(engine.patch(session.id, { public: { go: 1 } }), TransformFailedError, 'TRANSFORM_FAILED')
    expect(error.app).toBe('payments')
    expect(error.message).toMatch(/payments/)
    expect(error.message).toMatch(/gateway down/)
    expect((error.cause as Error).message).toBe('gateway down')
    expect(store.calls.filter((c) => c === 'put')).toHaveLength(1) // the create only
    expect(await engine.get(session.id)).toBe(session)
  })

  it('create with a failing critical app saves nothing', async () => {
    const store = new SpyStore()
    const engine = new SessionEngine({
      store,
      apps: [defineApp({ name: 'init', runOnCreate: true, critical: true, transform: () => 'bad' as never })],
    })
    await rejection(engine.create({ public: { a: 1 } }), TransformFailedError, 'TRANSFORM_FAILED')
    expect(store.inner.size).toBe(0)
    expect(store.calls).toEqual([])
  })

  it('a critical app that returns an invalid output or times out fails the call too', async () => {
    const invalid = new SessionEngine({ apps: [returning('c', () => ({ bad: { v: Number.NaN } }), { critical: true })] })
    await rejection(invalid.runTransform({}, { public: { go: 1 } }), TransformFailedError, 'TRANSFORM_FAILED')
    const clock = new ManualClock()
    const slow = new SessionEngine({
      clock,
      apps: [returning('c', () => new Promise(() => undefined), { critical: true, timeoutMs: 20 })],
    })
    const error = await rejection(driveClock(clock, slow.runTransform({}, { public: { go: 1 } }), 20), TransformFailedError, 'TRANSFORM_FAILED')
    expect(error.message).toMatch(/timeout/)
  })

  it('a critical app that succeeds changes nothing about the cycle', async () => {
    const engine = new SessionEngine({ apps: [returning('c', () => ({ bad: { v: 'x' } }), { critical: true })] })
    const { namespaces } = await engine.runTransform({}, { public: { go: 1 } })
    expect(namespaces.bad).toEqual({ v: 'x' })
  })
})

describe('timeouts', () => {
  it('aborts ctx.signal, reports a timeout, and ignores the result that arrives afterwards', async () => {
    let lateResultReturned = false
    const signals: AbortSignal[] = []
    const clock = new ManualClock()
    const engine = new SessionEngine({
      clock,
      apps: [
        defineApp({
          name: 'slow',
          input: { public: ['go'] },
          output: { slow: ['v'] },
          timeoutMs: 20,
          transform: async (_input, ctx) => {
            signals.push(ctx.signal)
            // resolves only once the signal is aborted: the result is "late" by construction
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
            lateResultReturned = true
            return { slow: { v: 'late' } }
          },
        }),
        good,
      ],
    })
    const { session } = await engine.create()
    const { session: after, report } = await driveClock(clock, engine.patch(session.id, { public: { go: 1 } }), 20)
    expect(signals).toHaveLength(1)
    expect(signals[0]!.aborted).toBe(true)
    expect((signals[0]!.reason as DOMException).name).toBe('TimeoutError')
    expect(report.waves[0]!.apps[0]).toMatchObject({ app: 'slow', status: 'failed', error: { kind: 'timeout' } })
    expect(report.waves[0]!.apps[0]!.error!.message).toMatch(/20 ms/)
    expect(after.namespaces).toEqual({ public: { go: 1 }, ok: { v: 1 } })
    // let the late result settle: it must not reach the session
    await flush()
    expect(lateResultReturned).toBe(true)
    expect((await engine.get(session.id))!.namespaces).toEqual({ public: { go: 1 }, ok: { v: 1 } })
  })

  it('ctx.signal read only after the timeout is already aborted with the timeout reason; each read is the same signal', async () => {
    const seen: Array<[AbortSignal, AbortSignal]> = []
    let finished!: () => void
    const done = new Promise<void>((resolve) => (finished = resolve))
    const late = deferred()
    const clock = new ManualClock()
    const engine = new SessionEngine({
      clock,
      apps: [
        defineApp({
          name: 'reads-late',
          input: { public: ['go'] },
          output: { slow: ['v'] },
          timeoutMs: 10,
          transform: async (_input, ctx) => {
            await late.promise
            seen.push([ctx.signal, ctx.signal])
            finished()
            return { slow: { v: 'late' } }
          },
        }),
      ],
    })
    const { report } = await driveClock(clock, engine.runTransform({}, { public: { go: 1 } }), 10)
    expect(report.waves[0]!.apps[0]!.error?.kind).toBe('timeout')
    late.resolve()
    await done
    const [first, second] = seen[0]!
    expect(first).toBe(second)
    expect(first.aborted).toBe(true)
    expect((first.reason as DOMException).name).toBe('TimeoutError')
  })

  it('ctx.signal of an app without a timeout is never aborted; with a timeout it is an AbortSignal with the usual API', async () => {
    const signals: AbortSignal[] = []
    const app = (name: string, timeoutMs?: number) =>
      defineApp({
        name,
        input: { public: ['go'] },
        output: { [name]: ['v'] },
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        transform: (_input, ctx) => {
          const { signal } = ctx // destructuring reads the getter too
          signals.push(signal)
          return undefined
        },
      })
    const engine = new SessionEngine({ apps: [app('plain'), app('timed', 10_000)] })
    await engine.runTransform({}, { public: { go: 1 } })
    expect(signals).toHaveLength(2)
    for (const signal of signals) {
      expect(signal).toBeInstanceOf(AbortSignal)
      expect(signal.aborted).toBe(false)
      expect(typeof signal.throwIfAborted).toBe('function')
    }
  })

  it('applies the engine-wide timeoutMs to apps without their own', async () => {
    const clock = new ManualClock()
    const engine = new SessionEngine({
      clock,
      timeoutMs: 20,
      apps: [returning('hang', () => new Promise(() => undefined))],
    })
    const call = engine.runTransform({}, { public: { go: 1 } })
    await timerPending(clock)
    clock.advance(19)
    expect(clock.pendingTimers).toBe(1)
    clock.advance(1)
    const { report } = await call
    expect(clock.pendingTimers).toBe(0)
    expect(report.waves[0]!.apps[0]!.error?.kind).toBe('timeout')
  })

  it('an app that finishes within its timeout is not aborted', async () => {
    let signal: AbortSignal | undefined
    const clock = new ManualClock()
    const engine = new SessionEngine({
      clock,
      apps: [
        defineApp({
          name: 'quick',
          input: { public: ['go'] },
          output: { q: ['v'] },
          timeoutMs: 10_000,
          transform: async (_i, ctx) => {
            signal = ctx.signal
            return { q: { v: 1 } }
          },
        }),
      ],
    })
    const { namespaces } = await engine.runTransform({}, { public: { go: 1 } })
    expect(namespaces.q).toEqual({ v: 1 })
    expect(signal!.aborted).toBe(false)
    // its timeout timer was cleared, not left to fire later
    expect(clock.pendingTimers).toBe(0)
    clock.advance(20_000)
    expect(signal!.aborted).toBe(false)
  })

  it('a synchronous app that overruns its timeout is treated as timed out (and a signal it kept is aborted)', async () => {
    let kept: AbortSignal | undefined
    const clock = new ManualClock()
    const engine = new SessionEngine({
      clock,
      apps: [
        returning(
          'busy',
          ((_input: unknown, ctx: { signal: AbortSignal }) => {
            kept = ctx.signal
            // a sync transform cannot be interrupted: it overruns by taking 25 ms of the engine's clock
            clock.advance(25)
            return { bad: { v: 'late' } }
          }) as () => unknown,
          { timeoutMs: 5 },
        ),
      ],
    })
    const { namespaces, report } = await engine.runTransform({}, { public: { go: 1 } })
    expect(report.waves[0]!.apps[0]!.error?.kind).toBe('timeout')
    expect(namespaces).toEqual({ public: { go: 1 } })
    expect(kept?.aborted).toBe(true)
    expect((kept?.reason as DOMException).name).toBe('TimeoutError')
  })
})
