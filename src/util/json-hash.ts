import type { JsonValue } from '../model/session'

/**
 * A 32-bit structural hash of a JSON value, consistent with `jsonEqual`: equal values (objects
 * in any key order, `0` and `-0`) hash alike. Only a filter: a match must be confirmed by an
 * exact comparison, since different values may share a hash. `undefined` (absent) hashes too.
 */
export function jsonHash(value: JsonValue | undefined): number {
  if (typeof value !== 'object' || value === null) return stringHash(typeof value === 'string' ? value : `${value}\u0000`, 1)
  // entries are combined by a sum, so key order does not matter (array items are keyed by index)
  let h = Array.isArray(value) ? 2 : 3
  const object = value as Record<string, JsonValue>
  for (const key of Object.keys(object)) h = (h + mix(stringHash(key, 4) ^ Math.imul(jsonHash(object[key]), 0x85ebca6b))) | 0
  return mix(h)
}

/** FNV-1a over the UTF-16 code units, from `seed`, then mixed. */
export function stringHash(text: string, seed: number): number {
  let h = seed ^ 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return mix(h)
}

/** murmur3's finalizer: spreads every input bit over the result. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}
