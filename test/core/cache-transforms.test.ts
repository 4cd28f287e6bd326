import { describe, expect, it } from 'vitest'
import { ConfigError, MemoryTransformCache, SessionEngine, cacheTransforms, defineApp } from '../../src/index'
import { thrownBy } from '../support/helpers'

function lookup() {
  const counter = { calls: 0 }
  const app = defineApp({
    name: 'region',
    input: { public: ['postalCode'] },
    output: { checkout: ['regionId'] },
    cache: { ttlMs: 60_000 },
    transform: (input) => {
      counter.calls++
      return { checkout: { regionId: `r-${String(input.public.postalCode)}` } }
    },
  })
  return { app, counter }
}

describe('cacheTransforms: the transformCache option', () => {
  it('an app declaring cache in an engine without transformCache is a ConfigError naming it and saying what to write', () => {
    const { app } = lookup()
    const error = thrownBy(() => new SessionEngine({ apps: [app] })) as ConfigError
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.app).toBe('region')
    expect(error.message).toContain('transformCache: cacheTransforms()')
    expect(() => new SessionEngine({ apps: [app], transformCache: cacheTransforms() })).not.toThrow()
  })

  it('a cache given as is (the old form), or anything else, is a ConfigError saying to wrap it', () => {
    for (const given of [new MemoryTransformCache(), {}, null, 'x', { runnerFor: 1 }]) {
      expect(() => new SessionEngine({ transformCache: given as never })).toThrow(/transformCache must be made by cacheTransforms\(\): write transformCache: cacheTransforms\(cache\?\)/)
    }
  })

  it('refuses a cache without get() and set()', () => {
    for (const bad of [null, {}, { get: () => undefined }, { set: () => undefined }]) expect(() => cacheTransforms(bad as never)).toThrow(ConfigError)
  })

  it('one cacheTransforms() value gives each engine its own memory cache; a given cache is shared', async () => {
    const { app, counter } = lookup()
    const option = cacheTransforms()
    const a = new SessionEngine({ apps: [app], transformCache: option })
    const b = new SessionEngine({ apps: [app], transformCache: option })
    await a.runCreate({ public: { postalCode: '1' } })
    await a.runCreate({ public: { postalCode: '1' } })
    await b.runCreate({ public: { postalCode: '1' } })
    expect(counter.calls).toBe(2)
    const shared = cacheTransforms(new MemoryTransformCache())
    const c = new SessionEngine({ apps: [app], transformCache: shared })
    const d = new SessionEngine({ apps: [app], transformCache: shared })
    await c.runCreate({ public: { postalCode: '2' } })
    const { report } = await d.runCreate({ public: { postalCode: '2' } })
    expect(counter.calls).toBe(3)
    expect(report.waves[0]!.apps[0]!.cached).toBe(true)
  })

  it('an engine with transformCache and no caching app runs as without it', async () => {
    const plain = defineApp({ name: 'p', input: { public: ['x'] }, output: { out: ['y'] }, transform: (input) => ({ out: { y: input.public.x ?? null } }) })
    const engine = new SessionEngine({ apps: [plain], transformCache: cacheTransforms() })
    const { namespaces, report } = await engine.runCreate({ public: { x: 1 } })
    expect(namespaces.out).toEqual({ y: 1 })
    expect(report.waves[0]!.apps[0]!.cached).toBeUndefined()
  })
})
