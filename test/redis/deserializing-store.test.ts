/**
 * Stores that deserialize (Redis, KV, SQL) hand back fresh objects; the engine must return them
 * deeply frozen however much of them the store froze.
 */
import { describe, expect, it } from 'vitest'
import { MemoryStore, type Session, SessionEngine, type SessionStore } from '../../src/index'

function deserializing(freeze: (session: Session) => Session): SessionStore {
  const inner = new MemoryStore()
  return {
    get: (id) => {
      const session = inner.get(id)
      return session === undefined ? undefined : freeze(JSON.parse(JSON.stringify(session)) as Session)
    },
    put: (session, expected) => inner.put(session, expected),
    delete: (id) => inner.delete(id),
  }
}

describe('sessions read from a deserializing store', () => {
  const variants: Array<[string, (s: Session) => Session]> = [
    ['not frozen at all', (s) => s],
    ['frozen only at the top', (s) => Object.freeze(s)],
    ['frozen down to the namespaces object', (s) => (Object.freeze(s.namespaces), Object.freeze(s))],
  ]
  for (const [name, freeze] of variants) {
    it(`come back deeply frozen when the store returns them ${name}`, async () => {
      const engine = new SessionEngine({ store: deserializing(freeze) })
      const { session } = await engine.create({ public: { list: [{ a: [1] }] } })
      const read = (await engine.get(session.id))!
      expect(read).toEqual(session)
      const list = read.namespaces.public!.list as ReadonlyArray<{ a: number[] }>
      for (const value of [read, read.namespaces, read.namespaces.public, list, list[0], list[0]!.a]) expect(Object.isFrozen(value)).toBe(true)
    })
  }
})
