import { StoreError } from '../model/errors'
import { type Limits, ownStringKeys } from '../util/json'
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
 * never taken for the engine's own.
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
 * as they are; anything else checked to be a session of this id made of plain JSON (no function,
 * accessor, exotic object, value nested deeper than `limits.maxDepth` or cycle) and frozen all the
 * way down, in place. A store answering garbage must not leak it to a caller or get it rewritten
 * by a later write: it is a store failure (`StoreError`), whatever the garbage throws while read.
 * The walk is iterative and bounded, so no stored value can overflow the stack or run forever.
 */
export function adoptStoredSession(value: unknown, id: string, limits: Limits): Session {
  // one of ours was checked when built: only the id can be wrong, if a store mixed sessions up
  if (Known.has(value) && (value as Session).id === id) return value as Session
  let problem: string | undefined
  try {
    problem = storedSessionProblem(value, id) ?? paramsProblem((value as Session).namespaces, limits)
    // marked after the walk (an object frozen by the store cannot take the mark; it is walked again next time)
    if (problem === undefined && Object.isExtensible(value)) Known.mark(value as object)
    if (problem === undefined) Object.freeze(value)
  } catch (error) {
    problem = `a session that throws when read (${error instanceof Error ? error.message : typeof error})`
  }
  if (problem !== undefined) throw new StoreError('get', new TypeError(`store.get("${id}") returned ${problem}`))
  return value as Session
}

/**
 * Why `value` is not a stored session with id `id`, or `undefined` when it is one: the envelope,
 * read through descriptors so a getter never runs, and namespaces that are plain objects.
 */
function storedSessionProblem(value: unknown, id: string): string | undefined {
  if (!isPlain(value)) return 'something that is not a session'
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
  if (!isPlain(s.namespaces)) return 'a session without a namespaces object'
  return undefined
}

/**
 * Checks and freezes every namespace and param value under `namespaces`, depth first with an
 * explicit stack. The walk visits at most 16 x `maxSessionBytes` nodes: a tree of plain JSON has
 * fewer nodes than bytes, so only a value sharing sub-objects (built in memory, never parsed)
 * could come near, and it is refused instead of walked exponentially.
 */
function paramsProblem(namespaces: object, limits: Limits): string | undefined {
  // [object, its depth as a param value (-1: the namespaces object, 0: a namespace), path]
  const stack: [object, number, string][] = [[namespaces, -1, '']]
  let budget = 16 * limits.maxSessionBytes
  while (stack.length > 0) {
    const [object, depth, path] = stack.pop()!
    if (--budget < 0) return 'a session too large to read'
    if (depth > limits.maxDepth) return `a value nested deeper than limits.maxDepth at ${path}`
    const array = Array.isArray(object)
    if (array ? Object.getPrototypeOf(object) !== Array.prototype : !isPlain(object)) return `a value that is not plain JSON at ${path}`
    const keys = ownStringKeys(object)
    if (keys === undefined) return `a symbol key at ${path}`
    if (array && keys.length !== (object as unknown[]).length + 1) return `a sparse array or one with extra properties at ${path}`
    for (const key of keys) {
      if (array && key === 'length') continue
      const where = `${path}/${key.slice(0, 128)}`
      const d = Object.getOwnPropertyDescriptor(object, key)!
      if (!('value' in d)) return `an accessor property at ${where}`
      if (!d.enumerable) return `a non-enumerable property at ${where}`
      const child: unknown = d.value
      switch (typeof child) {
        case 'string':
        case 'boolean':
          break
        case 'number':
          if (!Number.isFinite(child)) return `a number that is not finite at ${where}`
          break
        case 'object':
          if (child !== null) stack.push([child, depth + 1, where])
          break
        default:
          return `a ${typeof child} at ${where}`
      }
      if (depth === -1 && !isPlain(child)) return `a namespace that is not an object at ${where}`
    }
    Object.freeze(object)
  }
  return undefined
}

function isPlain(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
