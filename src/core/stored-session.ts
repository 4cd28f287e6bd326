import { InvalidValueError, StoreError } from '../model/errors'
import { type Limits, freezeJson, isPlainObject } from '../util/json'
import type { Namespaces, Session } from '../model/session'

/** Returns the object it is given, so that a subclass's fields are stamped onto that object. */
class Passthrough {
  constructor(object: object) {
    return object
  }
}

/**
 * Marks the sessions this module built (or already checked and froze) with a private field:
 * reading one back from a store that hands out the object it was given (MemoryStore) costs one
 * check, not a walk (`Object.isFrozen` alone walks every key of a hash-table namespace: about
 * 130 µs at 10,000 keys). A private field rather than a WeakSet: it lives and dies with the session
 * (a WeakSet of every session grew the heap of a default engine by about 70 bytes per session
 * across 1,000,000 short-lived ones, test/core/fixtures/memory-flat.ts), and it is invisible to
 * keys, spread, JSON, structured clone and property copies, so a store's copy of a session is
 * never taken for the engine's own. Only on the six-key session envelope: the same field added to
 * a namespaces object of 128 keys or more (or to one built key by key, at some sizes) turns it into
 * a V8 hash table, and a one-app patch over 100 namespaces went from 1.4x to 2.1x the small one.
 */
class Known extends Passthrough {
  /**
   * Approximate JSON size of the session's namespaces when the engine knew it (it had just
   * checked the write against `maxSessionBytes`): the next write's check then costs what changed.
   * Kept here rather than in a WeakMap keyed by namespaces, whose inserts cost about 4 % of a
   * stored patch and whose entries outlive nothing the session does not.
   */
  #size: number | undefined

  constructor(session: object, size: number | undefined) {
    super(session)
    this.#size = size
  }

  /** Whether `session` carries the mark. */
  static has(session: unknown): boolean {
    return typeof session === 'object' && session !== null && #size in session
  }

  /** The size recorded with the mark, if any. */
  static size(session: unknown): number | undefined {
    return Known.has(session) ? (session as Known).#size : undefined
  }

  /** Marks `session` (before it is frozen). */
  static mark(session: object, size?: number): void {
    new Known(session, size)
  }
}

/** The approximate JSON size of a session's namespaces, when the engine recorded it as it saved the session. */
export function knownSize(session: Session): number | undefined {
  return Known.size(session)
}

/** A frozen session envelope around already frozen namespaces. */
export function freezeSession(
  id: string,
  version: number,
  createdAt: number,
  updatedAt: number,
  expiresAt: number,
  namespaces: Namespaces,
  /** The namespaces' approximate JSON size, when known (see {@link knownSize}). */
  size?: number,
): Session {
  const session = { id, version, createdAt, updatedAt, expiresAt, namespaces }
  Known.mark(session, size)
  return Object.freeze(session)
}

/**
 * What `store.get(id)` answered, as a session the engine can hand out: the engine's own sessions
 * as they are; anything else checked to be a session of this id made of plain JSON (the one JSON
 * check of `util/json`: no function, accessor, exotic object, cycle or value nested deeper than
 * `limits.maxDepth`) and frozen all the way down, in place. A store answering garbage must not
 * leak it to a caller or get it rewritten by a later write: it is a store failure (`StoreError`),
 * whatever the garbage throws while read. Sizes and string lengths are not the engine's limits
 * here (a session saved under larger limits stays readable; the next write is held to them), only
 * bounds that keep the walk finite: 16 x `maxSessionBytes`.
 */
export function adoptStoredSession(value: unknown, id: string, limits: Limits): Session {
  // one of ours was checked when built: only the id can be wrong, if a store mixed sessions up
  if (Known.has(value) && (value as Session).id === id) return value as Session
  let problem: string | undefined
  try {
    problem = storedSessionProblem(value, id)
    if (problem === undefined) {
      const namespaces = (value as Session).namespaces
      const size = freezeJson(namespaces, -1, { ...limits, maxStringLength: Infinity, maxSessionBytes: 16 * limits.maxSessionBytes })
      if (!Object.values(namespaces).every(isPlainObject)) problem = 'a session with a namespace that is not an object'
      // marked after the walk (an object frozen by the store cannot take the mark; it is walked again next time)
      else if (Object.isExtensible(value)) Known.mark(value as object, size)
      Object.freeze(value)
    }
  } catch (error) {
    problem =
      error instanceof InvalidValueError
        ? `a value that is not plain JSON (${error.message})`
        : `a session that throws when read (${error instanceof Error ? error.message : typeof error})`
  }
  if (problem !== undefined) throw new StoreError('get', new TypeError(`store.get("${id}") returned ${problem}`))
  return value as Session
}

/**
 * Why `value` is not a stored session with id `id`, or `undefined` when it is one: the envelope,
 * read through descriptors so a getter never runs, and namespaces that are a plain object.
 */
function storedSessionProblem(value: unknown, id: string): string | undefined {
  if (!isPlainObject(value)) return 'something that is not a session'
  const s: Record<string, unknown> = {}
  for (const field of ['id', 'version', 'createdAt', 'updatedAt', 'expiresAt', 'namespaces'] as const) {
    const d = Object.getOwnPropertyDescriptor(value, field)
    if (d !== undefined && !('value' in d)) return `a session whose ${field} is an accessor`
    s[field] = d?.value
  }
  if (s.id !== id) return `the session of another id (${typeof s.id === 'string' ? s.id.slice(0, 128) : typeof s.id})`
  if (!Number.isSafeInteger(s.version) || (s.version as number) < 1) return 'a session whose version is not an integer >= 1'
  for (const time of ['createdAt', 'updatedAt', 'expiresAt'] as const) {
    if (typeof s[time] !== 'number' || !Number.isFinite(s[time])) return `a session whose ${time} is not a finite number`
  }
  if (!isPlainObject(s.namespaces)) return 'a session without a namespaces object'
  return undefined
}
