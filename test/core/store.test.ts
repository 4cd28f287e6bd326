import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ConflictError, ManualClock, MemoryStore, SessionEngine, SessionNotFoundError, StoreError, defineApp, recipe, jsonPatch } from '../../src/index'
import type { Session, SessionStore } from '../../src/index'
import { SpyStore, isDeepFrozen, rejection } from '../support/helpers'

/**
 * A store shared with "another process": the first `conflicts` puts find that the other process
 * has just written the session (public.other = n, version + 1) and fail the compare-and-set.
 */
class ContendedStore implements SessionStore {
  readonly inner = new MemoryStore()
  conflicts = 0
  puts = 0
  otherWrites = 0

  async get(id: string): Promise<Session | undefined> {
    await Promise.resolve()
    return this.inner.get(id)
  }

  async put(session: Session, expectedVersion: number | undefined): Promise<boolean> {
    this.puts++
    if (expectedVersion !== undefined && this.conflicts > 0) {
      this.conflicts--
      const current = this.inner.get(session.id)!
      const other = ++this.otherWrites
      const written = {
        ...current,
        version: current.version + 1,
        namespaces: { ...current.namespaces, public: { ...current.namespaces.public, other } },
      }
      this.inner.put(written, current.version)
      return false
    }
    return this.inner.put(session, expectedVersion)
  }

  delete(id: string): void {
    this.inner.delete(id)
  }
}

const sum = defineApp({
  name: 'sum',
  input: { public: ['mine', 'other'] },
  output: { d: ['sum'] },
  transform: (i) => ({ d: { sum: Number(i.public.mine ?? 0) + Number(i.public.other ?? 0) } }),
})

describe('compare-and-set conflicts with another process', () => {
  it('re-reads and re-runs the cycle with the caller changes; the other writer is not lost', async () => {
    const store = new ContendedStore()
    const engine = new SessionEngine({ store, apps: [sum] })
    const { session } = await engine.create()
    store.conflicts = 3
    const { session: after, report } = await engine.patch(session.id, { public: { mine: 10 } })
    expect(report.attempts).toBe(4)
    expect(after.version).toBe(5) // 1 + three writes by the other process + ours
    expect(after.namespaces).toEqual({ public: { mine: 10, other: 3 }, d: { sum: 13 } })
    expect(store.inner.get(session.id)).toBe(after)
  })

  it('gives up with ConflictError after maxConflictRetries re-runs; our change is not saved', async () => {
    const store = new ContendedStore()
    const engine = new SessionEngine({ store, apps: [sum], maxConflictRetries: 2 })
    const { session } = await engine.create()
    store.conflicts = 3
    const error = await rejection(engine.patch(session.id, { public: { mine: 10 } }), ConflictError, 'CONFLICT')
    expect(error.sessionId).toBe(session.id)
    expect(store.puts).toBe(1 + 3) // create + three attempts
    const stored = store.inner.get(session.id)!
    expect(stored.namespaces.public).toEqual({ other: 3 })
  })

  it('succeeds on the last allowed retry', async () => {
    const store = new ContendedStore()
    const engine = new SessionEngine({ store, apps: [sum], maxConflictRetries: 2 })
    const { session } = await engine.create()
    store.conflicts = 2
    const { report } = await engine.patch(session.id, { public: { mine: 1 } })
    expect(report.attempts).toBe(3)
  })

  it('touch re-reads after a conflict and renews the session the other process wrote', async () => {
    const store = new ContendedStore()
    const clock = new ManualClock(0)
    const engine = new SessionEngine({ store, clock, ttlMs: 100 })
    const { session } = await engine.create({ public: { mine: 1 } })
    store.conflicts = 2
    clock.advance(50)
    const touched = await engine.touch(session.id)
    expect(touched).toMatchObject({ version: 3, updatedAt: 50, expiresAt: 150 })
    expect(touched.namespaces.public).toEqual({ mine: 1, other: 2 })
    expect(store.inner.get(session.id)).toBe(touched)
  })

  it('re-runs recipes and JSON Patches against the re-read session', async () => {
    const store = new ContendedStore()
    const engine = new SessionEngine({ store })
    const { session } = await engine.create({ public: { n: 0 } })
    store.conflicts = 1
    const r = await engine.patch(session.id, recipe((d) => {
      d.public!.n = Number(d.public!.n) + Number(d.public!.other ?? 0) + 1
    }))
    expect(r.session.namespaces.public).toEqual({ n: 2, other: 1 })
    store.conflicts = 1
    const r2 = await engine.patch(session.id, jsonPatch([{ op: 'copy', from: '/public/other', path: '/public/copy' }]))
    expect(r2.session.namespaces.public).toEqual({ n: 2, other: 2, copy: 2 })
  })

  it('a store that throws ConflictError on put counts as a conflict; maxConflictRetries 0 gives up at once', async () => {
    const inner = new MemoryStore()
    let throwOnPut = false
    const store: SessionStore = {
      get: (id) => inner.get(id),
      put: (s, v) => {
        if (throwOnPut) throw new ConflictError(s.id, 1)
        return inner.put(s, v)
      },
      delete: (id) => inner.delete(id),
    }
    const engine = new SessionEngine({ store, maxConflictRetries: 0 })
    const { session } = await engine.create()
    throwOnPut = true
    await rejection(engine.patch(session.id, { public: { a: 1 } }), ConflictError, 'CONFLICT')
    await rejection(engine.touch(session.id), ConflictError, 'CONFLICT')
    expect(inner.get(session.id)).toBe(session)
  })

  it('two engines sharing one store (two processes) lose no increment', async () => {
    const shared = new MemoryStore()
    const slowStore: SessionStore = {
      get: async (id) => {
        await new Promise((r) => setTimeout(r, 0))
        return shared.get(id)
      },
      put: async (s, v) => {
        await new Promise((r) => setTimeout(r, 0))
        return shared.put(s, v)
      },
      delete: (id) => shared.delete(id),
    }
    const a = new SessionEngine({ store: slowStore, maxConflictRetries: 50 })
    const b = new SessionEngine({ store: slowStore, maxConflictRetries: 50 })
    const { session } = await a.create({ public: { n: 0 } })
    const increment = (d: { [ns: string]: { [k: string]: unknown } }) => {
      d.public!.n = Number(d.public!.n) + 1
    }
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).patch(session.id, recipe(increment as never))))
    const final = shared.get(session.id)!
    expect(final.namespaces.public).toEqual({ n: 10 })
    expect(final.version).toBe(11)
    // the two engines really did conflict, and retried
    expect(results.some((r) => r.report.attempts > 1)).toBe(true)
  })
})

