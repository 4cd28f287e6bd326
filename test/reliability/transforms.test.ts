/**
 * Transforms that misbehave: garbage outputs, throws and rejections of odd values, hangs,
 * results after the timeout, attempts to mutate their input, re-entrant engine calls. Each is
 * isolated (its output dropped, the rest of the cycle goes on, the report says why) or — for a
 * `critical` app — fails the call with `TransformFailedError` and nothing saved. Never a hang,
 * never an unhandled rejection, never a corrupted session.
 */
import { describe, expect, it } from 'vitest'
import {
  type App,
  type AppRunReport,
  ManualClock,
  ReentrantCallError,
  MemoryStore,
  type Session,
  SessionEngine,
  TransformFailedError,
  defineApp,
} from '../../src/index'
import { counterIds, expectPrototypesUntouched, expectRejects } from '../support/faults'
import { driveClock, flush } from '../support/clock'


/** A well-behaved app in the same wave: its output must land whatever the bad one does. */
const good = defineApp({
  name: 'good',
  input: { public: ['go'] },
  output: { good: ['seen'] },
  transform: (input) => ({ good: { seen: input.public.go ?? null } }),
})

function badApp(transform: (input: any, ctx: any) => unknown, extra: { critical?: boolean; timeoutMs?: number } = {}): App {
  return defineApp({
    name: 'bad',
    input: { public: ['go'] },
    output: { bad: ['out', 'other'] },
    ...extra,
    transform: transform as never,
  })
}

async function run(bad: App, go: unknown = 1, clock = new ManualClock(0)) {
  const store = new MemoryStore()
  const engine = new SessionEngine({ apps: [bad, good], store, clock, generateId: counterIds() })
  const { session } = await engine.create({ public: { keep: true } })
  // a pending timer is the bad app's timeout: the clock jumps past it, no real time is waited
  const result = await driveClock(clock, engine.patch(session.id, { public: { go: go as never } }), 1_000)
  return { engine, store, session, result, report: result.report.waves[0]!.apps.find((a) => a.app === 'bad')! }
}

async function expectCriticalFails(bad: App): Promise<TransformFailedError> {
  const store = new MemoryStore()
  const clock = new ManualClock(0)
  const engine = new SessionEngine({ apps: [bad, good], store, clock, generateId: counterIds() })
  const { session } = await engine.create({ public: { keep: true } })
  const error = await expectRejects(driveClock(clock, engine.patch(session.id, { public: { go: 1 } }), 1_000), TransformFailedError)
  expect(error.app).toBe('bad')
  expect(error.code).toBe('TRANSFORM_FAILED')
  expect(store.get(session.id)).toBe(session)
  return error
}

function expectIsolated(result: { session: Session }, report: AppRunReport, kind: string): void {
  expect(report.status).toBe('failed')
  expect(report.error?.kind).toBe(kind)
  expect(typeof report.error?.message).toBe('string')
  expect(result.session.namespaces.bad).toBeUndefined()
  expect(result.session.namespaces.good).toEqual({ seen: 1 })
  expect(result.session.version).toBe(2)
  expectPrototypesUntouched()
}

class Thing {
  bad = { out: 1 }
}

const { proxy: revoked, revoke } = Proxy.revocable({}, {})
revoke()

const GARBAGE: Array<[string, () => unknown]> = [
  ['an array', () => [{ bad: { out: 1 } }]],
  ['a string', () => 'bad'],
  ['a number', () => 42],
  ['true', () => true],
  ['null', () => null],
  ['a class instance', () => new Thing()],
  ['a Map', () => new Map([['bad', { out: 1 }]])],
  ['a Date', () => new Date()],
  ['a function', () => () => ({ bad: { out: 1 } })],
  ['a symbol', () => Symbol('x')],
  ['a BigInt', () => 1n],
  ['an undeclared namespace', () => ({ bad: { out: 1 }, elsewhere: { x: 1 } })],
  ['an input namespace it does not own', () => ({ public: { go: 2 } })],
  ['a namespace that is an array', () => ({ bad: [1] })],
  ['a namespace that is a number', () => ({ bad: 5 })],
  ['a namespace that is null', () => ({ bad: null })],
  ['a namespace that is a class instance', () => ({ bad: new Thing() })],
  ['NaN', () => ({ bad: { out: Number.NaN } })],
  ['Infinity', () => ({ bad: { out: Number.POSITIVE_INFINITY } })],
  ['a function value', () => ({ bad: { out: () => 1 } })],
  ['a BigInt value', () => ({ bad: { out: 1n } })],
  ['a Date value', () => ({ bad: { out: new Date() } })],
  ['a class-instance value', () => ({ bad: { out: new Thing() } })],
  ['undefined inside an array', () => ({ bad: { out: [1, undefined] } })],
  ['a cyclic value', () => {
    const o: Record<string, unknown> = {}
    o.o = o
    return { bad: { out: o } }
  }],
  ['a 100k-deep value', () => {
    let v: unknown = 0
    for (let i = 0; i < 100_000; i++) v = [v]
    return { bad: { out: v } }
  }],
  ['a __proto__ key inside a value', () => ({ bad: { out: JSON.parse('{"__proto__": {"polluted": 1}}') } })],
  ['a __proto__ namespace', () => JSON.parse('{"__proto__": {"polluted": 1}}')],
  ['a getter namespace that throws', () => Object.defineProperty({}, 'bad', { get: () => { throw new Error('get') }, enumerable: true })],
  ['a getter param returning a function', () => ({ bad: Object.defineProperty({}, 'out', { get: () => () => 1, enumerable: true }) })],
  ['a revoked proxy', () => revoked],
  ['a proxy whose ownKeys trap throws', () => new Proxy({}, { ownKeys: () => { throw new Error('keys') } })],
  ['a thenable that throws on then', () => ({ get then() { throw new Error('then') } })],
]

