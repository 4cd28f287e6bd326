/** The transform cache as the engine uses it: hits, sharing across sessions, in-flight de-duplication, what is never cached. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CachedResult,
  ConfigError,
  type JsonValue,
  ManualClock,
  MemoryTransformCache,
  SessionEngine,
  type TransformCache,
  cacheTransforms,
  defineApp,
} from '../../src/index'
import { fcParams } from '../support/fc'
import { deferred } from '../support/helpers'

/** An async region lookup that counts its calls. */
function regionLookup(options: { ttlMs?: number; maxEntries?: number; fail?: (code: string) => boolean; delay?: () => Promise<void> } = {}) {
  const calls: string[] = []
  const app = defineApp({
    name: 'region',
    input: { public: ['postalCode'] },
    output: { checkout: ['regionId'], trace: ['x'] },
    cache: { ttlMs: options.ttlMs ?? 60_000, ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }) },
    transform: async (input) => {
      const code = String(input.public.postalCode)
      calls.push(code)
      await (options.delay?.() ?? Promise.resolve())
      if (options.fail?.(code)) throw new Error(`lookup of ${code} failed`)
      return { checkout: { regionId: `r-${code.slice(0, 1)}` } }
    },
  })
  return { app, calls }
}

describe('apps declaring cache', () => {
  it('a second session with the same input gets the result from the cache: no call, report cached: true', async () => {
    const { app, calls } = regionLookup()
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    const first = await engine.create({ public: { postalCode: '10115' } })
    const second = await engine.create({ public: { postalCode: '10115' } })
    expect(calls).toEqual(['10115'])
    expect(first.report.waves[0]!.apps[0]!.cached).toBeUndefined()
    expect(second.report.waves[0]!.apps[0]).toMatchObject({ app: 'region', status: 'ok', cached: true, changed: ['checkout.regionId'] })
    expect(second.session.namespaces).toEqual(first.session.namespaces)
    // another input is another entry
    await engine.patch(second.session.id, { public: { postalCode: '20095' } })
    expect(calls).toEqual(['10115', '20095'])
  })

  it('the key is the canonical JSON of the input: key order does not matter, other values do', async () => {
    const calls: JsonValue[] = []
    const app = defineApp({
      name: 'echo',
      input: { public: ['obj'] },
      output: { out: ['v'] },
      cache: { ttlMs: 1_000 },
      transform: (input) => {
        calls.push(input.public.obj!)
        return { out: { v: 1 } }
      },
    })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    await engine.runCreate({ public: { obj: { a: 1, b: 2 } } })
    await engine.runCreate({ public: { obj: { b: 2, a: 1 } } })
    expect(calls).toHaveLength(1)
    await engine.runCreate({ public: { obj: { a: 1, b: 3 } } })
    expect(calls).toHaveLength(2)
  })

  it('the cache is per engine', async () => {
    const { app, calls } = regionLookup()
    await new SessionEngine({ apps: [app], transformCache: cacheTransforms() }).runCreate({ public: { postalCode: '1' } })
    await new SessionEngine({ apps: [app], transformCache: cacheTransforms() }).runCreate({ public: { postalCode: '1' } })
    expect(calls).toEqual(['1', '1'])
  })

  it('entries expire after ttlMs of the engine clock', async () => {
    const clock = new ManualClock(1_000)
    const { app, calls } = regionLookup({ ttlMs: 500 })
    const engine = new SessionEngine({ apps: [app], clock, transformCache: cacheTransforms() })
    await engine.runCreate({ public: { postalCode: '1' } })
    clock.advance(499)
    await engine.runCreate({ public: { postalCode: '1' } })
    expect(calls).toHaveLength(1)
    clock.advance(1)
    await engine.runCreate({ public: { postalCode: '1' } })
    expect(calls).toHaveLength(2)
  })

  it('maxEntries bounds the default cache per app (least recently used dropped)', async () => {
    const { app, calls } = regionLookup({ maxEntries: 2 })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    for (const code of ['1', '2', '3', '1']) await engine.runCreate({ public: { postalCode: code } })
    expect(calls).toEqual(['1', '2', '3', '1'])
  })

  it('failures are never cached', async () => {
    let failing = true
    const { app, calls } = regionLookup({ fail: () => failing })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    const failed = await engine.runCreate({ public: { postalCode: '1' } })
    expect(failed.report.waves[0]!.apps[0]).toMatchObject({ status: 'failed', error: { kind: 'rejected' } })
    failing = false
    const ok = await engine.runCreate({ public: { postalCode: '1' } })
    expect(ok.namespaces.checkout).toEqual({ regionId: 'r-1' })
    expect(calls).toHaveLength(2)
  })

  it('timeouts are never cached', async () => {
    let slow = true
    const calls: number[] = []
    const app = defineApp({
      name: 'slow',
      input: { public: ['x'] },
      output: { out: ['v'] },
      timeoutMs: 20,
      cache: { ttlMs: 60_000 },
      transform: async () => {
        calls.push(1)
        if (slow) await new Promise((resolve) => setTimeout(resolve, 60))
        return { out: { v: 'late' } }
      },
    })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    const timedOut = await engine.runCreate({ public: { x: 1 } })
    expect(timedOut.report.waves[0]!.apps[0]).toMatchObject({ status: 'failed', error: { kind: 'timeout' } })
    await new Promise((resolve) => setTimeout(resolve, 60)) // the late result arrives and must be dropped
    slow = false
    const ok = await engine.runCreate({ public: { x: 1 } })
    expect(ok.report.waves[0]!.apps[0]!.cached).toBeUndefined()
    expect(ok.namespaces.out).toEqual({ v: 'late' })
    expect(calls).toHaveLength(2)
  })

  it('an invalid output is never cached, and a cached result keeps its undeclared writes in the report', async () => {
    let calls = 0
    const app = defineApp({
      name: 'app',
      input: { public: ['x'] },
      output: { out: ['v'] },
      cache: { ttlMs: 60_000 },
      transform: (input) => {
        calls++
        return (input.public.x === 'bad' ? { out: { v: () => 1 } } : { out: { v: 1, extra: 2 } }) as never
      },
    })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    for (let i = 0; i < 2; i++) await engine.runCreate({ public: { x: 'bad' } })
    expect(calls).toBe(2)
    await engine.runCreate({ public: { x: 'ok' } })
    const hit = await engine.runCreate({ public: { x: 'ok' } })
    expect(calls).toBe(3)
    expect(hit.report.waves[0]!.apps[0]).toMatchObject({ cached: true, undeclared: ['out.extra'] })
  })

  it('deletions are cached too', async () => {
    const app = defineApp({ name: 'd', input: { public: ['x'] }, output: { public: ['y'] }, cache: { ttlMs: 1_000 }, transform: () => ({ public: { y: undefined } }) })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    for (let i = 0; i < 2; i++) {
      const { namespaces, report } = await engine.runCreate({ public: { x: 1, y: 2 } })
      expect(namespaces.public).toEqual({ x: 1 })
      expect(report.waves[0]!.apps[0]!.cached).toBe(i === 1 ? true : undefined)
    }
  })

  it('bad cache options are ConfigError naming the app', () => {
    const make = (cache: unknown) => () => defineApp({ name: 'c', input: { a: ['b'] }, cache: cache as never, transform: () => undefined })
    for (const bad of [null, 1, {}, { ttlMs: 0 }, { ttlMs: Infinity }, { ttlMs: '1' }, { ttlMs: 1, maxEntries: 0 }, { ttlMs: 1, maxEntries: 1.5 }, { ttlMs: 1, nope: 1 }]) {
      expect(make(bad), JSON.stringify(bad)).toThrow(ConfigError)
    }
    expect(make({ ttlMs: 1, maxEntries: 1 })).not.toThrow()
  })
})