describe('stores that serialize', () => {
  it('sessions read back from a JSON store are frozen and patch normally', async () => {
    const data = new Map<string, string>()
    const store: SessionStore = {
      get: async (id) => {
        const text = data.get(id)
        return text === undefined ? undefined : (JSON.parse(text) as Session)
      },
      put: async (session, expected) => {
        const current = data.get(session.id)
        const version = current === undefined ? undefined : (JSON.parse(current) as Session).version
        if (version !== expected) return false
        data.set(session.id, JSON.stringify(session))
        return true
      },
      delete: async (id) => void data.delete(id),
    }
    const engine = new SessionEngine({ store, apps: [sum] })
    const { session } = await engine.create({ public: { mine: 1 } })
    const read = (await engine.get(session.id))!
    expect(read).not.toBe(session)
    expect(read).toEqual(session)
    expect(Object.isFrozen(read.namespaces.public)).toBe(true)
    const r = await engine.patch(session.id, { public: { other: 2 } })
    expect(r.session.namespaces).toEqual({ public: { mine: 1, other: 2 }, d: { sum: 3 } })
    expect(r.session.version).toBe(2)
    expect(JSON.parse(data.get(session.id)!)).toEqual(r.session)
  })
})

describe('sessions the engine froze itself', () => {
  it('one of its own sessions handed back under another id is still a StoreError', async () => {
    const inner = new MemoryStore()
    const engine = new SessionEngine({ store: inner })
    const { session: a } = await engine.create({ public: { a: 1 } })
    const { session: b } = await engine.create({ public: { b: 1 } })
    const mixedUp = new SessionEngine({ store: { get: () => inner.get(a.id), put: (s, v) => inner.put(s, v), delete: () => {} } })
    const error = await rejection(mixedUp.get(b.id), StoreError, 'STORE')
    expect(error.operation).toBe('get')
    await rejection(mixedUp.patch(b.id, { public: { b: 2 } }), StoreError, 'STORE')
    expect(inner.get(b.id)).toBe(b)
  })

  it('a deserialized session is checked and frozen when loaded, then served as it is', async () => {
    let answer: unknown
    const inner = new MemoryStore()
    const engine = new SessionEngine({ store: { get: () => answer as Session, put: (s, v) => inner.put(s, v), delete: () => {} } })
    const { session } = await engine.create({ public: { a: { deep: [1] } } })
    answer = JSON.parse(JSON.stringify(session))
    const first = (await engine.get(session.id))!
    expect(first).toBe(answer)
    expect(isDeepFrozen(first)).toBe(true)
    expect(await engine.get(session.id)).toBe(first)
    // an expired session stays absent however it was loaded before
    answer = { ...first, expiresAt: 0 }
    expect(await engine.get(session.id)).toBeUndefined()
  })
})

