/** Names that are never valid as a namespace, a key, or an object key inside a value. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** Longest namespace or key accepted. */
export const MAX_NAME_LENGTH = 128

/**
 * Why `name` is not a valid namespace or key, or `undefined` when it is. `*` is refused so that
 * `items` filters and segment patterns stay unambiguous.
 */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${typeof name}`
  if (name.length === 0) return 'must not be empty'
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`
  if (RESERVED_NAMES.has(name)) return `"${name}" is a reserved name`
  // eslint-disable-next-line no-control-regex
  if (/[.*\u0000-\u001f]/.test(name)) return `"${name}" must not contain ".", "*" or control characters`
  return undefined
}
