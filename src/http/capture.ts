/** What a request carries into its session: query params into `public`, cookies into `cookie`. */
import type { JsonValue, Namespace } from '../model/session'
import { nameProblem } from '../util/names'
import type { ParamPattern } from '../util/patterns'
import { COOKIE_NAMESPACE, type HandlerSettings, QUERY_NAMESPACE } from './options'

/** Host-owned changes derived from a request: `{ public?: {...}, cookie?: {...} }`. */
export type Captured = Record<string, Record<string, JsonValue | undefined>>

/** The params of a request that a new session starts with (query params and cookies to capture). */
export function capturedOnCreate(settings: HandlerSettings, url: URL, cookies: ReadonlyMap<string, string>): Captured {
  const captured: Captured = {}
  const params: [string, string][] = []
  url.searchParams.forEach((value, name) => params.push([name, value]))
  const query = select(params, QUERY_NAMESPACE, settings.query)
  if (query !== undefined) captured[QUERY_NAMESPACE] = query
  const cookie = settings.capturedCookies === undefined ? undefined : select(cookies, COOKIE_NAMESPACE, settings.capturedCookies)
  if (cookie !== undefined) captured[COOKIE_NAMESPACE] = cookie
  return captured
}

/**
 * The cookie changes that bring a session's captured cookies in line with the request: the
 * request's values, and a deletion for each captured cookie it no longer carries (a logout).
 * `stored` holds the session's captured cookies. `undefined` when nothing is captured.
 */
export function cookieChanges(
  settings: HandlerSettings,
  cookies: ReadonlyMap<string, string>,
  stored: Namespace | undefined,
): Record<string, JsonValue | undefined> | undefined {
  if (settings.capturedCookies === undefined) return undefined
  const changes: Record<string, JsonValue | undefined> = select(cookies, COOKIE_NAMESPACE, settings.capturedCookies) ?? {}
  for (const name of Object.keys(stored ?? {})) if (!Object.hasOwn(changes, name)) changes[name] = undefined
  return Object.keys(changes).length === 0 ? undefined : changes
}

/**
 * The entries whose name `pattern` matches in `namespace`, first occurrence winning; `undefined`
 * when none. Names that cannot be session keys (a `.` or `*` in them) are never captured.
 */
function select(entries: Iterable<[string, string]>, namespace: string, pattern: ParamPattern): Record<string, string> | undefined {
  let selected: Record<string, string> | undefined
  for (const [name, value] of entries) {
    if (nameProblem(name) !== undefined || !pattern.matches(namespace, name)) continue
    selected ??= {}
    if (!Object.hasOwn(selected, name)) selected[name] = value
  }
  return selected
}