describe('garbage outputs', () => {
  for (const [name, make] of GARBAGE) {
    it(`${name}: isolated (sync and async), reported, the rest lands; critical fails the call`, async () => {
      for (const transform of [() => make(), async () => make()]) {
        const { result, report } = await run(badApp(transform))
        expect(report.status).toBe('failed')
        expect(['invalid-output', 'threw', 'rejected']).toContain(report.error?.kind)
        expectIsolated(result, report, report.error!.kind)
        await expectCriticalFails(badApp(transform, { critical: true }))
      }
    })
  }

  it('an undeclared key of a declared namespace is dropped alone and listed', async () => {
    const { result, report } = await run(badApp(() => ({ bad: { out: 1, sneaky: 2, __proto__x: 3 } })))
    expect(report.status).toBe('ok')
    expect(report.undeclared).toEqual(['bad.sneaky', 'bad.__proto__x'])
    expect(result.session.namespaces.bad).toEqual({ out: 1 })
  })

  it('returning undefined, {} or an empty namespace writes nothing', async () => {
    for (const out of [undefined, {}, { bad: {} }, { bad: undefined }]) {
      const { result, report } = await run(badApp(() => out))
      expect(report.status).toBe('ok')
      expect(result.session.namespaces.bad).toBeUndefined()
    }
  })

  it('an output is read like JSON.stringify reads it: getters run once, symbol keys and non-enumerable properties are not output', async () => {
    let reads = 0
    const outputs: Array<[string, () => unknown, Record<string, unknown> | undefined]> = [
      ['a getter namespace', () => Object.defineProperty({}, 'bad', { get: () => (reads++, { out: 1 }), enumerable: true }), { out: 1 }],
      ['a getter param', () => ({ bad: Object.defineProperty({}, 'out', { get: () => (reads++, 2), enumerable: true }) }), { out: 2 }],
      ['a symbol-keyed namespace', () => ({ [Symbol('k')]: { out: 1 }, bad: { other: 3 } }), { other: 3 }],
      ['a symbol-keyed param', () => ({ bad: { [Symbol('k')]: 1, out: 4 } }), { out: 4 }],
      ['a non-enumerable param', () => ({ bad: Object.defineProperty({ out: 5 }, 'other', { value: 6, enumerable: false }) }), { out: 5 }],
      ['a proxy reporting keys it has no property for', () => new Proxy({}, { ownKeys: () => ['bad'], getOwnPropertyDescriptor: () => undefined }), undefined],
    ]
    for (const [name, make, expected] of outputs) {
      reads = 0
      const { result, report } = await run(badApp(make))
      expect(report.status, name).toBe('ok')
      expect(result.session.namespaces.bad, name).toEqual(expected)
      expect(result.session.namespaces.good, name).toEqual({ seen: 1 })
      expect(reads, name).toBe(name.startsWith('a getter') ? 1 : 0)
    }
  })

  it('an output is copied: a transform that keeps and later mutates its returned object changes nothing', async () => {
    const kept = { bad: { out: { list: [1] } } }
    const { store, session, result } = await run(badApp(() => kept))
    kept.bad.out.list.push(2)
    expect(store.get(session.id)!.namespaces.bad).toEqual({ out: { list: [1] } })
    expect(result.session.namespaces.bad).toEqual({ out: { list: [1] } })
  })
})