describe('in-flight de-duplication', () => {
  it('1,000 concurrent sessions with 10 distinct postal codes make 10 lookups', async () => {
    const { app, calls } = regionLookup({ delay: () => new Promise((resolve) => setTimeout(resolve, 5)) })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    const codes = Array.from({ length: 1_000 }, (_, i) => `${i % 10}0115`)
    const results = await Promise.all(codes.map((postalCode) => engine.create({ public: { postalCode } })))
    expect(calls).toHaveLength(10)
    expect(new Set(calls).size).toBe(10)
    results.forEach(({ session }, i) => expect(session.namespaces.checkout).toEqual({ regionId: `r-${codes[i]![0]}` }))
    expect(results.filter((r) => r.report.waves[0]!.apps[0]!.cached === true)).toHaveLength(990)
  })

  it('runs that join a failing run share its failure, and the next run calls again', async () => {
    const gate = deferred()
    let fail = true
    const { app, calls } = regionLookup({ fail: () => fail, delay: () => gate.promise })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    const runs = [1, 2, 3].map(() => engine.runCreate({ public: { postalCode: '1' } }))
    gate.resolve()
    const reports = (await Promise.all(runs)).map((r) => r.report.waves[0]!.apps[0]!)
    expect(calls).toHaveLength(1)
    for (const report of reports) expect(report).toMatchObject({ status: 'failed', error: { kind: 'rejected' } })
    expect(reports.some((r) => r.cached)).toBe(false)
    fail = false
    expect((await engine.runCreate({ public: { postalCode: '1' } })).namespaces.checkout).toEqual({ regionId: 'r-1' })
    expect(calls).toHaveLength(2)
  })
})

