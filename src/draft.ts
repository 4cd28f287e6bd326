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
 * Copy-on-write working copy of a session's namespaces during one cycle. A namespace is copied
 * the first time it is written and frozen once at the end, so untouched namespaces (however
 * large) cost nothing, and the JSON Patch is built from the touched params only — never by diffing
 * whole sessions.
 */
export class Draft {
  readonly base: Namespaces
  #current: Record<string, Namespace>
  readonly #copied = new Set<string>()
  /** namespace -> keys written during the cycle, in first-write order. */
  readonly #touched = new Map<string, Set<string>>()

  constructor(base: Namespaces) {
    this.base = base
    this.#current = base as Record<string, Namespace>
  }

  /** Current value of a param, `undefined` when absent. */
  get(namespace: string, key: string): JsonValue | undefined {
    return own(own(this.#current, namespace), key)
  }

  /** Current namespace (frozen or mid-cycle copy); read-only for callers. */
  namespace(namespace: string): Namespace | undefined {
    return own(this.#current, namespace)
  }

  /** Sets (or with `undefined` deletes) a param. `value` must already be checked and frozen. */
  set(namespace: string, key: string, value: JsonValue | undefined): void {
    let ns = own(this.#current, namespace) as MutableNamespace | undefined
    if (!this.#copied.has(namespace)) {
      if (value === undefined && (ns === undefined || !hasOwn(ns, key))) return
      if (this.#current === this.base) this.#current = { ...this.base }
      ns = ns === undefined ? {} : { ...ns }
      this.#current[namespace] = ns
      this.#copied.add(namespace)
    }
    let keys = this.#touched.get(namespace)
    if (keys === undefined) this.#touched.set(namespace, (keys = new Set()))
    keys.add(key)
    if (value === undefined) delete ns![key]
    else ns![key] = value
  }

  /** Whether anything differs from the base. */
  get changed(): boolean {
    for (const [ns, keys] of this.#touched) {
      for (const key of keys) if (!jsonEqual(own(own(this.base, ns), key), this.get(ns, key))) return true
    }
    return false
  }

  /**
   * Ends the cycle: freezes what was copied, drops emptied namespaces, and returns the new
   * namespaces, the RFC 6902 patch from the base, the params that changed, and the change in
   * approximate JSON size.
   */
  finish(): { namespaces: Namespaces; patch: Operation[]; changed: string[]; sizeDelta: number; largestNamespace: number } {
    const patch: Operation[] = []
    const changed: string[] = []
    let sizeDelta = 0
    let largestNamespace = 0
    if (this.#current === this.base) return { namespaces: this.base, patch, changed, sizeDelta, largestNamespace }
    for (const [ns, keys] of this.#touched) {
      const before = own(this.base, ns)
      const after = this.#current[ns]!
      const count = Object.keys(after).length
      const empty = count === 0
      if (count > largestNamespace) largestNamespace = count
      const nsPath = `/${escapePointer(ns)}`
      let nsChanged = 0
      for (const key of keys) {
        const a = own(before, key)
        const b = own(after, key)
        if (jsonEqual(a, b)) continue
        nsChanged++
        changed.push(`${ns}.${key}`)
        const path = `${nsPath}/${escapePointer(key)}`
        const entry = key.length + 4
        if (a === undefined) {
          sizeDelta += entry + sizeOf(b!)
          if (before !== undefined) patch.push({ op: 'add', path, value: b! })
        } else if (b === undefined) {
          sizeDelta -= entry + sizeOf(a)
          if (!empty) patch.push({ op: 'remove', path })
        } else {
          sizeDelta += sizeOf(b) - sizeOf(a)
          patch.push({ op: 'replace', path, value: b })
        }
      }
      if (nsChanged === 0) {
        // written back to what it was: keep the base object, so equal sessions share structure
        if (before === undefined) delete this.#current[ns]
        else this.#current[ns] = before
        continue
      }
      if (empty) delete this.#current[ns]
      else Object.freeze(after)
      // a namespace appears or disappears whole: one op for it, since RFC 6902 cannot add into a missing parent
      if (before === undefined && !empty) {
        patch.push({ op: 'add', path: nsPath, value: after })
        sizeDelta += ns.length + 6
      } else if (before !== undefined && empty) {
        patch.push({ op: 'remove', path: nsPath })
        sizeDelta -= ns.length + 6
      }
    }
    if (changed.length === 0) return { namespaces: this.base, patch, changed, sizeDelta: 0, largestNamespace: 0 }
    return { namespaces: Object.freeze(this.#current), patch, changed, sizeDelta, largestNamespace }
  }
}

/** RFC 6901 escaping of one reference token. */
export function escapePointer(token: string): string {
  return token.includes('~') || token.includes('/') ? token.replace(/~/g, '~0').replace(/\//g, '~1') : token
}
