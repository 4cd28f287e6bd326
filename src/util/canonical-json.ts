import type { JsonValue } from '../model/session'

/**
 * JSON text of `value` with the keys of every object in sorted order, so two equal values (in any
 * key order) have the same text: the key of a transform cache entry. `value` must be JSON (the
 * engine's frozen inputs always are).
 */
export function canonicalJson(value: JsonValue): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  if (Array.isArray(value)) {
    let text = '['
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + canonicalJson(value[i]!)
    return text + ']'
  }
  const keys = Object.keys(value).sort()
  let text = '{'
  for (let i = 0; i < keys.length; i++) {
    text += (i === 0 ? '' : ',') + JSON.stringify(keys[i]) + ':' + canonicalJson((value as Record<string, JsonValue>)[keys[i]!]!)
  }
  return text + '}'
}
