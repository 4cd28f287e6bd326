import { produce } from 'immer'
import { namespaceWrites } from './namespace-writes'
import { ForbiddenWriteError, InvalidValueError } from '../model/errors'
import { type Limits, asInvalidValue, isPlainObject, own } from '../util/json'
import type { JsonValue, Namespace, Namespaces, Write } from '../model/session'
import { type ChangeSource, makeChangeSource } from './changes'

/** A draft of the writable namespaces, for `patch(id, recipe)`: namespace -> key -> value, all mutable. */
export type NamespacesDraft = { [namespace: string]: { [key: string]: JsonValue } }

/** An immer recipe over the writable namespaces: mutate the draft (or return a replacement). */
export type Recipe = (draft: NamespacesDraft) => void | NamespacesDraft | Promise<void>

/**
 * A change written as an immer recipe over the writable namespaces, for
 * `engine.patch(id, recipe((draft) => { draft.public.country = 'DE' }))`. The recipe runs on the
 * session as read in each attempt (again after a compare-and-set conflict). Throws
 * `InvalidValueError` when `fn` is not a function.
 */
export function recipe(fn: Recipe): ChangeSource {
  if (typeof fn !== 'function') throw new InvalidValueError('a recipe must be a function')
  return makeChangeSource((writable, limits) => (namespaces) => readRecipe(fn, namespaces, writable, limits))
}

const ignore = (): void => undefined

/**
 * Runs an immer recipe over the writable namespaces (each present, possibly empty) and returns
 * the param writes it amounts to. Unchanged namespaces are skipped by identity (immer shares
 * structure), so the cost follows what the recipe touched.
 */
export function readRecipe(recipe: unknown, namespaces: Namespaces, writable: ReadonlySet<string>, limits: Limits): Write[] {
  if (typeof recipe !== 'function') throw new InvalidValueError('a recipe must be a function')
  const base: Record<string, Namespace> = {}
  for (const ns of writable) base[ns] = own(namespaces, ns) ?? {}
  let result: unknown
  let returned = false
  try {
    result = produce(base, (draft: NamespacesDraft) => {
      const out = (recipe as Recipe)(draft)
      if (typeof out === 'object' && out !== null && typeof (out as PromiseLike<unknown>).then === 'function') {
        // refused before immer sees the promise (it would keep the draft alive for it): the draft
        // is revoked now, and the rejection the recipe meets when it touches the draft later is
        // handled here, so it can never become an unhandled rejection that ends the process
        Promise.resolve(out).catch(ignore)
        throw new InvalidValueError('a patch recipe must be synchronous (it returned a promise)')
      }
      returned = true
      return out as NamespacesDraft
    })
  } catch (error) {
    if (error instanceof InvalidValueError) throw error
    // immer refuses misuse (e.g. an async recipe that edited the draft, or edit-and-return) with a
    // plain Error: that is a bad call, so a typed error; the recipe's own errors pass through as thrown
    if (error instanceof Error && error.message.startsWith('[Immer]')) {
      throw new InvalidValueError(`a patch recipe must be synchronous and either edit the draft or return a value: ${error.message}`, undefined, { cause: error })
    }
    // after the recipe returned, immer walks every value it assigned (recursively, to finalize and
    // freeze it): a 100k-deep value overflows the stack there, an exotic one (a proxy, `arguments`)
    // throws. That is bad input, not a host bug, so it gets the same typed error as a changes object.
    if (returned) {
      if (error instanceof RangeError) {
        throw new InvalidValueError('a value the recipe assigned is nested too deep to read', undefined, { cause: error })
      }
      throw asInvalidValue(error, undefined)
    }
    throw error
  }
  if (!isPlainObject(result)) throw new InvalidValueError('a patch recipe must leave (or return) an object of namespaces')
  const extra = Reflect.ownKeys(result).filter((ns) => typeof ns !== 'string' || !writable.has(ns))
  if (extra.length > 0) throw new ForbiddenWriteError(extra.map(String), [...writable])
  const writes: Write[] = []
  for (const ns of writable) {
    const after = own(result as Record<string, unknown>, ns) ?? {}
    if (after === base[ns]) continue
    if (!isPlainObject(after)) throw new InvalidValueError('a namespace must stay a plain object', ns)
    namespaceWrites(writes, ns, after, limits, own(namespaces, ns))
  }
  return writes
}
