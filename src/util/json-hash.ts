import type { JsonValue } from '../model/session'

/**
 * A 32-bit structural hash of a JSON value, consistent with `jsonEqual`: equal values (objects
 * in any key order, `0` and `-0`) hash alike. Only a filter: a match must be confirmed by an
 * exact comparison, since different values may share a hash. `undefined` (absent) hashes too.
 */
export function jsonHash(value: JsonValue | undefined): number {
  switch (typeof value) {
    case 'string':
      return stringHash(value, 0x5bd1e995)
    case 'number':
      return numberHash(value)
    case 'boolean':
      return value ? 0x2c1b3c6d : 0x297a2d39
    case 'undefined':
      return 0x68e31da4
    default:
      break
  }
  if (value === null) return 0x1b873593
  if (Array.isArray(value)) {
    let h = 0x3c6ef372 ^ value.length
    for (let i = 0; i < value.length; i++) h = mix(Math.imul(h, 31) + jsonHash(value[i]))
    return h
  }
  // key order must not matter: entries are combined by a sum
  let h = 0x510e527f
  const keys = Object.keys(value)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    h = (h + mix(stringHash(key, 0x9b05688c) ^ Math.imul(jsonHash((value as Record<string, JsonValue>)[key]), 0x85ebca6b))) | 0
  }
  return mix(h)
}

/** FNV-1a over the UTF-16 code units, from `seed`. */
export function stringHash(text: string, seed: number): number {
  let h = seed ^ 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return mix(h)
}

const float = new Float64Array(1)
const words = new Int32Array(float.buffer)

function numberHash(n: number): number {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return mix(n ^ 0x7f4a7c15)
  float[0] = n
  return mix(words[0]! ^ Math.imul(words[1]!, 0x27d4eb2d))
}

/** murmur3's finalizer: spreads every input bit over the result. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}
