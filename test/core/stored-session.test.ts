import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidValueError, ManualClock, MemoryStore, type Session, SessionEngine, type SessionStore, StoreError } from '../../src/index'
import { fcParams } from '../support/fc'

/** A store that keeps JSON text, as Redis or a KV store does: every read is a fresh, unmarked object. */
class JsonStore implements SessionStore {
  readonly #text = new Map<string, string>()
  get(id: string): Session | undefined {
    const text = this.#text.get(id)
    return text === undefined ? undefined : (JSON.parse(text) as Session)
  }
  put(session: Session, expected: number | undefined): boolean {
    const current = this.get(session.id)
    if (current?.version !== expected) return false
    this.#text.set(session.id, JSON.stringify(session))
    return true
  }
  delete(id: string): void {
    this.#text.delete(id)
  }
}

type Step = { kind: 'patch'; key: string; value: string | undefined } | { kind: 'touch' } | { kind: 'rotate' }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('patch' as const), key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }) }),
  fc.constant({ kind: 'touch' as const }),
  fc.constant({ kind: 'rotate' as const }),
)

/** Runs the steps on an engine over `store`; what each step did (the session's JSON after it, or the limit that refused it). */
async function outcomes(store: SessionStore, steps: readonly Step[]): Promise<string[]> {
  const engine = new SessionEngine({ store, clock: new ManualClock(0), limits: { maxSessionBytes: 120 } })
  let id = (await engine.create({ public: { a: 'x' } })).session.id
  const seen: string[] = []
  for (const s of steps) {
    try {
      if (s.kind === 'patch') seen.push(JSON.stringify((await engine.patch(id, { public: { [s.key]: s.value } })).session.namespaces))
      else if (s.kind === 'touch') seen.push(JSON.stringify((await engine.touch(id)).namespaces))
      else {
        const next = await engine.rotateId(id)
        id = next.id
        seen.push(JSON.stringify(next.namespaces))
      }
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error
      seen.push(`refused: ${error.limit}`)
    }
  }
  return seen
}

describe('stored sessions', () => {
  it('property: the size limit decides alike for a session the engine saved (size recorded with it) and one a deserializing store hands back (size measured)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const own = await outcomes(new MemoryStore(), steps)
        const parsed = await outcomes(new JsonStore(), steps)
        expect(own).toEqual(parsed)
        // the limit is exact: every saved session fits, and a refused step left the session as it was
        for (const s of own) if (!s.startsWith('refused')) expect(new TextEncoder().encode(s).length).toBeLessThanOrEqual(120)
      }),
      fcParams(150),
    )
  })

  it('refuses a write that would pass maxSessionBytes, after touch and rotateId kept the recorded size', async () => {
    const engine = new SessionEngine({ clock: new ManualClock(0), limits: { maxSessionBytes: 60 } })
    const { session } = await engine.create({ public: { a: 'x'.repeat(20) } })
    const touched = await engine.touch(session.id)
    const rotated = await engine.rotateId(touched.id)
    // what fits: 60 bytes minus the session with an empty b
    const room = 60 - JSON.stringify({ public: { a: 'x'.repeat(20), b: '' } }).length
    await expect(engine.patch(rotated.id, { public: { b: 'y'.repeat(room + 1) } })).rejects.toMatchObject({ limit: 'maxSessionBytes' })
    const ok = await engine.patch(rotated.id, { public: { b: 'y'.repeat(room) } })
    expect(JSON.stringify(ok.session.namespaces).length).toBe(60)
  })

  it('a deserialized session saved under larger limits stays readable, and the next write is held to the limits in force', async () => {
    const store = new JsonStore()
    const { session } = await new SessionEngine({ store, limits: { maxStringLength: 100_000, maxSessionBytes: 200_000 } }).create({ public: { a: 'x'.repeat(80_000) } })
    const engine = new SessionEngine({ store })
    const read = (await engine.get(session.id))!
    expect(read.namespaces).toEqual(session.namespaces)
    expect(Object.isFrozen(read.namespaces.public)).toBe(true)
    await expect(engine.patch(session.id, { public: { b: 1 } })).rejects.toMatchObject({ limit: 'maxSessionBytes' })
    const smaller = await engine.patch(session.id, { public: { a: 'y' } })
    expect(smaller.session.version).toBe(2)
  })

  it('a deserialized session holding a reserved name (which no write can store) is a StoreError, as any other garbage', async () => {
    const envelope = '"id":"s1","version":1,"createdAt":0,"updatedAt":0,"expiresAt":1e12'
    for (const namespaces of ['{"public":{"a":{"__proto__":{"x":1}}}}', '{"constructor":{}}', '{"public":{"prototype":1}}']) {
      const engine = new SessionEngine({ store: { get: () => JSON.parse(`{${envelope},"namespaces":${namespaces}}`) as Session, put: () => true, delete: () => {} } })
      const error = await engine.get('s1').then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, namespaces).toBeInstanceOf(StoreError)
      expect((error as StoreError).operation).toBe('get')
      expect(String(((error as StoreError).cause as Error).message)).toMatch(/reserved name/)
    }
  })
})
