import { ForbiddenWriteError, InvalidValueError, SessionflowError } from '../model/errors'
import { type Limits, asInvalidValue, checkValue, isPlainObject } from '../util/json'
import { nameProblem } from '../util/names'
import type { JsonValue, Write } from '../model/session'

/**
 * Changes as callers write them: namespace -> key -> value. A param set to `undefined` is
 * deleted; absent params are left alone.
 */
export type Changes = { readonly [namespace: string]: { readonly [key: string]: JsonValue | undefined } }

/**
 * Checks a changes object and turns it into writes: names, plain JSON, limits, and (when
 * `writable` is given) the namespaces the caller may write. Throws `InvalidValueError` or
 * `ForbiddenWriteError` before anything is applied, so a refused call changes nothing.
 */
export function readChanges(changes: unknown, limits: Limits, writable?: ReadonlySet<string>): Write[] {
  try {
    return collectWrites(changes, limits, writable)
  } catch (error) {
    // an exotic object (a proxy whose traps throw) is bad input too: always a typed error
    throw error instanceof SessionflowError ? error : asInvalidValue(error, undefined)
  }
}

function collectWrites(changes: unknown, limits: Limits, writable: ReadonlySet<string> | undefined): Write[] {
  if (!isPlainObject(changes)) throw new InvalidValueError('changes must be a plain object of namespace -> { key: value }')
  const writes: Write[] = []
  const forbidden: string[] = []
  for (const namespace of Reflect.ownKeys(changes)) {
    if (typeof namespace !== 'string') throw new InvalidValueError('changes have a symbol key')
    const nsProblem = nameProblem(namespace)
    if (nsProblem !== undefined) throw new InvalidValueError(`namespace ${nsProblem}`, namespace.slice(0, 200))
    const params = property(changes, namespace, namespace)
    if (!isPlainObject(params)) throw new InvalidValueError('must be a plain object of key -> value', namespace)
    const keys = Reflect.ownKeys(params)
    if (keys.length > limits.maxKeysPerNamespace) {
      throw new InvalidValueError(`more than ${limits.maxKeysPerNamespace} params`, namespace)
    }
    for (const key of keys) {
      if (typeof key !== 'string') throw new InvalidValueError('changes have a symbol key', namespace)
      const keyProblem = nameProblem(key)
      if (keyProblem !== undefined) throw new InvalidValueError(`key ${keyProblem}`, `${namespace}.${key.slice(0, 200)}`)
      const param = `${namespace}.${key}`
      if (writable !== undefined && !writable.has(namespace)) {
        forbidden.push(param)
        continue
      }
      const value = property(params, key, param)
      writes.push({ namespace, key, value: value === undefined ? undefined : checkValue(value, param, limits).value })
    }
  }
  if (forbidden.length > 0) throw new ForbiddenWriteError(forbidden, [...writable!])
  return writes
}

function property(obj: object, key: string, path: string): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key)!
  if (!('value' in d)) throw new InvalidValueError('accessor property is not JSON', path)
  return d.value
}