describe('store failures', () => {
  it('a throwing get surfaces as StoreError(get)', async () => {
    const store = new SpyStore()
    const engine = new SessionEngine({ store })
    const { session } = await engine.create({ public: { a: 1 } })
    store.failGet = true
    const e1 = await rejection(engine.get(session.id), StoreError, 'STORE')
    expect(e1.operation).toBe('get')
    expect((e1.cause as Error).message).toBe('get is down')
    await rejection(engine.patch(session.id, { public: { a: 2 } }), StoreError, 'STORE')
    await rejection(engine.touch(session.id), StoreError, 'STORE')
    store.failGet = false
    expect(await engine.get(session.id)).toBe(session)
  })

  it('a throwing put surfaces as StoreError(put), with the stored session untouched', async () => {
    const store = new SpyStore()
    const clock = new ManualClock(0)
    const engine = new SessionEngine({ store, clock })
    const { session } = await engine.create({ public: { a: 1 } })
    store.failPut = true
    clock.advance(10)
    const e = await rejection(engine.patch(session.id, { public: { a: 2 } }), StoreError, 'STORE')
    expect(e.operation).toBe('put')
    await rejection(engine.patch(session.id, jsonPatch([{ op: 'add', path: '/public/b', value: 1 }])), StoreError, 'STORE')
    await rejection(engine.touch(session.id), StoreError, 'STORE')
    await rejection(engine.create({ public: { a: 1 } }), StoreError, 'STORE')
    expect(store.inner.size).toBe(1)
    expect(store.inner.get(session.id)).toBe(session)
    store.failPut = false
    const r = await engine.patch(session.id, { public: { a: 2 } })
    expect(r.session.version).toBe(2)
  })

  it('a throwing delete surfaces as StoreError(delete), with the stored session untouched', async () => {
    const store = new SpyStore()
    const engine = new SessionEngine({ store })
    const { session } = await engine.create()
    store.failDelete = true
    const e = await rejection(engine.delete(session.id), StoreError, 'STORE')
    expect(e.operation).toBe('delete')
    expect(store.inner.get(session.id)).toBe(session)
  })

  it('a store whose put returns a non-boolean is a StoreError', async () => {
    const inner = new MemoryStore()
    const store = { get: (id: string) => inner.get(id), put: () => 'ok', delete: () => undefined } as unknown as SessionStore
    const engine = new SessionEngine({ store })
    await rejection(engine.create(), StoreError, 'STORE')
  })

  it('a rejected promise from the store is a StoreError too', async () => {
    const store: SessionStore = {
      get: () => Promise.reject(new Error('network')),
      put: () => Promise.reject(new Error('network')),
      delete: () => Promise.reject(new Error('network')),
    }
    const engine = new SessionEngine({ store })
    await rejection(engine.create(), StoreError, 'STORE')
    await rejection(engine.get('x'), StoreError, 'STORE')
    await rejection(engine.delete('x'), StoreError, 'STORE')
  })

  it('a failed call does not block later calls on the same session', async () => {
    const store = new SpyStore()
    const engine = new SessionEngine({ store })
    const { session } = await engine.create()
    store.failPuts = 1
    const failing = engine.patch(session.id, { public: { a: 1 } })
    // queued behind the failing call; the store recovers after one failed put
    const next = engine.patch(session.id, recipe((d) => {
      d.public!.b = Object.keys(d.public!).length
    }))
    await rejection(failing, StoreError, 'STORE')
    expect((await next).session.namespaces.public).toEqual({ b: 0 })
  })
})

describe('concurrency within one engine', () => {
  it('20 concurrent patches on one session all land, with versions 2..21', async () => {
    let runs = 0
    const app = defineApp({
      name: 'count',
      input: { public: ['n'] },
      output: { d: ['keys'] },
      transform: async (i) => {
        runs++
        await new Promise((r) => setTimeout(r, 0))
        return { d: { keys: i.public.n ?? null } }
      },
    })
    const engine = new SessionEngine({ apps: [app] })
    const { session } = await engine.create()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => engine.patch(session.id, { public: { [`k${i}`]: i, n: i } })),
    )
    expect(results.map((r) => r.session.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2))
    expect(results.every((r) => r.report.attempts === 1)).toBe(true)
    const final = (await engine.get(session.id))!
    expect(final.version).toBe(21)
    for (let i = 0; i < 20; i++) expect(final.namespaces.public![`k${i}`]).toBe(i)
    expect(final.namespaces.d).toEqual({ keys: 19 })
    expect(runs).toBe(20) // n goes absent -> 0 -> ... -> 19: every patch changes it
  })

  it('concurrent recipes read the result of the previous call (no lost update)', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({ public: { n: 0 } })
    await Promise.all(
      Array.from({ length: 20 }, () =>
        engine.patch(session.id, recipe((d) => {
          d.public!.n = Number(d.public!.n) + 1
        })),
      ),
    )
    expect((await engine.get(session.id))!.namespaces.public).toEqual({ n: 20 })
  })

  it('calls on different sessions do not wait for each other', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const app = defineApp({
      name: 'gate',
      input: { public: ['wait'] },
      transform: async (i) => {
        if (i.public.wait === true) await gate
      },
    })
    const engine = new SessionEngine({ apps: [app] })
    const a = (await engine.create()).session
    const b = (await engine.create()).session
    const blocked = engine.patch(a.id, { public: { wait: true } })
    const free = await engine.patch(b.id, { public: { wait: false } })
    expect(free.session.version).toBe(2)
    release()
    expect((await blocked).session.version).toBe(2)
  })
})