describe('throwing and rejecting', () => {
  class MessageThrows extends Error {
    override get message(): string {
      throw new Error('message getter')
    }
  }
  const THROWN: Array<[string, () => unknown]> = [
    ['an Error', () => new Error('boom')],
    ['a string', () => 'boom'],
    ['undefined', () => undefined],
    ['null', () => null],
    ['an object whose toString throws', () => ({ toString: () => { throw new Error('toString') } })],
    ['a symbol', () => Symbol('boom')],
    ['a revoked proxy', () => revoked],
    ['an Error whose message getter throws', () => new MessageThrows()],
    ['an object with a null prototype', () => Object.create(null)],
  ]
  for (const [name, make] of THROWN) {
    it(`throwing or rejecting ${name}: isolated with a string message, critical fails the call`, async () => {
      const throwing = () => {
        throw make()
      }
      const rejecting = () => Promise.reject(make())
      const asyncThrowing = async () => {
        await null
        throw make()
      }
      for (const [transform, kind] of [
        [throwing, 'threw'],
        [rejecting, 'rejected'],
        [asyncThrowing, 'rejected'],
      ] as const) {
        const { result, report } = await run(badApp(transform))
        expectIsolated(result, report, kind)
        await expectCriticalFails(badApp(transform, { critical: true }))
      }
    })
  }
})

describe('time', () => {
  it('a transform that never settles is cut at its timeoutMs: signal aborted, output dropped', async () => {
    let signal: AbortSignal | undefined
    const { result, report } = await run(
      badApp(
        (_input, ctx) => {
          signal = ctx.signal
          return new Promise(() => {})
        },
        { timeoutMs: 20 },
      ),
    )
    expectIsolated(result, report, 'timeout')
    expect(signal?.aborted).toBe(true)
    expect((signal?.reason as DOMException).name).toBe('TimeoutError')
  })

  it('a result arriving after the timeout is ignored, even once the call has finished', async () => {
    let resolveLate: (v: unknown) => void = () => {}
    const { store, session, result, report } = await run(
      badApp(() => new Promise((resolve) => (resolveLate = resolve)), { timeoutMs: 10 }),
    )
    expectIsolated(result, report, 'timeout')
    resolveLate({ bad: { out: 'late' } })
    await flush()
    expect(store.get(session.id)).toBe(result.session)
    expect(result.session.namespaces.bad).toBeUndefined()
  })

  it('a rejection after the timeout is not an unhandled rejection', async () => {
    let rejectLate: (e: unknown) => void = () => {}
    const { result, report } = await run(badApp(() => new Promise((_r, reject) => (rejectLate = reject)), { timeoutMs: 10 }))
    expectIsolated(result, report, 'timeout')
    rejectLate(new Error('late'))
    await flush()
  })

  it('a synchronous transform that overruns its timeout has its result dropped', async () => {
    const clock = new ManualClock(0)
    const { result, report } = await run(
      badApp(
        () => {
          // a sync transform cannot be interrupted: this one takes 15 ms of the engine's clock
          clock.advance(15)
          return { bad: { out: 1 } }
        },
        { timeoutMs: 5 },
      ),
      1,
      clock,
    )
    expectIsolated(result, report, 'timeout')
  })

  it('a critical app that hangs fails the call with TransformFailedError after its timeout', async () => {
    const error = await expectCriticalFails(badApp(() => new Promise(() => {}), { critical: true, timeoutMs: 10 }))
    expect(error.message).toMatch(/timeout/)
  })
})

describe('mutating the input', () => {
  const MUTATIONS: Array<[string, (input: any) => void]> = [
    ['assign a param', (input) => void (input.public.go = 2)],
    ['add a namespace', (input) => void (input.other = {})],
    ['delete a namespace', (input) => void delete input.public],
    ['push into an array value', (input) => void input.public.go.list.push(9)],
    ['set inside an object value', (input) => void (input.public.go.obj.k = 'changed')],
    ['set a prototype', (input) => void Object.setPrototypeOf(input.public.go.obj, { polluted: 1 })],
  ]
  for (const [name, mutate] of MUTATIONS) {
    it(`${name}: the input is frozen, so the attempt throws (isolated) and a caught attempt changes nothing`, async () => {
      const value = { list: [1, 2], obj: { k: 'v' } }
      const expected = JSON.parse(JSON.stringify(value))
      const strict = badApp((input) => {
        mutate(input)
        return { bad: { out: 1 } }
      })
      const store = new MemoryStore()
      const engine = new SessionEngine({ apps: [strict, good], store, clock: new ManualClock(0) })
      const { session } = await engine.create({ public: { keep: true } })
      const { session: next, report } = await engine.patch(session.id, { public: { go: value } })
      const bad = report.waves[0]!.apps.find((a) => a.app === 'bad')!
      expect(bad.status).toBe('failed')
      expect(next.namespaces.public!.go).toEqual(expected)
      expect(next.namespaces.good).toEqual({ seen: expected })
      expectPrototypesUntouched()

      const sneaky = badApp((input) => {
        try {
          mutate(input)
        } catch {
          // ignore: pretend nothing happened
        }
        return { bad: { out: input.public.go } }
      })
      const engine2 = new SessionEngine({ apps: [sneaky, good], clock: new ManualClock(0) })
      const created = await engine2.create({ public: { keep: true } })
      const { session: after } = await engine2.patch(created.session.id, { public: { go: value } })
      expect(after.namespaces.public!.go).toEqual(expected)
      expect(after.namespaces.bad).toEqual({ out: expected })
      expectPrototypesUntouched()
    })
  }
})

