import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock, SessionEngine, TransformFailedError, defineApp, sessionSchema } from '../../src/index'
import type { App, AppRunReport, Namespaces, ParamDeclaration, TransformContext } from '../../src/index'
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

/** An app monitoring public.go, writing `<name>.v`. */
function goApp(name: string, transform: (input: unknown, ctx: TransformContext) => unknown, timeoutMs?: number) {
  return defineApp({
    name,
    input: { public: ['go'] },
    output: { [name]: ['v'] },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    transform: transform as never,
  })
}

/** An engine on a fresh ManualClock: its app timeouts fire only when the test moves the clock. */
function onManualClock(apps: App[], options: { timeoutMs?: number } = {}): { engine: SessionEngine; clock: ManualClock } {
  const clock = new ManualClock()
  return { engine: new SessionEngine({ ...options, clock, apps }), clock }
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
  /** Runs one app, 'sneaky', declaring `output` and returning `result`, on `base`. */
  function runSneaky(output: ParamDeclaration, result: unknown, base: Namespaces = {}) {
    const sneaky = defineApp({ name: 'sneaky', input: { public: ['go'] }, output, transform: () => result as never })
    return new SessionEngine({ apps: [sneaky] }).runTransform(base, { public: { go: 1 } })
  }

  it('drops a write to an undeclared key of a declared namespace, keeps the rest, and reports it', async () => {
    const { namespaces, report } = await runSneaky({ profile: ['email'] }, { profile: { email: 'a@b.c', isAdmin: true, role: 'root' } })
    expect(namespaces.profile).toEqual({ email: 'a@b.c' })
    expect(report.waves[0]!.apps[0]).toMatchObject({
      app: 'sneaky',
      status: 'ok',
      changed: ['profile.email'],
      undeclared: ['profile.isAdmin', 'profile.role'],
    })
  })

  it('a namespace declared with no keys is declared: a write into it is an undeclared write, not an invalid output', async () => {
    const { namespaces, report } = await runSneaky({ profile: ['email'], audit: [] }, { profile: { email: 'a@b.c' }, audit: { at: 1 } })
    expect(namespaces.profile).toEqual({ email: 'a@b.c' })
    expect(namespaces.audit).toBeUndefined()
    expect(report.waves[0]!.apps[0]).toMatchObject({ status: 'ok', undeclared: ['audit.at'] })
  })

  it('an app cannot delete an undeclared param either', async () => {
    const { namespaces, report } = await runSneaky({ profile: ['email'] }, { profile: { isAdmin: undefined } }, { profile: { isAdmin: false } })
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
    const slow = goApp(
      'slow',
      async (_input, ctx) => {
        signals.push(ctx.signal)
        // resolves only once the signal is aborted: the result is "late" by construction
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
        lateResultReturned = true
        return { slow: { v: 'late' } }
      },
      20,
    )
    const { engine, clock } = onManualClock([slow, good])
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
    const readsLate = goApp(
      'reads-late',
      async (_input, ctx) => {
        await late.promise
        seen.push([ctx.signal, ctx.signal])
        finished()
        return { 'reads-late': { v: 'late' } }
      },
      10,
    )
    const { engine, clock } = onManualClock([readsLate])
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
      goApp(
        name,
        (_input, ctx) => {
          const { signal } = ctx // destructuring reads the getter too
          signals.push(signal)
          return undefined
        },
        timeoutMs,
      )
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
    const { engine, clock } = onManualClock([returning('hang', () => new Promise(() => undefined))], { timeoutMs: 20 })
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
    const quick = goApp(
      'quick',
      async (_i, ctx) => {
        signal = ctx.signal
        return { quick: { v: 1 } }
      },
      10_000,
    )
    const { engine, clock } = onManualClock([quick])
    const { namespaces } = await engine.runTransform({}, { public: { go: 1 } })
    expect(namespaces.quick).toEqual({ v: 1 })
    expect(signal!.aborted).toBe(false)
    // its timeout timer was cleared, not left to fire later
    expect(clock.pendingTimers).toBe(0)
    clock.advance(20_000)
    expect(signal!.aborted).toBe(false)
  })

  describe('on the real timers', () => {
    /** Counts the global timers set while `run` runs (the engine's default clock sets them there). */
    async function timersSetDuring(run: () => Promise<unknown>): Promise<number[]> {
      const delays: number[] = []
      const original = globalThis.setTimeout
      globalThis.setTimeout = ((fn: () => void, ms?: number) => {
        delays.push(ms ?? 0)
        return original(fn, ms)
      }) as typeof setTimeout
      try {
        await run()
      } finally {
        globalThis.setTimeout = original
      }
      return delays
    }

    it('an async app that settles within a few microtask turns never arms its timeout timer', async () => {
      const quick = goApp('quick', async () => {
        await Promise.resolve()
        await null
        return { quick: { v: 1 } }
      }, 2_000)
      const engine = new SessionEngine({ apps: [quick] })
      const delays = await timersSetDuring(() => engine.runTransform({}, { public: { go: 1 } }))
      expect(delays).toEqual([])
      expect((await engine.runTransform({}, { public: { go: 2 } })).namespaces.quick).toEqual({ v: 1 })
    })

    it('one still pending gets its timer, with the time left of a deadline counted from its call', async () => {
      const pending = goApp('pending', () => new Promise(() => {}), 40)
      const engine = new SessionEngine({ apps: [pending] })
      let report: Awaited<ReturnType<typeof engine.runTransform>>['report'] | undefined
      const delays = await timersSetDuring(async () => {
        report = (await engine.runTransform({}, { public: { go: 1 } })).report
      })
      expect(delays).toHaveLength(1)
      expect(delays[0]).toBeGreaterThan(0)
      expect(delays[0]).toBeLessThanOrEqual(40)
      expect(report!.waves[0]!.apps[0]!.error?.kind).toBe('timeout')
    })

    it("under vitest's fake timers, a pending app times out when the faked time passes its timeout, and not before", async () => {
      vi.useFakeTimers()
      try {
        const pending = goApp('pending', () => new Promise(() => {}), 5_000)
        const engine = new SessionEngine({ apps: [pending] })
        let settled = false
        const run = engine.runTransform({}, { public: { go: 1 } }).finally(() => (settled = true))
        await vi.advanceTimersByTimeAsync(4_000)
        expect(settled).toBe(false)
        await vi.advanceTimersByTimeAsync(1_000)
        expect((await run).report.waves[0]!.apps[0]!.error?.kind).toBe('timeout')
      } finally {
        vi.useRealTimers()
      }
    })

    it('one that spends its whole timeout in microtasks before pending gets a timer due at once', async () => {
      const late = goApp('late', async () => {
        await null
        const until = performance.now() + 30
        while (performance.now() < until) {
          // a transform busy in a microtask: no timer can fire meanwhile
        }
        return new Promise(() => {})
      }, 10)
      const engine = new SessionEngine({ apps: [late] })
      let report: Awaited<ReturnType<typeof engine.runTransform>>['report'] | undefined
      const delays = await timersSetDuring(async () => {
        report = (await engine.runTransform({}, { public: { go: 1 } })).report
      })
      expect(delays).toEqual([0])
      expect(report!.waves[0]!.apps[0]!.error?.kind).toBe('timeout')
    })
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

/** An app monitoring public.go that hands its ctx.signal to `see`. */
const watcher = (name: string, see: (signal: AbortSignal) => void, timeoutMs?: number) =>
  goApp(
    name,
    (_input, ctx) => {
      see(ctx.signal)
      return undefined
    },
    timeoutMs,
  )

describe('ctx.signal belongs to one run', () => {
  const RealAbortController = globalThis.AbortController
  afterEach(() => {
    globalThis.AbortController = RealAbortController
  })

  for (const timeoutMs of [undefined, 60_000]) {
    const which = timeoutMs === undefined ? 'without a timeout' : 'with a timeout'

    it(`${which}: every run, of any session or app, gets its own signal`, async () => {
      const signals: AbortSignal[] = []
      const engine = new SessionEngine({
        clock: new ManualClock(),
        apps: [watcher('a', (s) => signals.push(s), timeoutMs), watcher('b', (s) => signals.push(s), timeoutMs)],
      })
      const one = await engine.create()
      const two = await engine.create()
      await engine.patch(one.session.id, { public: { go: 1 } })
      await engine.patch(two.session.id, { public: { go: 1 } })
      await engine.patch(one.session.id, { public: { go: 2 } })
      expect(signals).toHaveLength(6)
      expect(new Set(signals).size).toBe(6)
      for (const signal of signals) expect(signal.aborted).toBe(false)
    })

    it(`${which}: what one session's run sets on its signal is not seen by another session's run`, async () => {
      const seen: unknown[] = []
      const engine = new SessionEngine({
        clock: new ManualClock(),
        apps: [
          watcher(
            'tagger',
            (signal) => {
              const tagged = signal as AbortSignal & { owner?: string }
              seen.push(tagged.owner)
              tagged.owner = 'first session'
            },
            timeoutMs,
          ),
        ],
      })
      const one = await engine.create()
      const two = await engine.create()
      await engine.patch(one.session.id, { public: { go: 1 } })
      await engine.patch(two.session.id, { public: { go: 1 } })
      expect(seen).toEqual([undefined, undefined])
    })

    it(`${which}: 2,000 runs adding an abort listener leave one listener per signal, none accumulates`, async () => {
      const signals = new Set<AbortSignal>()
      const engine = new SessionEngine({
        clock: new ManualClock(),
        apps: [
          watcher(
            'listener',
            (signal) => {
              signal.addEventListener('abort', () => {})
              signals.add(signal)
            },
            timeoutMs,
          ),
        ],
      })
      for (let i = 0; i < 2_000; i++) await engine.runTransform({}, { public: { go: i } })
      expect(signals.size).toBe(2_000)
      for (const signal of signals) expect(getEventListeners(signal, 'abort')).toHaveLength(1)
    })
  }

  it('is made on first read only: runs that never read ctx.signal create no AbortController', async () => {
    let made = 0
    globalThis.AbortController = class extends RealAbortController {
      constructor() {
        super()
        made++
      }
    }
    const quiet = defineApp({ name: 'quiet', input: { public: ['go'] }, output: { q: ['v'] }, transform: (input) => ({ q: { v: input.public.go ?? null } }) })
    const timed = defineApp({ ...quiet, name: 'timed', output: { t: ['v'] }, timeoutMs: 1_000, transform: (input) => ({ t: { v: input.public.go ?? null } }) })
    const engine = new SessionEngine({ clock: new ManualClock(), apps: [quiet, timed] })
    for (let i = 0; i < 50; i++) await engine.runTransform({}, { public: { go: i } })
    expect(made).toBe(0)
    const reader = new SessionEngine({ clock: new ManualClock(), apps: [watcher('reader', () => {})] })
    for (let i = 0; i < 5; i++) await reader.runTransform({}, { public: { go: i } })
    expect(made).toBe(5)
  })

  it('a timed-out run aborts its own signal only', async () => {
    const clock = new ManualClock()
    const signals = new Map<number, AbortSignal>()
    const engine = new SessionEngine({
      clock,
      apps: [
        defineApp({
          name: 'maybe-hangs',
          input: { public: ['go'] },
          output: { out: ['v'] },
          timeoutMs: 10,
          transform: (input, ctx) => {
            signals.set(input.public.go as number, ctx.signal)
            return input.public.go === 1 ? new Promise<undefined>(() => {}) : undefined
          },
        }),
      ],
    })
    await driveClock(clock, engine.runTransform({}, { public: { go: 1 } }), 10)
    await engine.runTransform({}, { public: { go: 2 } })
    expect(signals.get(1)!.aborted).toBe(true)
    expect(signals.get(2)!.aborted).toBe(false)
  })
})

describe('reading an async output', () => {
  it("a getter of the output that runs another engine's validated app synchronously leaves this output whole", async () => {
    const pass = { '~standard': { version: 1 as const, vendor: 'test', validate: (value: unknown) => ({ value }) } }
    const innerApp = defineApp({ name: 'inner', input: { public: ['go'] }, output: { i: ['a', 'b'] }, transform: () => ({ i: { a: 'x', b: 'y' } }) })
    const inner = new SessionEngine({ apps: [innerApp], schema: sessionSchema({ i: { a: pass, b: pass } }) })
    const { session } = await inner.create({})
    let nested: ReturnType<SessionEngine['patch']> | undefined
    const outerApp = defineApp({
      name: 'outer',
      input: { public: ['go'] },
      output: { o: ['p', 'q', 'r'] },
      transform: async () => ({
        o: {
          p: 1,
          get q() {
            // the inner cycle runs its first wave (and reads its app's output) before this returns
            nested = inner.patch(session.id, { public: { go: 1 } })
            return 2
          },
          r: 3,
        },
      }),
    })
    const { namespaces } = await new SessionEngine({ apps: [outerApp] }).runTransform({}, { public: { go: 1 } })
    expect(namespaces.o).toEqual({ p: 1, q: 2, r: 3 })
    expect((await nested!).session.namespaces.i).toEqual({ a: 'x', b: 'y' })
  })
})

describe('reading an output whose getters change it', () => {
  // outputs are read from the own keys listed before any getter runs, each read once, in order
  const app = (transform: () => unknown) => defineApp({ name: 'o', input: { public: ['go'] }, output: { o: ['p', 'q', 'r'] }, transform: transform as never })
  const base = { o: { p: 0, q: 0, r: 0 } }

  it('a key a getter deleted before its turn is read as undefined: the param is deleted', async () => {
    const engine = new SessionEngine({ apps: [app(() => ({ o: { get p() { delete (this as Record<string, unknown>).q; return 1 }, q: 2, r: 3 } }))] })
    const { namespaces, report } = await engine.runTransform(base, { public: { go: 1 } })
    expect(namespaces.o).toEqual({ p: 1, r: 3 })
    expect(Object.keys(namespaces.o!)).toEqual(['p', 'r'])
    expect(report.waves[0]!.apps[0]!.changed).toEqual(['o.p', 'o.q', 'o.r'])
  })

  it('so is the last key, and an undeclared key deleted before its turn is still reported', async () => {
    const engine = new SessionEngine({
      apps: [app(() => ({ o: { get p() { const self = this as Record<string, unknown>; delete self.x; delete self.r; return 1 }, x: 9, r: 3 } }))],
    })
    const { namespaces, report } = await engine.runTransform(base, { public: { go: 1 } })
    expect(namespaces.o).toEqual({ p: 1, q: 0 })
    expect(report.waves[0]!.apps[0]).toMatchObject({ changed: ['o.p', 'o.r'], undeclared: ['o.x'] })
  })

  it('a key a getter added is not read; one it deleted and added again is read in its place', async () => {
    const engine = new SessionEngine({
      apps: [
        app(() => ({
          o: {
            get p() {
              const self = this as Record<string, unknown>
              self.x = 1
              delete self.q
              self.q = 5
              return 1
            },
            q: 2,
          },
        })),
      ],
    })
    const { namespaces, report } = await engine.runTransform(base, { public: { go: 1 } })
    expect(namespaces.o).toEqual({ p: 1, q: 5, r: 0 })
    expect(report.waves[0]!.apps[0]!.undeclared).toBeUndefined()
  })

  it('an enumerable property inherited from a polluted Object.prototype is not an output', async () => {
    const engine = new SessionEngine({ apps: [app(() => ({ o: { p: 1 } }))] })
    Object.defineProperty(Object.prototype, 'polluted', { value: 7, enumerable: true, configurable: true, writable: true })
    try {
      const { namespaces, report } = await engine.runTransform(base, { public: { go: 1 } })
      expect(Object.hasOwn(namespaces.o!, 'polluted')).toBe(false)
      expect(report.waves[0]!.apps[0]!.undeclared).toBeUndefined()
      expect(namespaces.o).toEqual({ p: 1, q: 0, r: 0 })
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted
    }
  })
})
