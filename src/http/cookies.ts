/** Reading the `Cookie` header and writing `Set-Cookie` lines (RFC 6265), nothing more. */

/** The `SameSite` attribute. */
export type SameSite = 'Strict' | 'Lax' | 'None'

/** Attributes shared by the session and segment cookies. */
export interface CookieSettings {
  readonly path: string
  readonly domain: string | undefined
  readonly secure: boolean
  readonly sameSite: SameSite
}

/** RFC 6265 token characters: what a cookie name may hold. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Longest `Cookie` header read; browsers send at most a few KB, so more is garbage or an attack. */
const MAX_COOKIE_HEADER = 32_768

/** Why `name` cannot be a cookie name, or `undefined` when it can. */
export function cookieNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !TOKEN.test(name)) return 'must be a cookie name (letters, digits and !#$%&\'*+-.^_`|~)'
  return undefined
}

/**
 * The request's cookies by name. Where a name appears twice (a cookie set for several paths or
 * domains), the first wins, as browsers send the most specific first. Malformed pairs are skipped.
 */
export function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>()
  if (header === null || header.length > MAX_COOKIE_HEADER) return cookies
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq < 0) continue
    const name = pair.slice(0, eq).trim()
    if (name === '' || cookies.has(name)) continue
    let value = pair.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    cookies.set(name, value)
  }
  return cookies
}

/** A `Set-Cookie` line; `maxAgeSeconds` 0 deletes the cookie. */
export function serializeCookie(name: string, value: string, maxAgeSeconds: number, settings: CookieSettings, httpOnly: boolean): string {
  let line = `${name}=${value}; Max-Age=${Math.max(0, Math.ceil(maxAgeSeconds))}; Path=${settings.path}`
  if (settings.domain !== undefined) line += `; Domain=${settings.domain}`
  if (settings.secure) line += '; Secure'
  if (httpOnly) line += '; HttpOnly'
  return `${line}; SameSite=${settings.sameSite}`
}
