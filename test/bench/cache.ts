/**
 * The transform cache's effect: a wave whose only app is an async lookup that waits 10 ms, with
 * the result in the cache (hit) and without a cache (every call waits). Wall time, since a miss
 * is mostly waiting.
 */
import { type Namespaces, SessionEngine, cacheTransforms, defineApp } from '../../src/index'
import { measure } from './measure'
import type { Row, SuiteSize } from './suite'

const LOOKUP_MS = 10

function regionApp(cached: boolean) {
  return defineApp({
    name: 'region',
    input: { public: ['country', 'postalCode'] },
    output: { checkout: ['regionId'] },
    ...(cached ? { cache: { ttlMs: 3_600_000 } } : {}),
    transform: async (input) => {
      await new Promise((resolve) => setTimeout(resolve, LOOKUP_MS))
      return { checkout: { regionId: `${String(input.public.country)}-${String(input.public.postalCode).slice(0, 1)}` } }
    },
  })
}

/** Rows of the `cache` section: ms per cycle on a hit and on a miss, and their ratio. */
export async function cacheRows(size: SuiteSize): Promise<Row[]> {
  const cached = new SessionEngine({ apps: [regionApp(true)], transformCache: cacheTransforms() })
  const uncached = new SessionEngine({ apps: [regionApp(false)] })
  // every call changes the postal code from another value to the cached one: the wave runs each time
  const { namespaces } = await cached.runCreate({ public: { country: 'DE', postalCode: '20095' } })
  const base: Namespaces = namespaces
  const changes = { public: { postalCode: '10115' } }
  const first = await cached.runTransform(base, changes) // fills the cache
  if (first.report.waves[0]?.apps[0]?.cached === true) throw new Error('the first call must miss')
  const hitMs = await measure(() => cached.runTransform(base, changes), { batch: 200, samples: size.samples, clock: 'wall' })
  const check = await cached.runTransform(base, changes)
  if (check.report.waves[0]?.apps[0]?.cached !== true || check.namespaces.checkout?.regionId !== 'DE-1') throw new Error('expected a cache hit')
  const missMs = await measure(() => uncached.runTransform(base, changes), { batch: 3, samples: Math.min(size.samples, 5), warmup: 1, clock: 'wall' })
  return [
    { section: 'cache', name: `cycle with a cached ${LOOKUP_MS} ms async lookup (hit)`, value: hitMs, unit: 'ms', target: '< 1', ok: hitMs < 1 },
    { section: 'cache', name: '  same cycle without cache', value: missMs, unit: 'ms' },
    { section: 'cache', name: '  speed-up of a hit', value: missMs / hitMs, unit: 'x' },
  ]
}
