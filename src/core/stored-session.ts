import type { Namespaces, Session } from '../model/session'

/**
 * Marks the sessions {@link freezeSession} built: a non-enumerable, module-private key, invisible
 * to JSON, equality and spreads, so a copy is never taken for one. (A `WeakSet` would do too, but
 * V8 kept its table at the size of every session ever built: 60 MB after a million.)
 */
const OWN = Symbol('sessionflow.session')

/** A frozen session envelope around already frozen namespaces, marked as built here. */
export function freezeSession(
  id: string,
  version: number,
  createdAt: number,
  updatedAt: number,
  expiresAt: number,
  namespaces: Namespaces,
): Session {
  return Object.freeze(Object.defineProperty({ id, version, createdAt, updatedAt, expiresAt, namespaces }, OWN, { value: true }))
}

/**
 * Whether `value` is a session {@link freezeSession} built (so frozen, and checked when written):
 * loading one costs O(1) in its size instead of a check of every namespace.
 */
export function isOwnSession(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { [OWN]?: true })[OWN] === true
}

/** Cheap check (O(namespaces)) that a store handed back a session frozen like the engine's own. */
export function frozenDownToNamespaces(session: Session): boolean {
  const namespaces: unknown = session.namespaces
  if (!Object.isFrozen(session) || !Object.isFrozen(namespaces)) return false
  return typeof namespaces !== 'object' || namespaces === null || Object.values(namespaces).every((ns) => Object.isFrozen(ns))
}

/**
 * Why `value` is not a stored session with id `id`, or `undefined` when it is one. Checks the
 * envelope and that namespaces are objects — cheap, in proportion to the number of namespaces;
 * the params themselves were checked when written.
 */
export function storedSessionProblem(value: unknown, id: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'something that is not a session'
  const s = value as Partial<Record<keyof Session, unknown>>
  if (s.id !== id) return `the session of another id (${typeof s.id === 'string' ? s.id.slice(0, 128) : typeof s.id})`
  if (!Number.isSafeInteger(s.version) || (s.version as number) < 1) return 'a session whose version is not an integer >= 1'
  for (const time of ['createdAt', 'updatedAt', 'expiresAt'] as const) {
    if (typeof s[time] !== 'number' || !Number.isFinite(s[time])) return `a session whose ${time} is not a finite number`
  }
  const namespaces = s.namespaces
  if (typeof namespaces !== 'object' || namespaces === null || Array.isArray(namespaces)) return 'a session without a namespaces object'
  for (const ns of Object.values(namespaces)) {
    if (typeof ns !== 'object' || ns === null || Array.isArray(ns)) return 'a session with a namespace that is not an object'
  }
  return undefined
}

/** Freezes everything under `value`; it walks through frozen objects too, since a store may freeze only the top. */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null) return
  Object.freeze(value)
  for (const child of Object.values(value)) deepFreeze(child)
}
