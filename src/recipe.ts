import { produce } from 'immer'
import { diffNamespace } from './client-patch'
import { ForbiddenWriteError, InvalidValueError } from './errors'
import { type Limits, isPlainObject } from './json'
import { own } from './draft'
import type { JsonValue, Namespace, Namespaces } from './session'
import type { Write } from './wave'

/** A draft of the writable namespaces, for `patch(id, recipe)`: namespace -> key -> value, all mutable. */
export type NamespacesDraft = { [namespace: string]: { [key: string]: JsonValue } }

/** An immer recipe over the writable namespaces: mutate the draft (or return a replacement). */
export type Recipe = (draft: NamespacesDraft) => void | NamespacesDraft | Promise<void>

/**
 * Runs an immer recipe over the writable namespaces (each present, possibly empty) and returns
 * the param writes it amounts to. Unchanged namespaces are skipped by identity (immer shares
 * structure), so the cost follows what the recipe touched.
 */
export function readRecipe(recipe: unknown, namespaces: Namespaces, writable: ReadonlySet<string>, limits: Limits): Write[] {
  if (typeof recipe !== 'function') throw new InvalidValueError('a recipe must be a function')
  const base: Record<string, Namespace> = {}
  for (const ns of writable) base[ns] = own(namespaces, ns) ?? {}
  const result: unknown = produce(base, recipe as (draft: NamespacesDraft) => void)
  if (result instanceof Promise) throw new InvalidValueError('a patch recipe must be synchronous')
  if (!isPlainObject(result)) throw new InvalidValueError('a patch recipe must leave (or return) an object of namespaces')
  const extra = Reflect.ownKeys(result).filter((ns) => typeof ns !== 'string' || !writable.has(ns))
  if (extra.length > 0) throw new ForbiddenWriteError(extra.map(String), [...writable])
  const writes: Write[] = []
  for (const ns of writable) {
    const after = own(result as Record<string, unknown>, ns) ?? {}
    if (after === base[ns]) continue
    if (!isPlainObject(after)) throw new InvalidValueError('a namespace must stay a plain object', ns)
    writes.push(...diffNamespace(ns, own(namespaces, ns), after, limits))
  }
  return writes
}