describe('re-entrant engine calls from a transform', () => {
  it('a transform may call the engine on another session (patch, get, create)', async () => {
    let engine: SessionEngine
    let logId = ''
    const audit = defineApp({
      name: 'audit',
      input: { public: ['go'] },
      output: { audit: ['logged'] },
      transform: async (input) => {
        const log = await engine.get(logId)
        await engine.patch(logId, { public: { count: Number(log?.namespaces.public?.count ?? 0) + 1, last: input.public.go ?? null } })
        const { session: side } = await engine.create({ public: { spawned: true } })
        return { audit: { logged: side.id } }
      },
    })
    engine = new SessionEngine({ apps: [audit], clock: new ManualClock(0), generateId: counterIds() })
    logId = (await engine.create({ public: { count: 0 } })).session.id
    const { session } = await engine.create({})
    await engine.patch(session.id, { public: { go: 1 } })
    await engine.patch(session.id, { public: { go: 2 } })
    expect((await engine.get(logId))!.namespaces.public).toEqual({ count: 2, last: 2 })
    expect((await engine.get(session.id))!.namespaces.audit).toEqual({ logged: 's4' })
    expect((await engine.get('s4'))!.namespaces.public).toEqual({ spawned: true })
  })

  it('a transform awaiting a patch of its own session does not wait for itself: the inner patch fails fast (ReentrantCallError), no timeout needed', async () => {
    let engine: SessionEngine
    let inner: Promise<unknown> | undefined
    const selfish = defineApp({
      name: 'selfish',
      input: { public: ['go'] },
      output: { derived: ['x'] },
      timeoutMs: 20,
      transform: async (input, ctx) => {
        if (input.public.go !== 1) return undefined
        inner = engine.patch(ctx.sessionId!, { public: { fromInside: true } })
        await inner
        return { derived: { x: 1 } }
      },
    })
    const clock = new ManualClock(0)
    engine = new SessionEngine({ apps: [selfish], clock })
    const { session } = await engine.create({})
    // the clock is never advanced: the app's timeout cannot be what ends the wait
    const { session: outer, report } = await engine.patch(session.id, { public: { go: 1 } })
    expect(report.waves[0]!.apps[0]).toMatchObject({ status: 'failed', error: { kind: 'rejected' } })
    await expect(inner).rejects.toBeInstanceOf(ReentrantCallError)
    expect(outer.version).toBe(2)
    const final = (await engine.get(session.id))!
    expect(final.version).toBe(2)
    expect(final.namespaces.public).toEqual({ go: 1 })
    expect(final.namespaces.derived).toBeUndefined()
  })

  it('get on its own session does not wait (reads are not queued) and sees the state before the call', async () => {
    let engine: SessionEngine
    const reader = defineApp({
      name: 'reader',
      input: { public: ['go'] },
      output: { derived: ['version'] },
      transform: async (_input, ctx) => ({ derived: { version: (await engine.get(ctx.sessionId!))?.version ?? -1 } }),
    })
    engine = new SessionEngine({ apps: [reader], clock: new ManualClock(0) })
    const { session } = await engine.create({})
    const { session: next } = await engine.patch(session.id, { public: { go: 1 } })
    expect(next.namespaces.derived).toEqual({ version: 1 })
  })
})

describe('a cycle that fails as a whole saves nothing', () => {
  const toggle = defineApp({
    name: 'toggle',
    runOnCreate: true,
    input: { public: ['x'] },
    output: { public: ['x'] },
    transform: (input) => ({ public: { x: input.public.x === 1 ? 0 : 1 } }),
  })

  it('a loop in create or patch rejects with TransformLoopError; the store is as before', async () => {
    const store = new MemoryStore()
    const engine = new SessionEngine({ apps: [toggle], store, clock: new ManualClock(0), maxWaves: 10 })
    await expect(engine.create({})).rejects.toMatchObject({ code: 'TRANSFORM_LOOP', apps: ['toggle'], params: ['public.x'] })
    expect(store.size).toBe(0)
    const quiet = new SessionEngine({ store, clock: new ManualClock(0), generateId: () => 'fixed' })
    const { session } = await quiet.create({ public: { y: 1 } })
    await expect(engine.patch(session.id, { public: { x: 0 } })).rejects.toMatchObject({ code: 'TRANSFORM_LOOP' })
    expect(store.get(session.id)).toBe(session)
    expectPrototypesUntouched()
  })
})
