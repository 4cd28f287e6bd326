import type { Operation } from './jsonpatch-types'
import { jsonEqual, sizeOf } from './json'
import type { JsonValue, Namespace, Namespaces } from './session'

type MutableNamespace = Record<string, JsonValue>

const hasOwn = Object.hasOwn

/** Reads `obj[key]` as an own property only, so that names like `toString` never reach the prototype. */
export function own<T>(obj: { readonly [key: string]: T } | undefined, key: string): T | undefined {
  return obj !== undefined && hasOwn(obj, key) ? obj[key] : undefined
}

/**
 * Namespaces with at least this many keys are copied into a hash-table object (V8 "dictionary
 * mode"). Measured with Node 20: copying or reading a large ordinary object costs 100-500 ns per
 * key once call sites see many shapes (spread of a 300-key frozen namespace: about 150 µs), while
 * a dictionary-mode copy costs about 50-150 ns per key and reads stay about 15 ns.
 */
const LARGE = 200

/**
 * Working copy of a session's namespaces during one cycle. Writes go to an overlay (namespace ->
 * key -> value) and the new namespaces are built once, at the end, from the base and the
 * overlay, so a cycle costs in proportion to the params it writes plus one copy of each namespace
 * it changes: untouched namespaces (however large) cost nothing, reads of params written during
 * the cycle never touch large objects, and the JSON Patch is built from the written params only
 * — never by diffing whole sessions.
 */
export class Draft {
  readonly base: Namespaces
  /** namespace -> key -> value written during the cycle (`undefined`: deleted), in first-write order. */
  readonly #writes = new Map<string, Map<string, JsonValue | undefined>>()

  constructor(base: Namespaces) {
    this.base = base
  }

  /** Current value of a param, `undefined` when absent. */
  get(namespace: string, key: string): JsonValue | undefined {
    const writes = this.#writes.get(namespace)
    if (writes !== undefined) {
      const value = writes.get(key)
      if (value !== undefined || writes.has(key)) return value
    }
    return own(own(this.base, namespace), key)
  }

  /** Current namespace (the base object when unwritten, else a fresh copy); read-only for callers. */
  namespace(namespace: string): Namespace | undefined {
    const before = own(this.base, namespace)
    const writes = this.#writes.get(namespace)
    if (writes === undefined) return before
    const current: MutableNamespace = { ...before }
    for (const [key, value] of writes) {
      if (value === undefined) delete current[key]
      else current[key] = value
    }
    return Object.keys(current).length === 0 && before === undefined ? undefined : current
  }

  /** Sets (or with `undefined` deletes) a param. `value` must already be checked and frozen. */
  set(namespace: string, key: string, value: JsonValue | undefined): void {
    let writes = this.#writes.get(namespace)
    if (writes === undefined) {
      if (value === undefined && !hasOwn(this.base, namespace)) return
      this.#writes.set(namespace, (writes = new Map()))
    }
    writes.set(key, value)
  }

  /** Whether anything differs from the base. */
  get changed(): boolean {
    for (const [ns, writes] of this.#writes) {
      for (const [key, value] of writes) if (!jsonEqual(own(own(this.base, ns), key), value)) return true
    }
    return false
  }

  /**
   * Ends the cycle: builds and freezes the namespaces that changed, drops emptied ones, and
   * returns the new namespaces, the RFC 6902 patch from the base, the params that changed, and
   * the change in approximate JSON size.
   */
  finish(): { namespaces: Namespaces; patch: Operation[]; changed: string[]; sizeDelta: number; largestNamespace: number } {
    const patch: Operation[] = []
    const changed: string[] = []
    let sizeDelta = 0
    let largestNamespace = 0
    let current: Record<string, Namespace> | undefined
    for (const [ns, writes] of this.#writes) {
      const before = own(this.base, ns)
      const nsPath = `/${escapePointer(ns)}`
      const firstOp = patch.length
      let count = 0
      let nsChanged = false
      for (const [key, b] of writes) {
        const a = own(before, key)
        if (jsonEqual(a, b)) continue
        nsChanged = true
        changed.push(`${ns}.${key}`)
        const path = `${nsPath}/${escapePointer(key)}`
        const entry = key.length + 4
        if (a === undefined) {
          count++
          sizeDelta += entry + sizeOf(b!)
          if (before !== undefined) patch.push({ op: 'add', path, value: b! })
        } else if (b === undefined) {
          count--
          sizeDelta -= entry + sizeOf(a)
          patch.push({ op: 'remove', path })
        } else {
          sizeDelta += sizeOf(b) - sizeOf(a)
          patch.push({ op: 'replace', path, value: b })
        }
      }
      // written back to what it was (or not at all): the base object stays, so equal sessions share structure
      if (!nsChanged) continue
      current ??= copyObject(this.base, Object.keys(this.base))
      const keys = before === undefined ? [] : Object.keys(before)
      count += keys.length
      if (count > largestNamespace) largestNamespace = count
      if (count === 0) {
        // a namespace disappears whole: one op for it instead of one per param
        patch.length = firstOp
        delete current[ns]
        patch.push({ op: 'remove', path: nsPath })
        sizeDelta -= ns.length + 6
        continue
      }
      const after: MutableNamespace = before === undefined ? {} : copyObject(before, keys, count)
      for (const [key, value] of writes) {
        if (value === undefined) delete after[key]
        else after[key] = value
      }
      current[ns] = Object.freeze(after)
      if (before === undefined) {
        // a namespace appears whole: RFC 6902 cannot add into a missing parent
        patch.push({ op: 'add', path: nsPath, value: after })
        sizeDelta += ns.length + 6
      }
    }
    if (current === undefined || changed.length === 0) {
      return { namespaces: this.base, patch: [], changed: [], sizeDelta: 0, largestNamespace: 0 }
    }
    return { namespaces: Object.freeze(current), patch, changed, sizeDelta, largestNamespace }
  }
}

/** A mutable shallow copy of `source` (whose keys are `keys`), in dictionary mode when large. */
function copyObject<T extends object>(source: T, keys: readonly string[], count = keys.length): T {
  if (count < LARGE && keys.length < LARGE) return { ...source }
  // deleting a property other than the last turns an object into a hash table
  const copy: Record<string, unknown> = { a: 0, b: 0 }
  delete copy.a
  delete copy.b
  for (const key of keys) copy[key] = (source as Record<string, unknown>)[key]
  return copy as T
}

/** RFC 6901 escaping of one reference token. */
export function escapePointer(token: string): string {
  return token.includes('~') || token.includes('/') ? token.replace(/~/g, '~0').replace(/\//g, '~1') : token
}
