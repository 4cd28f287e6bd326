import type { Namespaces, Session } from '../model/session'

/**
 * Brand of the sessions this build froze itself (or checked and froze once after a deserializing
 * store handed them back): loading one again costs O(1) in its size. A module-private symbol,
 * non-enumerable, so JSON, spreads, `Object.keys` and equality see a plain session. WHY not a
 * WeakSet: measured (test/core/fixtures/memory-flat.ts), a WeakSet holding every saved session grew
 * the heap of a default engine by about 70 bytes per session across 1,000,000 short-lived sessions,
 * even after full collections; a brand goes away with its session.
 */
const OWN: unique symbol = Symbol('sessionflow.session')

/** A frozen, branded session envelope around already frozen namespaces. */
export function freezeSession(
  id: string,
  version: number,
  createdAt: number,
  updatedAt: number,
  expiresAt: number,
  namespaces: Namespaces,
): Session {
  return brandAndFreeze({ id, version, createdAt, updatedAt, expiresAt, namespaces })
}

/** Whether `session` carries the brand of {@link freezeSession}: checked and frozen by this build. */
export function isOwnSession(session: Session): boolean {
  return (session as { [OWN]?: true })[OWN] === true
}

/**
 * Brands a checked session envelope and freezes it. A store that handed back an already frozen
 * envelope cannot be branded: that session is checked again on its next load, which is only slower.
 */
export function brandAndFreeze(session: Session): Session {
  if (!Object.isFrozen(session)) Object.defineProperty(session, OWN, { value: true })
  return Object.freeze(session)
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
