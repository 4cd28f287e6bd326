/**
 * The store conformance suite (`sessionflow/testing`) on MemoryStore, and proof that it catches
 * broken stores. RedisStore runs it in test/redis/conformance.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { MemoryStore, type Session, type SessionStore } from '../../src/index'
import { storeConformance } from '../../src/testing'
import { withoutRotate } from '../support/helpers'

describe('MemoryStore passes the store conformance suite', () => {
  for (const check of storeConformance(() => new MemoryStore())) it(check.name, check.run)
})

describe('MemoryStore with a clock passes the store conformance suite', () => {
  for (const check of storeConformance(() => new MemoryStore({ now: () => Date.now() }))) it(check.name, check.run)
})

describe('MemoryStore without rotate passes the store conformance suite (the engine falls back to compare-and-set)', () => {
  for (const check of storeConformance(() => withoutRotate(new MemoryStore({ now: () => Date.now() })))) it(check.name, check.run)
})

describe('the store conformance suite', () => {
  it('holds the checks the guarantees rely on, which every store above (and RedisStore) passes', () => {
    const names = storeConformance(() => new MemoryStore()).map((check) => check.name)
    for (const name of [
      'expiry during a call: a patch whose cycle outlives the session fails with SessionNotFoundError and does not revive it',
      'ttl bounds: a write with an expiresAt the store cannot hold is refused whole or stored whole, never half',
    ]) {
      expect(names).toContain(name)
    }
    expect(new Set(names).size).toBe(names.length)
  })
})

/** Stores with one defect each, and checks that must catch it. */
const broken: Array<{ defect: string; make: () => SessionStore; caughtBy: RegExp[] }> = [
  {
    defect: 'put ignores expectedVersion',
    make: () => {
      const map = new Map<string, Session>()
      return { get: (id) => map.get(id), put: (s) => (map.set(s.id, s), true), delete: (id) => void map.delete(id) }
    },
    caughtBy: [/already stored/, /stale or future/, /nothing is stored/, /concurrent creates/, /lose no update/],
  },
  {
    defect: 'put compares the expected version with the new one instead of the stored one',
    make: () => {
      const store = new MemoryStore()
      return { get: (id) => store.get(id), put: (s, expected) => (expected !== undefined && expected !== s.version - 1 ? false : (store.delete(s.id), store.put(s, undefined))), delete: (id) => store.delete(id) }
    },
    caughtBy: [/already stored/, /same version/, /stale or future/],
  },
  {
    defect: 'put resolves to a truthy non-boolean',
    make: () => {
      const store = new MemoryStore()
      return { get: (id) => store.get(id), put: async (s, e) => (store.put(s, e) ? 1 : 0) as unknown as boolean, delete: (id) => store.delete(id) }
    },
    caughtBy: [/new session .* stores it/],
  },
  {
    defect: 'get returns null for unknown ids and loses empty arrays',
    make: () => {
      const map = new Map<string, string>()
      return {
        get: (id) => {
          const json = map.get(id)
          return (json === undefined ? null : JSON.parse(json.replace(/\[\]/g, '{}'))) as Session | undefined
        },
        put: (s, expected) => {
          const current = map.get(s.id)
          if ((current === undefined ? undefined : (JSON.parse(current) as Session).version) !== expected) return false
          map.set(s.id, JSON.stringify(s))
          return true
        },
        delete: (id) => void map.delete(id),
      }
    },
    caughtBy: [/unknown id/, /round-trip/],
  },
  {
    defect: 'expiry is only set when a session is created',
    make: () => {
      const store = new MemoryStore({ now: () => Date.now() })
      const firstExpiry = new Map<string, number>()
      return {
        get: (id) => store.get(id),
        put: (s, expected) => {
          if (!firstExpiry.has(s.id)) firstExpiry.set(s.id, s.expiresAt)
          return store.put({ ...s, expiresAt: firstExpiry.get(s.id)! }, expected)
        },
        delete: (id) => store.delete(id),
      }
    },
    caughtBy: [/later expiresAt/, /same version/],
  },
  {
    defect: 'rotate ignores the expected version',
    make: () => {
      const store = new MemoryStore()
      return Object.assign(withoutRotate(store), {
        rotate: (s: Session, from: string) => (store.delete(from), store.put(s, undefined)),
      })
    },
    caughtBy: [/rotate \(optional method\)/],
  },
  {
    defect: 'rotate keeps the old id',
    make: () => {
      const store = new MemoryStore()
      return Object.assign(withoutRotate(store), {
        rotate: (s: Session, from: string, expected: number) => store.get(from)?.version === expected && store.put(s, undefined),
      })
    },
    caughtBy: [/rotate \(optional method\)/, /rotateId racing/],
  },
  {
    defect: 'rotate is not atomic: it reads, waits, then writes',
    make: () => {
      const store = new MemoryStore()
      return Object.assign(withoutRotate(store), {
        rotate: async (s: Session, from: string, expected: number) => {
          if (store.get(from)?.version !== expected) return false
          await new Promise((resolve) => setTimeout(resolve, 5))
          store.delete(from)
          return store.put(s, undefined)
        },
      })
    },
    caughtBy: [/rotateId racing/],
  },
]

describe('the store conformance suite catches broken stores', () => {
  for (const { defect, make, caughtBy } of broken) {
    it(defect, async () => {
      const checks = storeConformance(make)
      const failed: string[] = []
      for (const check of checks) {
        await check.run().then(
          () => undefined,
          (error: unknown) => {
            expect(error).toBeInstanceOf(Error)
            failed.push(check.name)
          },
        )
      }
      for (const pattern of caughtBy) expect(failed.some((name) => pattern.test(name)), `a check matching ${pattern} fails`).toBe(true)
    })
  }
})