describe('MemoryStore expiry and bounds', () => {
  const session = (id: string, version: number, expiresAt: number): Session =>
    Object.freeze({ id, version, createdAt: 0, updatedAt: 0, expiresAt, namespaces: Object.freeze({}) })

  it('a write expecting the version of an expired session fails; a create over it succeeds (as on Redis)', () => {
    const clock = new ManualClock(0)
    const store = new MemoryStore({ now: () => clock.now() })
    expect(store.put(session('a', 1, 100), undefined)).toBe(true)
    clock.set(100)
    expect(store.put(session('a', 2, 200), 1)).toBe(false)
    expect(store.get('a')).toBeUndefined()
    expect(store.put(session('a', 1, 300), undefined)).toBe(true)
    expect(store.get('a')?.expiresAt).toBe(300)
  })

  it('a patch whose transform outlives the ttl does not revive the session', async () => {
    const clock = new ManualClock(0)
    const slow = defineApp({
      name: 'slow',
      input: { public: ['n'] },
      output: { d: ['n'] },
      transform: (i) => {
        clock.advance(2_000) // the session expires while the cycle runs
        return { d: { n: i.public.n ?? null } }
      },
    })
    const engine = new SessionEngine({ clock, ttlMs: 1_000, apps: [slow] })
    const { session: created } = await engine.create()
    await rejection(engine.patch(created.id, { public: { n: 1 } }), SessionNotFoundError, 'SESSION_NOT_FOUND')
    expect(await engine.get(created.id)).toBeUndefined()
  })

  it('drops expired sessions on writes without sweep(): at most about two ttl windows are held', () => {
    const clock = new ManualClock(0)
    const store = new MemoryStore({ now: () => clock.now() })
    const ttl = 1_000
    let most = 0
    for (let i = 0; i < 1_000_000; i++) {
      store.put(session(`s${i}`, 1, clock.now() + ttl), undefined)
      clock.advance(1)
      if (store.size > most) most = store.size
    }
    // one write per ms: ttl sessions alive, plus those expired since the sweep last passed them
    expect(most).toBeLessThanOrEqual(2 * ttl + 2)
    expect(store.sweep()).toBeLessThanOrEqual(ttl + 2)
  })

  it("the default engine's memory stays flat across 1,000,000 short-lived sessions (heap after gc, child process)", () => {
    const fixture = fileURLToPath(new URL('./fixtures/memory-flat.ts', import.meta.url))
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fixture, '1000000', '100000', '1000'], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    })
    const { warm, final, lastAlive } = JSON.parse(out) as { warm: number; final: number; lastAlive: boolean }
    expect(lastAlive).toBe(true)
    // retained, 1,000,000 sessions would be hundreds of MB; bounded, the heap after 10x the sessions is about the same
    expect(final - warm).toBeLessThan(16 * 1024 * 1024)
  }, 120_000)
})

describe('MemoryStore basics', () => {
  it('MemoryStore compare-and-set: a new session expects none; a put expects the stored version', () => {
    const store = new MemoryStore()
    const s1 = Object.freeze({ id: 'a', version: 1, createdAt: 0, updatedAt: 0, expiresAt: 10, namespaces: {} })
    const s2 = Object.freeze({ ...s1, version: 2 })
    expect(store.put(s1, undefined)).toBe(true)
    expect(store.put(s1, undefined)).toBe(false)
    expect(store.put(s2, 2)).toBe(false)
    expect(store.put(s2, 1)).toBe(true)
    expect(store.get('a')).toBe(s2)
    store.delete('a')
    expect(store.get('a')).toBeUndefined()
  })

  it('MemoryStore with a clock drops expired sessions on read and on sweep', () => {
    let now = 0
    const store = new MemoryStore({ now: () => now })
    const mk = (id: string, expiresAt: number) => Object.freeze({ id, version: 1, createdAt: 0, updatedAt: 0, expiresAt, namespaces: {} })
    store.put(mk('a', 10), undefined)
    store.put(mk('b', 20), undefined)
    now = 10
    expect(store.get('a')).toBeUndefined()
    expect(store.size).toBe(1)
    now = 20
    expect(store.sweep()).toBe(1)
    expect(store.size).toBe(0)
  })
})
