/** engine.rotateId: a new id for the same session (login), atomic against writers of the old id. */
import { describe, expect, it } from 'vitest'
import { ConflictError, InvalidValueError, ManualClock, MemoryStore, type Session, SessionEngine, SessionNotFoundError, type SessionStore, StoreError } from '../../src/index'
import { authenticationApp, commerceApps } from '../support/commerce'
import { SpyStore, rejection } from '../support/helpers'

/** MemoryStore without the optional rotate: the engine's compare-and-set fallback. */
class PlainStore extends SpyStore {}

function ids(...list: string[]): () => string {
  let i = 0
  return () => list[i++ % list.length]!
}

describe('engine.rotateId', () => {
  it('gives a new id with the same namespaces, the next version and createdAt kept; the old id is gone', async () => {
    for (const store of [new MemoryStore(), new PlainStore()]) {
      const clock = new ManualClock(1_000)
      const engine = new SessionEngine({ apps: commerceApps, store, clock, ttlMs: 60_000, generateId: ids('old-id-0000000000000000', 'new-id-0000000000000000') })
      const { session } = await engine.create({ public: { country: 'US' } })
      clock.advance(500)
      const rotated = await engine.rotateId(session.id)
      expect(rotated).toEqual({ ...session, id: 'new-id-0000000000000000', version: 2, updatedAt: 1_500, expiresAt: 61_500 })
      expect(Object.isFrozen(rotated)).toBe(true)
      expect(await engine.get(session.id)).toBeUndefined()
      expect(await engine.get(rotated.id)).toEqual(rotated)
      await rejection(engine.patch(session.id, { public: { country: 'DE' } }), SessionNotFoundError, 'SESSION_NOT_FOUND')
      // the history continues under the new id
      const { session: next } = await engine.patch(rotated.id, { public: { country: 'DE' } })
      expect(next.version).toBe(3)
    }
  })

  it('a login flow: rotate, then write the host-owned cookie on the new id', async () => {
    const engine = new SessionEngine({ apps: [authenticationApp] })
    const { session: anonymous } = await engine.create({ public: { cart: ['sku-1'] } })
    const rotated = await engine.rotateId(anonymous.id)
    const { session } = await engine.patch(rotated.id, { cookie: { authToken: 'user:7:ann@example.com' } }, { allow: ['cookie'] })
    expect(session.namespaces.authentication).toEqual({ storeUserId: '7', storeUserEmail: 'ann@example.com' })
    expect(session.namespaces.public).toEqual({ cart: ['sku-1'] })
    expect(await engine.get(anonymous.id)).toBeUndefined()
  })

  it('an unknown, expired or malformed id is refused', async () => {
    const clock = new ManualClock(0)
    const engine = new SessionEngine({ clock, ttlMs: 100 })
    await rejection(engine.rotateId('nope-0000000000000000000'), SessionNotFoundError, 'SESSION_NOT_FOUND')
    const { session } = await engine.create()
    clock.advance(100)
    await rejection(engine.rotateId(session.id), SessionNotFoundError, 'SESSION_NOT_FOUND')
    for (const bad of ['', 'a b', 'x'.repeat(129), 42, null]) await rejection(engine.rotateId(bad as never), InvalidValueError, 'INVALID_VALUE')
  })

  it('a generated id equal to the old one, or already taken, is never used: another is drawn', async () => {
    for (const store of [new MemoryStore(), new PlainStore()]) {
      const engine = new SessionEngine({ store, generateId: ids('a-000000000000000000000', 'b-000000000000000000000', 'a-000000000000000000000', 'b-000000000000000000000', 'c-000000000000000000000') })
      const { session: a } = await engine.create({ public: { who: 'a' } })
      const { session: b } = await engine.create({ public: { who: 'b' } })
      const rotated = await engine.rotateId(a.id)
      expect(rotated.id).toBe('c-000000000000000000000')
      expect((await engine.get(b.id))?.namespaces).toEqual(b.namespaces)
      expect(rotated.namespaces).toEqual(a.namespaces)
    }
  })

  it('gives up with ConflictError when no free id comes up', async () => {
    const engine = new SessionEngine({ generateId: () => 'same-id-000000000000000', maxConflictRetries: 2 })
    const { session } = await engine.create()
    await rejection(engine.rotateId(session.id), ConflictError, 'CONFLICT')
    expect(await engine.get(session.id)).toEqual(session)
  })

  it('store failures are StoreError; a rotate answering garbage too; nothing changes', async () => {
    const inner = new MemoryStore()
    const failing: SessionStore = {
      get: (id) => inner.get(id),
      put: (s, e) => inner.put(s, e),
      delete: (id) => inner.delete(id),
      rotate: () => {
        throw new Error('redis is down')
      },
    }
    const engine = new SessionEngine({ store: failing })
    const { session } = await engine.create()
    const error = await rejection(engine.rotateId(session.id), StoreError, 'STORE')
    expect(error.operation).toBe('rotate')
    const garbage = new SessionEngine({ store: { ...failing, rotate: () => 'yes' as never } })
    const { session: other } = await garbage.create()
    await rejection(garbage.rotateId(other.id), StoreError, 'STORE')
    expect(inner.get(session.id)).toEqual(session)
    expect(inner.get(other.id)).toEqual(other)
  })

  it('concurrent calls of one engine on the old id queue behind each other: a patch queued before is kept', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({ public: { n: 0 } })
    const patched = engine.patch(session.id, { public: { n: 1 } })
    const rotated = engine.rotateId(session.id)
    const late = engine.patch(session.id, { public: { n: 2 } })
    expect((await patched).session.version).toBe(2)
    const moved = await rotated
    expect(moved.namespaces.public).toEqual({ n: 1 })
    await rejection(late, SessionNotFoundError, 'SESSION_NOT_FOUND')
  })
})