/** A remote-like cache: async, JSON round trip, counts calls; can be told to fail. */
class JsonCache implements TransformCache {
  readonly data = new Map<string, string>()
  gets = 0
  broken = false
  async get(app: string, key: string): Promise<CachedResult | undefined> {
    this.gets++
    if (this.broken) throw new Error('cache down')
    const text = this.data.get(`${app}\n${key}`)
    return text === undefined ? undefined : JSON.parse(text)
  }
  async set(app: string, key: string, result: CachedResult): Promise<void> {
    if (this.broken) throw new Error('cache down')
    this.data.set(`${app}\n${key}`, JSON.stringify(result))
  }
}

describe('a pluggable TransformCache', () => {
  it('is shared by two engines (two processes) and round-trips through JSON, deletions included', async () => {
    const cache = new JsonCache()
    const { app, calls } = regionLookup()
    const a = new SessionEngine({ apps: [app], transformCache: cacheTransforms(cache) })
    const b = new SessionEngine({ apps: [app], transformCache: cacheTransforms(cache) })
    const first = await a.runCreate({ public: { postalCode: '5' } })
    const second = await b.runCreate({ public: { postalCode: '5' } })
    expect(calls).toEqual(['5'])
    expect(second.namespaces).toEqual(first.namespaces)
    expect(second.report.waves[0]!.apps[0]!.cached).toBe(true)
  })

  it('a broken cache is a miss, never a failure', async () => {
    const cache = new JsonCache()
    cache.broken = true
    const { app, calls } = regionLookup()
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms(cache) })
    for (let i = 0; i < 2; i++) expect((await engine.runCreate({ public: { postalCode: '5' } })).namespaces.checkout).toEqual({ regionId: 'r-5' })
    expect(calls).toHaveLength(2)
    const throwing: TransformCache = {
      get: () => {
        throw new Error('sync failure')
      },
      set: () => {
        throw new Error('sync failure')
      },
    }
    const engine2 = new SessionEngine({ apps: [app], transformCache: cacheTransforms(throwing) })
    expect((await engine2.runCreate({ public: { postalCode: '5' } })).namespaces.checkout).toEqual({ regionId: 'r-5' })
  })

  it('a malformed or foreign cached result is a miss: undeclared params, non-JSON values, wrong shapes', async () => {
    const { app, calls } = regionLookup()
    const bad: unknown[] = [
      null,
      'text',
      { writes: 'no' },
      { writes: [null] },
      { writes: [{ namespace: 'checkout', key: 'nope', value: 1 }] },
      { writes: [{ namespace: 'cookie', key: 'authToken', value: 'stolen' }] },
      { writes: [{ namespace: 'checkout', key: 'regionId', value: Number.NaN }] },
      { writes: [{ namespace: 'checkout', key: 'regionId', value: 'x'.repeat(2_000_000) }] },
      { writes: [{ namespace: '__proto__', key: 'regionId', value: 1 }] },
      { writes: [], undeclared: [1] },
    ]
    for (const result of bad) {
      const cache: TransformCache = { get: () => result as CachedResult, set: () => undefined }
      const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms(cache) })
      const { namespaces, report } = await engine.runCreate({ public: { postalCode: '7' } })
      expect(namespaces.checkout, JSON.stringify(result)?.slice(0, 80)).toEqual({ regionId: 'r-7' })
      expect(namespaces.cookie).toBeUndefined()
      expect(report.waves[0]!.apps[0]!.cached).toBeUndefined()
    }
    expect(calls).toHaveLength(bad.length)
  })

  it('concurrent misses on an async cache share one lookup and one call', async () => {
    const cache = new JsonCache()
    const { app, calls } = regionLookup()
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms(cache) })
    await Promise.all(Array.from({ length: 50 }, () => engine.runCreate({ public: { postalCode: '3' } })))
    expect(calls).toHaveLength(1)
    expect(cache.gets).toBe(1)
  })

  it('the engine default is a MemoryTransformCache; one given is used as is', async () => {
    const cache = new MemoryTransformCache()
    const { app } = regionLookup()
    await new SessionEngine({ apps: [app], transformCache: cacheTransforms(cache) }).runCreate({ public: { postalCode: '3' } })
    expect(cache.size('region')).toBe(1)
  })
})

