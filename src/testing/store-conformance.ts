/**
 * A conformance suite any {@link SessionStore} can run: get/put/delete, compare-and-set, expiry and
 * concurrent writers. It is a list of named async checks rather than a vitest/jest suite so that
 * importing `sessionflow/testing` never pulls a test runner in; the caller registers the checks
 * with whatever runner it uses:
 *
 * ```ts
 * for (const check of storeConformance(() => new MyStore())) it(check.name, check.run)
 * ```
 *
 * A failing check throws an `Error` whose message starts with `store conformance:`.
 */
import { ConflictError } from '../model/errors'
import { SessionEngine } from '../core/engine'
import { defineApp } from '../core/app'
import { recipe } from '../writes/recipe'
import { MAX_TTL_MS } from '../core/options'
import { randomId } from '../util/ids'
import type { JsonValue, Namespaces, Session } from '../model/session'
import type { MaybePromise, SessionStore } from '../core/store'

/** One named check of {@link storeConformance}; `run` rejects when the store fails it. */
export interface StoreCheck {
  /** What is checked, usable as a test name. */
  readonly name: string
  /** Runs the check against a fresh store from `makeStore`. */
  readonly run: () => Promise<void>
}

/** Options of {@link storeConformance}. */
export interface StoreConformanceOptions {
  /**
   * Time used for the sessions' `createdAt`/`updatedAt`/`expiresAt`. Default `Date.now`. Stores
   * that expire keys on their own clock (Redis) need wall-clock time here.
   */
  readonly now?: () => number
  /** How far ahead the expiry checks set `expiresAt`; they wait twice this. Default 40 ms. */
  readonly expiryMs?: number
  /** Concurrent writers in the compare-and-set races and in the engine check. Default 8. */
  readonly concurrency?: number
}

const HOUR = 3_600_000

/**
 * The checks a store must pass to back a `SessionEngine`. `makeStore` is called once per check;
 * it may return stores sharing one backend (ids are random per check), e.g. a Redis store with a
 * per-run key prefix.
 */