describe('rotateId without store.rotate: compare-and-set on both ids', () => {
  it('a write of the old id by another process between read and retire undoes the new id and retries with the newer data', async () => {
    const store = new PlainStore()
    const engine = new SessionEngine({ store, generateId: ids('old-000000000000000000', 'new1-00000000000000000', 'new2-00000000000000000') })
    const { session } = await engine.create({ public: { n: 0 } })
    // another process saves version 2 of the old id just before the rotation retires it
    const put = store.put.bind(store)
    let raced = false
    store.put = (s: Session, expected: number | undefined) => {
      if (!raced && s.id === session.id) {
        raced = true
        expect(store.inner.put(Object.freeze({ ...session, version: 2, namespaces: Object.freeze({ public: Object.freeze({ n: 1 }) }) }), 1)).toBe(true)
      }
      return put(s, expected)
    }
    const rotated = await engine.rotateId(session.id)
    expect(raced).toBe(true)
    expect(rotated.id).toBe('new2-00000000000000000')
    expect(rotated.version).toBe(3)
    expect(rotated.namespaces.public).toEqual({ n: 1 })
    expect(store.inner.get('new1-00000000000000000')).toBeUndefined()
    expect(await engine.get(session.id)).toBeUndefined()
  })

  it('a failure after the new id was written leaves the old session valid', async () => {
    const store = new PlainStore()
    const engine = new SessionEngine({ store })
    const { session } = await engine.create({ public: { n: 0 } })
    store.failPuts = 0
    const put = store.put.bind(store)
    store.put = (s: Session, expected: number | undefined) => {
      if (s.id === session.id) throw new Error('connection lost')
      return put(s, expected)
    }
    await rejection(engine.rotateId(session.id), StoreError, 'STORE')
    expect(await engine.get(session.id)).toEqual(session)
  })

  it('many rotations of one session from several engines: exactly one wins per version, the data stays', async () => {
    const store = new PlainStore()
    const engines = Array.from({ length: 6 }, () => new SessionEngine({ store, maxConflictRetries: 100 }))
    const { session } = await engines[0]!.create({ public: { keep: true } })
    const results = await Promise.allSettled(engines.map((engine) => engine.rotateId(session.id)))
    const winners = results.filter((r) => r.status === 'fulfilled')
    expect(winners).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('SESSION_NOT_FOUND')
    const moved = (winners[0] as PromiseFulfilledResult<Session>).value
    expect(await engines[3]!.get(moved.id)).toEqual(moved)
    expect(moved.namespaces).toEqual(session.namespaces)
    expect(store.inner.size).toBe(1)
  })
})

