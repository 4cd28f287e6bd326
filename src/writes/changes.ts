import { ForbiddenWriteError, InvalidValueError, SessionflowError } from '../model/errors'
import { type Limits, asInvalidValue, isPlainObject } from '../util/json'
import { nameProblem } from '../util/names'
import { namespaceKeys, namespaceWrites, dataValue } from './namespace-writes'
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
    const params = dataValue(changes, namespace, namespace)
    if (!isPlainObject(params)) throw new InvalidValueError('must be a plain object of key -> value', namespace)
    if (writable !== undefined && !writable.has(namespace)) {
      // names are still checked, so a malformed call is refused as such before any write is weighed
      for (const key of namespaceKeys(namespace, params, limits)) forbidden.push(`${namespace}.${key}`)
      continue
    }
    namespaceWrites(writes, namespace, params, limits)
  }
  if (forbidden.length > 0) throw new ForbiddenWriteError(forbidden, [...writable!])
  return writes
}