export function storeConformance(
  makeStore: () => MaybePromise<SessionStore>,
  options: StoreConformanceOptions = {},
): StoreCheck[] {
  const now = options.now ?? (() => Date.now())
  const expiryMs = options.expiryMs ?? 40
  const concurrency = options.concurrency ?? 8
  const check = (name: string, body: (store: SessionStore) => Promise<void>): StoreCheck => ({
    name,
    run: async () => body(await makeStore()),
  })
  const make = (id: string, version: number, namespaces: Namespaces, ttl = HOUR): Session => {
    const t = now()
    return deepFreeze({ id, version, createdAt: t, updatedAt: t, expiresAt: t + ttl, namespaces })
  }

  return [
    check('get returns undefined for an unknown id', async (store) => {
      assert((await store.get(newId())) === undefined, 'get of an unknown id must return undefined')
    }),

    check('put of a new session (expectedVersion undefined) stores it; get returns it by value', async (store) => {
      const session = make(newId(), 1, { public: { country: 'DE' } })
      assert((await put(store, session, undefined)) === true, 'put of a new session must return true')
      assertSame(await store.get(session.id), session, 'get after create')
    }),

    check('session values round-trip exactly', async (store) => {
      const session = make(newId(), 7, {
        public: {
          empties: [[], {}, ''],
          nested: { a: [1, { b: [null, true, false] }], deep: { deeper: { deepest: 'x' } } },
          numbers: [0, -1, 0.1, 1e-7, 123456789.125, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
          text: 'Grüße, 你好, emoji 🛒, quotes " \' \\ slash / newline \n tab \t nul \u0000',
          long: 'x'.repeat(16_384),
        },
        'a-b_c:d': { 'key with spaces': null, '0': 'numeric-looking key' },
      })
      assert((await put(store, session, undefined)) === true, 'put must return true')
      assertSame(await store.get(session.id), session, 'get of a session with rich values')
    }),

    check('put of a new session fails when one is already stored', async (store) => {
      const first = make(newId(), 1, { public: { n: 1 } })
      assert((await put(store, first, undefined)) === true, 'first put must return true')
      const second = make(first.id, 1, { public: { n: 2 } })
      assert((await put(store, second, undefined)) === false, 'a second create of the same id must return false')
      assertSame(await store.get(first.id), first, 'the first session must stay')
    }),

    check('put with the stored version as expectedVersion replaces the session', async (store) => {
      const v1 = make(newId(), 1, { public: { n: 1 } })
      const v2 = make(v1.id, 2, { public: { n: 2 }, other: { x: [1] } })
      const v3 = make(v1.id, 3, { other: { x: [1, 2] } })
      assert((await put(store, v1, undefined)) === true, 'create must return true')
      assert((await put(store, v2, 1)) === true, 'put expecting version 1 over version 1 must return true')
      assertSame(await store.get(v1.id), v2, 'get after the first update')
      assert((await put(store, v3, 2)) === true, 'put expecting version 2 over version 2 must return true')
      assertSame(await store.get(v1.id), v3, 'get after the second update (a removed namespace stays removed)')
    }),

    check('put with a stale or future expectedVersion fails and changes nothing', async (store) => {
      const v1 = make(newId(), 1, { public: { n: 1 } })
      const v2 = make(v1.id, 2, { public: { n: 2 } })
      assert((await put(store, v1, undefined)) === true, 'create must return true')
      assert((await put(store, v2, 1)) === true, 'update must return true')
      assert((await put(store, make(v1.id, 2, { public: { n: 'stale' } }), 1)) === false, 'a put expecting the stale version 1 must return false')
      assert((await put(store, make(v1.id, 4, { public: { n: 'future' } }), 3)) === false, 'a put expecting version 3 over version 2 must return false')
      assertSame(await store.get(v1.id), v2, 'the stored session after refused puts')
    }),

    check('put expecting a version fails when nothing is stored', async (store) => {
      const session = make(newId(), 2, { public: { n: 1 } })
      assert((await put(store, session, 1)) === false, 'a put expecting version 1 of an absent session must return false')
      assert((await store.get(session.id)) === undefined, 'nothing may be stored')
    }),

    check('put may rewrite the same version (touch renews updatedAt and expiresAt)', async (store) => {
      const v1 = make(newId(), 5, { public: { n: 1 } })
      assert((await put(store, v1, undefined)) === true, 'create must return true')
      const touched = deepFreeze({ ...v1, updatedAt: v1.updatedAt + 1, expiresAt: v1.expiresAt + 1_000 })
      assert((await put(store, touched, 5)) === true, 'a put of version 5 expecting version 5 must return true')
      assertSame(await store.get(v1.id), touched, 'get after touch')
    }),

    check('delete removes a session, ignores absent ids, and the id can be created again', async (store) => {
      const session = make(newId(), 3, { public: { n: 1 } })
      assert((await put(store, session, undefined)) === true, 'create must return true')
      await store.delete(session.id)
      assert((await store.get(session.id)) === undefined, 'get after delete must return undefined')
      await store.delete(session.id)
      await store.delete(newId())
      const again = make(session.id, 1, { public: { n: 2 } })
      assert((await put(store, again, undefined)) === true, 'create after delete must return true')
      assertSame(await store.get(session.id), again, 'get after re-create')
    }),

    check('sessions are independent by id, including the longest id with every allowed character', async (store) => {
      const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:'
      const longId = (chars + newId() + chars).slice(0, 128)
      const a = make(longId, 1, { public: { who: 'a' } })
      const b = make(newId(), 1, { public: { who: 'b' } })
      const c = make(b.id + 'c', 1, { public: { who: 'c' } })
      for (const s of [a, b, c]) assert((await put(store, s, undefined)) === true, `create of ${s.id} must return true`)
      await store.delete(b.id)
      assertSame(await store.get(a.id), a, 'session a after deleting b')
      assertSame(await store.get(c.id), c, 'session c (id extends b) after deleting b')
      assert((await store.get(b.id)) === undefined, 'b must be gone')
    }),

    check('expiry: after expiresAt a session reads as absent or as expired', async (store) => {
      const session = make(newId(), 1, { public: { n: 1 } }, expiryMs)
      assert((await put(store, session, undefined)) === true, 'create must return true')
      await sleep(2 * expiryMs)
      const read = await store.get(session.id)
      assert(read === undefined || read.expiresAt <= now(), 'an expired session must read as absent (or carry its past expiresAt)')
    }),

    check('expiry: a rewrite with a later expiresAt keeps the session', async (store) => {
      for (let ttl = expiryMs; ; ttl *= 2) {
        const session = make(newId(), 1, { public: { n: 1 } }, ttl)
        assert((await put(store, session, undefined)) === true, 'create must return true')
        const renewed = deepFreeze({ ...session, updatedAt: session.updatedAt + 1, expiresAt: session.expiresAt + HOUR })
        const written = await put(store, renewed, 1)
        // on a stalled machine the first expiry can pass before the renewal arrives: the session is
        // then rightly gone; try again with more time rather than report the store
        if (!written && ttl < 16 * expiryMs && (await store.get(session.id)) === undefined) continue
        assert(written, 'renewing put must return true')
        await sleep(2 * ttl)
        assertSame(await store.get(session.id), renewed, 'a renewed session past its first expiresAt')
        return
      }
    }),

    check('expiry during a call: a patch whose cycle outlives the session fails with SessionNotFoundError and does not revive it', async (store) => {
      let slow = false
      const waiter = defineApp({
        name: 'waiter',
        input: { public: ['n'] },
        output: { derived: ['n'] },
        transform: async (input) => {
          if (slow) await sleep(3 * expiryMs)
          return { derived: { n: input.public.n ?? null } }
        },
      })
      const engine = new SessionEngine({ store, clock: { now }, ttlMs: expiryMs, apps: [waiter] })
      const { session } = await engine.create({ public: { n: 1 } })
      slow = true
      let error: unknown
      try {
        await engine.patch(session.id, { public: { n: 2 } })
      } catch (e) {
        error = e
      }
      assert(
        (error as { code?: unknown } | undefined)?.code === 'SESSION_NOT_FOUND',
        `a patch whose session expired during its cycle must fail with SESSION_NOT_FOUND, got ${error === undefined ? 'success' : String(error)}`,
      )
      const read = await store.get(session.id)
      assert(read === undefined || (read.version === 1 && read.expiresAt <= now()), 'the expired session must not be revived (no version 2 may be stored)')
      assert((await engine.get(session.id)) === undefined, 'the engine must read the session as absent')
    }),

    check('corrupt data: values at the edges of what the engine writes round-trip exactly (deep nesting, lone surrogates, escapes)', async (store) => {
      let deep: JsonValue = 'bottom'
      for (let i = 0; i < 1_000; i++) deep = i % 2 === 0 ? [deep] : { d: deep }
      const session = make(newId(), 1, {
        public: {
          deep,
          surrogates: '\ud800 lone high, \udfff lone low, \ud83d\ude00 a pair',
          separators: '\u2028\u2029\u007f\u0001',
          keys: { 'a/b': 1, 'm~n': 2, '': 3, ' ': 4, 'ä': 5, '\ud83d': 6 },
          numbers: [1e21, 5e-324, -1.5e-7, 2 ** 53 + 2],
        },
      })
      assert((await put(store, session, undefined)) === true, 'put must return true')
      assertSame(await store.get(session.id), session, 'get of a session at the edges of JSON')
    }),

    check('corrupt data: an engine over the store reads back plain, deeply frozen JSON it can write again', async (store) => {
      const engine = new SessionEngine({ store, clock: { now } })
      const { session } = await engine.create({ public: { list: [1, { a: [true, null] }], text: 'x' } })
      const read = await engine.get(session.id)
      assert(read !== undefined, 'the engine must read the session back')
      assert(isDeepFrozen(read), 'a session the engine hands out must be frozen all the way down')
      assertSame(read, session, 'the session read through the engine')
      const { session: next } = await engine.patch(session.id, { public: { text: 'y' } })
      assert(next.version === 2, 'a session read back must be writable again')
    }),

    check('ttl bounds: a session expiring at now + MAX_TTL_MS (100 years) is stored with its expiry', async (store) => {
      const session = make(newId(), 1, { public: { n: 1 } }, MAX_TTL_MS)
      assert((await put(store, session, undefined)) === true, 'put of a session expiring in 100 years must return true')
      assertSame(await store.get(session.id), session, 'get of a session expiring in 100 years')
      const engine = new SessionEngine({ store, clock: { now }, ttlMs: MAX_TTL_MS })
      const { session: created } = await engine.create({ public: { n: 1 } })
      assert((await engine.get(created.id)) !== undefined, 'an engine with ttlMs = MAX_TTL_MS must read its session back')
    }),

    check('ttl bounds: a write with an expiresAt the store cannot hold is refused whole or stored whole, never half', async (store) => {
      const v1 = make(newId(), 1, { public: { n: 1 } })
      assert((await put(store, v1, undefined)) === true, 'create must return true')
      for (const expiresAt of [1e19, Number.MAX_VALUE]) {
        const current = (await store.get(v1.id))!
        const next = deepFreeze({ ...current, version: current.version + 1, expiresAt, namespaces: { public: { n: current.version + 1 } } })
        let written: boolean | 'threw'
        try {
          written = await put(store, next, current.version)
        } catch {
          written = 'threw'
        }
        if (written === true) assertSame(await store.get(v1.id), next, `a write expiring at ${expiresAt} that succeeded`)
        else assertSame(await store.get(v1.id), current, `a write expiring at ${expiresAt} that was refused must leave the session as it was`)
      }
    }),

    check(`concurrent creates of one id: exactly one of ${concurrency} wins`, async (store) => {
      const id = newId()
      const candidates = Array.from({ length: concurrency }, (_, i) => make(id, 1, { public: { writer: i } }))
      const results = await Promise.all(candidates.map((s) => put(store, s, undefined)))
      const winners = results.flatMap((ok, i) => (ok ? [i] : []))
      assert(winners.length === 1, `exactly one concurrent create must win, ${winners.length} did`)
      assertSame(await store.get(id), candidates[winners[0]!]!, 'the stored session must be the winner')
    }),

    check(`concurrent updates from one version: exactly one of ${concurrency} wins`, async (store) => {
      const base = make(newId(), 1, { public: { writer: -1 } })
      assert((await put(store, base, undefined)) === true, 'create must return true')
      const candidates = Array.from({ length: concurrency }, (_, i) => make(base.id, 2, { public: { writer: i } }))
      const results = await Promise.all(candidates.map((s) => put(store, s, 1)))
      const winners = results.flatMap((ok, i) => (ok ? [i] : []))
      assert(winners.length === 1, `exactly one concurrent update must win, ${winners.length} did`)
      assertSame(await store.get(base.id), candidates[winners[0]!]!, 'the stored session must be the winner')
    }),

    check(`${concurrency} engines sharing the store lose no update`, async (store) => {
      // separate engines have separate queues, like separate processes: only compare-and-set
      // keeps their read-modify-write cycles from overwriting each other
      const engines = Array.from({ length: concurrency }, () => new SessionEngine({ store, clock: { now }, maxConflictRetries: 1_000 }))
      const { session } = await engines[0]!.create({ public: { count: 0 } })
      const perEngine = 5
      const results = await Promise.all(
        engines.flatMap((engine, e) =>
          Array.from({ length: perEngine }, (_, i) =>
            engine.patch(
              session.id,
              recipe((draft) => {
                const pub = draft.public!
                pub.count = (pub.count as number) + 1
                pub[`e${e}_${i}`] = i
              }),
            ),
          ),
        ),
      )
      const total = concurrency * perEngine
      const final = await store.get(session.id)
      assert(final !== undefined, 'the session must still be stored')
      assert(final.version === 1 + total, `version must be ${1 + total} after ${total} saved changes, got ${final.version}`)
      assert(final.namespaces.public?.count === total, `count must be ${total}, got ${String(final.namespaces.public?.count)}`)
      for (let e = 0; e < concurrency; e++) {
        for (let i = 0; i < perEngine; i++) assert(final.namespaces.public?.[`e${e}_${i}`] === i, `update e${e}_${i} is missing`)
      }
      const versions = new Set(results.map((r) => r.session.version))
      assert(versions.size === total, 'every saved change must have its own version')
    }),

    check('rotate (optional method): moves the session to a free id at the expected version, else changes nothing', async (store) => {
      const rotate = store.rotate?.bind(store)
      assert(rotate === undefined || typeof rotate === 'function', 'rotate must be a method when present')
      const v1 = make(newId(), 3, { public: { n: 1 } })
      assert((await put(store, v1, undefined)) === true, 'create must return true')
      const taken = make(newId(), 1, { public: { other: true } })
      assert((await put(store, taken, undefined)) === true, 'create must return true')
      if (rotate !== undefined) {
        const moved = (id: string, version: number) => make(id, version, v1.namespaces)
        assert((await rotateResult(rotate(moved(newId(), 4), v1.id, 2))) !== true, 'rotate expecting a stale version must not succeed')
        assert((await rotateResult(rotate(moved(taken.id, 4), v1.id, 3))) !== true, 'rotate onto a taken id must not succeed')
        assertSame(await store.get(taken.id), taken, 'the session under the taken id')
        assertSame(await store.get(v1.id), v1, 'the session after refused rotations')
        const target = moved(newId(), 4)
        const done = await rotateResult(rotate(target, v1.id, 3))
        if (done === true) {
          assertSame(await store.get(target.id), target, 'the session under its new id')
          assert((await store.get(v1.id)) === undefined, 'the old id must be gone after rotate')
          return
        }
        assert(done === undefined, 'rotate must return true, false or undefined')
      }
      // without an atomic rotate the engine rotates with compare-and-set on both ids
      const engine = new SessionEngine({ store, clock: { now } })
      const { session } = await engine.create({ public: { n: 1 } })
      const rotated = await engine.rotateId(session.id)
      assert(rotated.id !== session.id && rotated.version === session.version + 1, 'rotateId must give a new id and the next version')
      assertSame(await store.get(rotated.id), rotated, 'the rotated session')
      assert((await engine.get(session.id)) === undefined, 'the old id must be gone after rotateId')
    }),

    check(`rotateId racing ${concurrency} engines patching the old id loses no saved update`, async (store) => {
      const engines = Array.from({ length: concurrency }, () => new SessionEngine({ store, clock: { now }, maxConflictRetries: 1_000 }))
      const { session } = await engines[0]!.create({ public: { count: 0 } })
      const patches = engines.map((engine, e) => engine.patch(session.id, { public: { [`e${e}`]: e } }).then(() => true, (error: { code?: string }) => error.code ?? 'unknown'))
      const rotated = await engines[0]!.rotateId(session.id)
      const outcomes = await Promise.all(patches)
      const final = await store.get(rotated.id)
      assert(final !== undefined, 'the rotated session must be stored')
      assert((await engines[1 % concurrency]!.get(session.id)) === undefined, 'the old id must be gone')
      let saved = 0
      outcomes.forEach((outcome, e) => {
        if (outcome === true) {
          saved++
          assert(final.namespaces.public?.[`e${e}`] === e, `patch e${e} was saved under the old id but is missing after the rotation`)
        } else assert(outcome === 'SESSION_NOT_FOUND', `a patch losing the race must find no session, got ${String(outcome)}`)
      })
      // nothing writes the new id but the rotation: create, every saved patch, then the rotation
      assertSame(final, rotated, 'the stored session under the new id')
      assert(rotated.version === saved + 2, `version must be ${saved + 2} (create, ${saved} saved patches, rotation), got ${rotated.version}`)
    }),
  ]
}

/** `rotate`'s outcome normalized: `ConflictError` counts as `false`. */
async function rotateResult(result: MaybePromise<boolean | undefined>): Promise<boolean | undefined> {
  try {
    return await result
  } catch (error) {
    if (error instanceof ConflictError || (error as { code?: unknown } | null)?.code === 'CONFLICT') return false
    throw error
  }
}

/** `put` normalized: `ConflictError` counts as `false`; anything but a boolean fails the check. */
async function put(store: SessionStore, session: Session, expected: number | undefined): Promise<boolean> {
  let result: unknown
  try {
    result = await store.put(session, expected)
  } catch (error) {
    // by code, not only by class: a CommonJS consumer may hold another copy of ConflictError
    if (error instanceof ConflictError || (error as { code?: unknown } | null)?.code === 'CONFLICT') return false
    throw error
  }
  assert(typeof result === 'boolean', `put must return (a promise of) a boolean, got ${typeof result}`)
  return result as boolean
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`store conformance: ${message}`)
}