describe('a cached engine and an uncached one produce the same sessions for pure transforms', () => {
  const KEYS = ['a', 'b', 'c', 'd']
  const appArb = fc.record({
    inputs: fc.uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 2 }),
    outputs: fc.uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 2 }),
    salt: fc.integer({ min: 0, max: 5 }),
    async: fc.boolean(),
  })
  const valueArb = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined })

  interface Spec {
    inputs: string[]
    outputs: string[]
    salt: number
    async: boolean
  }
  type Input = { readonly p: { readonly [k: string]: JsonValue | undefined } }

  function apps(specs: readonly Spec[], cached: boolean) {
    return specs.map((spec, i) => {
      // pure: a function of the input only; values stay in 0..3 so cycles end or are caught alike
      const compute = (input: Input) => {
        const sum = spec.inputs.reduce((acc, k) => acc + Number(input.p[k] ?? 7), spec.salt)
        return { p: Object.fromEntries(spec.outputs.map((k, j) => [k, sum % 4 === j ? undefined : (sum + j) % 4])) }
      }
      return defineApp({
        name: `app${i}`,
        input: { p: spec.inputs },
        output: { p: spec.outputs },
        ...(cached ? { cache: { ttlMs: 60_000, maxEntries: 3 } } : {}),
        transform: (spec.async ? async (input: Input) => compute(input) : (input: Input) => compute(input)) as never,
      })
    })
  }

  it('over random graphs and call sequences across sessions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(appArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ session: fc.integer({ min: 0, max: 2 }), changes: fc.dictionary(fc.constantFrom(...KEYS), valueArb) }), { minLength: 1, maxLength: 12 }),
        async (specs, calls) => {
          const plain = new SessionEngine({ apps: apps(specs, false), maxWaves: 20, generateId: counter() })
          const cached = new SessionEngine({ apps: apps(specs, true), maxWaves: 20, generateId: counter(), transformCache: cacheTransforms() })
          const ids: Array<string | undefined> = [undefined, undefined, undefined]
          for (const call of calls) {
            const changes = { p: call.changes }
            const id = ids[call.session]
            const run = (engine: SessionEngine) => (id === undefined ? engine.create(changes) : engine.patch(id, changes))
            const [x, y] = await Promise.all([settle(run(plain)), settle(run(cached))])
            expect(y.error).toBe(x.error)
            expect(y.namespaces).toEqual(x.namespaces)
            if (x.id !== undefined) ids[call.session] = x.id
          }
        },
      ),
      fcParams(150),
    )
  })
})

function counter(): () => string {
  let n = 0
  return () => `session-id-${String(n++).padStart(22, '0')}`
}

async function settle(call: Promise<{ session: { id: string; namespaces: unknown } }>): Promise<{ id?: string; namespaces?: unknown; error?: string }> {
  try {
    const { session } = await call
    return { id: session.id, namespaces: session.namespaces }
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) }
  }
}
