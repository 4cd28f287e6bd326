import { ForbiddenWriteError, InvalidValueError, SessionflowError } from '../model/errors'
import { type Limits, asInvalidValue, isPlainObject, ownStringKeys } from '../util/json'
import { nameProblem } from '../util/names'
import { namespaceKeys, namespaceWrites, dataValue } from './namespace-writes'
import type { JsonValue, Namespaces, Write } from '../model/session'

/**
 * Changes as callers write them: namespace -> key -> value. A param set to `undefined` is
 * deleted; absent params are left alone.
 */
export type Changes = { readonly [namespace: string]: { readonly [key: string]: JsonValue | undefined } }

/**
 * A change computed from the session as it is when the call runs, for `engine.patch(id, change)`:
 * made by `recipe((draft) => ...)` (an immer recipe) or `jsonPatch(ops)` (RFC 6902). Each lives in
 * its own module, so an engine that only takes changes objects never loads their code.
 */
export interface ChangeSource {
  /**
   * Checks the change for a call that may write the `writable` namespaces (throws
   * `InvalidValueError` or `ForbiddenWriteError` before the call waits for anything) and returns
   * what turns the session's namespaces, as read in each attempt, into its checked writes.
   */
  readonly prepare: (writable: ReadonlySet<string>, limits: Limits) => (namespaces: Namespaces) => Write[]
}

/**
 * A source this module made: its writes come from checked code, so only such objects are taken
 * as sources. Recognized by a private field (proxies and look-alikes never have it, and checking
 * runs no trap) rather than a WeakSet, whose entries V8 keeps through minor GCs: one per call.
 */
class MadeSource implements ChangeSource {
  readonly #made = true

  constructor(readonly prepare: ChangeSource['prepare']) {
    Object.freeze(this)
  }

  static is(value: object): value is MadeSource {
    return #made in value
  }
}

/** A {@link ChangeSource} (frozen) for the modules that turn a kind of change into checked writes. */
export function makeChangeSource(prepare: ChangeSource['prepare']): ChangeSource {
  return new MadeSource(prepare)
}

/**
 * The {@link ChangeSource} given to `patch`, or `undefined` for anything else (a changes object,
 * checked as such). An object that merely looks like a source is not one: nothing of it is read
 * here. A bare function (the form recipes had) is refused with `InvalidValueError` saying what to
 * write instead.
 */
export function changeSource(changes: unknown): ChangeSource | undefined {
  if (typeof changes === 'function') {
    throw new InvalidValueError("a recipe is passed as recipe((draft) => ...): engine.patch(id, recipe((draft) => ...)) (import { recipe } from 'sessionflow')")
  }
  return typeof changes === 'object' && changes !== null && MadeSource.is(changes) ? changes : undefined
}

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
  let forbidden: string[] | undefined
  const namespaces = ownStringKeys(changes)
  if (namespaces === undefined) throw new InvalidValueError('changes have a symbol key')
  for (const namespace of namespaces) {
    const nsProblem = nameProblem(namespace)
    if (nsProblem !== undefined) throw new InvalidValueError(`namespace ${nsProblem}`, namespace.slice(0, 200))
    const params = dataValue(changes, namespace, namespace)
    if (!isPlainObject(params)) throw new InvalidValueError('must be a plain object of key -> value', namespace)
    if (writable !== undefined && !writable.has(namespace)) {
      // names are still checked, so a malformed call is refused as such before any write is weighed
      for (const key of namespaceKeys(namespace, params, limits)) (forbidden ??= []).push(`${namespace}.${key}`)
      continue
    }
    namespaceWrites(writes, namespace, params, limits)
  }
  if (forbidden !== undefined) throw new ForbiddenWriteError(forbidden, [...writable!])
  return writes
}