function assertSame(actual: Session | undefined, expected: Session, what: string): void {
  assert(actual !== undefined && actual !== null, `${what}: get returned nothing`)
  for (const field of ['id', 'version', 'createdAt', 'updatedAt', 'expiresAt'] as const) {
    assert(actual[field] === expected[field], `${what}: ${field} is ${String(actual[field])}, expected ${String(expected[field])}`)
  }
  assert(
    equalJson(actual.namespaces as JsonValue, expected.namespaces as JsonValue),
    `${what}: namespaces differ: got ${JSON.stringify(actual.namespaces).slice(0, 300)}, expected ${JSON.stringify(expected.namespaces).slice(0, 300)}`,
  )
}

/** JSON equality; object key order does not matter (a store may reorder keys). */
function equalJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bs = b as readonly JsonValue[]
    return a.length === bs.length && a.every((item, i) => equalJson(item, bs[i]))
  }
  const ao = a as { readonly [key: string]: JsonValue }
  const bo = b as { readonly [key: string]: JsonValue }
  const keys = Object.keys(ao)
  if (keys.length !== Object.keys(bo).length) return false
  return keys.every((key) => Object.prototype.hasOwnProperty.call(bo, key) && equalJson(ao[key], bo[key]))
}

function newId(): string {
  return `conformance-${randomId()}`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function isDeepFrozen(value: unknown): boolean {
  const stack = [value]
  while (stack.length > 0) {
    const next = stack.pop()
    if (typeof next !== 'object' || next === null) continue
    if (!Object.isFrozen(next)) return false
    stack.push(...Object.values(next))
  }
  return true
}

/** Stores receive frozen sessions from the engine; the checks do the same. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
