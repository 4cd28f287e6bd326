import type { Operation } from '../model/operation'
import { jsonEqual, jsonStringBytes, own, sizeOf } from '../util/json'
import { escapePointer } from '../util/json-pointer'
import type { JsonValue, Namespace, Namespaces } from '../model/session'
import { matchesPrefix } from './app'
import type { MonitorIndex } from './graph'

type MutableNamespace = Record<string, JsonValue>


/**
 * Namespaces with at least this many keys are copied into a hash-table object (V8 "dictionary
 * mode"). Measured with Node 20: copying or reading a large ordinary object costs 100-500 ns per
 * key once call sites see many shapes (spread of a 300-key frozen namespace: about 150 µs), while
 * a dictionary-mode copy costs about 50-150 ns per key and reads stay about 15 ns.
 */
const LARGE = 200

/**
 * One param written during a cycle: where it is, its value in the base, its current value, and
 * the apps monitoring it (looked up once per cycle, not once per wave). The `wave` fields are the
 * cycle's merge bookkeeping, kept here so a write costs one lookup instead of one per structure.
 */
export class Entry {
  /** Current value; `undefined`: absent. */
  value: JsonValue | undefined
  /** Last wave that wrote the param (0: none yet). */
  wave = 0
  /** The value at the start of `wave`. */
  before: JsonValue | undefined = undefined
  /** The first value written in `wave`, and by which app. */
  first: JsonValue | undefined = undefined
  writer = ''
  /** Every app that wrote it in `wave`, once a second one did. */
  writers: string[] | undefined = undefined
  /** Whether two writers of `wave` wrote different values. */
  conflict = false

  constructor(
    readonly namespace: string,
    readonly key: string,
    readonly param: string,
    /** Value in the base namespaces. */
    readonly base: JsonValue | undefined,
    /** Indexes of the apps monitoring the param, ascending; `undefined`: none. */
    readonly monitors: readonly number[] | undefined,
  ) {
    this.value = base
  }
}

interface Space {
  readonly before: Namespace | undefined
  readonly entries: Map<string, Entry>
}

/**
 * Working copy of a session's namespaces during one cycle. Writes go to entries (namespace ->
 * key -> entry) and the new namespaces are built once, at the end, from the base and the
 * entries, so a cycle costs in proportion to the params it writes plus one copy of each namespace
 * it changes: untouched namespaces (however large) cost nothing, reads of params written during
 * the cycle never touch large objects, and the JSON Patch is built from the written params only
 * — never by diffing whole sessions.
 */
export class Draft {
  readonly base: Namespaces
  readonly #spaces = new Map<string, Space>()
  readonly #monitors: MonitorIndex | undefined

  /** `monitors` (param -> app indexes) fills each entry's `monitors`. */
  constructor(base: Namespaces, monitors?: MonitorIndex) {
    this.base = base
    this.#monitors = monitors
  }

  /** Current value of a param, `undefined` when absent. */
  get(namespace: string, key: string): JsonValue | undefined {
    const space = this.#spaces.get(namespace)
    if (space === undefined) return own(own(this.base, namespace), key)
    const entry = space.entries.get(key)
    return entry !== undefined ? entry.value : own(space.before, key)
  }

  /**
   * Copies into `into` every set param of `namespace` whose key starts with one of `prefixes`
   * (an input pattern): cost in proportion to the namespace's keys, paid only by pattern inputs.
   */
  collect(namespace: string, prefixes: readonly string[], into: Record<string, JsonValue>): void {
    const space = this.#spaces.get(namespace)
    const before = space === undefined ? own(this.base, namespace) : space.before
    if (before !== undefined) {
      for (const key of Object.keys(before)) {
        if (!matchesPrefix(prefixes, key)) continue
        const entry = space?.entries.get(key)
        const value = entry === undefined ? before[key] : entry.value
        if (value !== undefined) into[key] = value
      }
    }
    if (space === undefined) return
    for (const entry of space.entries.values()) {
      if (entry.base === undefined && entry.value !== undefined && matchesPrefix(prefixes, entry.key)) into[entry.key] = entry.value
    }
  }

  /** The entry of a param, created on first use; `param` is `namespace.key` when the caller has it already. */
  entry(namespace: string, key: string, param?: string): Entry {
    let space = this.#spaces.get(namespace)
    if (space === undefined) this.#spaces.set(namespace, (space = { before: own(this.base, namespace), entries: new Map() }))
    let entry = space.entries.get(key)
    if (entry === undefined) {
      param ??= `${namespace}.${key}`
      entry = new Entry(namespace, key, param, own(space.before, key), this.#monitors?.get(param))
      space.entries.set(key, entry)
    }
    return entry
  }

  /** Sets (or with `undefined` deletes) a param. `value` must already be checked and frozen. */
  set(namespace: string, key: string, value: JsonValue | undefined): void {
    this.entry(namespace, key).value = value
  }

  /**
   * Ends the cycle: builds and freezes the namespaces that changed, drops emptied ones, and
   * returns the new namespaces, the RFC 6902 patch from the base, the params that changed, the
   * change in approximate JSON size, the most keys in a changed namespace, and how many
   * namespaces there are (0 when nothing changed: the caller has the base).
   */
  finish(): {
    namespaces: Namespaces
    patch: Operation[]
    changed: string[]
    sizeDelta: number
    largestNamespace: number
    namespaceCount: number
  } {
    const patch: Operation[] = []
    const changed: string[] = []
    let sizeDelta = 0
    let largestNamespace = 0
    let namespaceCount = 0
    let baseCount = 0
    let current: Record<string, Namespace> | undefined
    for (const [ns, { before, entries }] of this.#spaces) {
      const nsPath = `/${escapePointer(ns)}`
      const firstOp = patch.length
      const firstChange = changed.length
      let count = 0
      for (const entry of entries.values()) {
        const a = entry.base
        const b = entry.value
        if (a === b || jsonEqual(a, b)) continue
        changed.push(entry.param)
        const path = `${nsPath}/${escapePointer(entry.key)}`
        // `"key":` (the separating commas are counted once per namespace below)
        const size = jsonStringBytes(entry.key) + 1
        if (a === undefined) {
          count++
          sizeDelta += size + sizeOf(b!)
          if (before !== undefined) patch.push({ op: 'add', path, value: b! })
        } else if (b === undefined) {
          count--
          sizeDelta -= size + sizeOf(a)
          patch.push({ op: 'remove', path })
        } else {
          sizeDelta += sizeOf(b) - sizeOf(a)
          patch.push({ op: 'replace', path, value: b })
        }
      }
      // written back to what it was (or not at all): the base object stays, so equal sessions share structure
      if (changed.length === firstChange) continue
      if (current === undefined) {
        const names = Object.keys(this.base)
        current = copyObject(this.base, names)
        namespaceCount = baseCount = names.length
      }
      const keys = before === undefined ? [] : Object.keys(before)
      count += keys.length
      if (count > largestNamespace) largestNamespace = count
      sizeDelta += commas(count) - commas(keys.length)
      if (count === 0) {
        // a namespace disappears whole: one op for it instead of one per param
        patch.length = firstOp
        delete current[ns]
        namespaceCount--
        patch.push({ op: 'remove', path: nsPath })
        sizeDelta -= jsonStringBytes(ns) + 3 // `"ns":{}`
        continue
      }
      const after = keys.length < LARGE && count < LARGE ? smallCopy(before, entries) : largeCopy(before, keys, entries)
      current[ns] = Object.freeze(after)
      if (before === undefined) {
        // a namespace appears whole: RFC 6902 cannot add into a missing parent
        namespaceCount++
        patch.push({ op: 'add', path: nsPath, value: after })
        sizeDelta += jsonStringBytes(ns) + 3
      }
    }
    if (current !== undefined) sizeDelta += commas(namespaceCount) - commas(baseCount)
    if (current === undefined) return { namespaces: this.base, patch: [], changed: [], sizeDelta: 0, largestNamespace: 0, namespaceCount: 0 }
    return { namespaces: Object.freeze(current), patch, changed, sizeDelta, largestNamespace, namespaceCount }
  }
}

/** Commas in the JSON text of an object or array with `n` members. */
function commas(n: number): number {
  return n > 0 ? n - 1 : 0
}

/** A mutable shallow copy of the namespaces object (whose keys are `keys`); a hash table when it holds many. */
function copyObject<T extends object>(source: T, keys: readonly string[]): T {
  if (keys.length < LARGE) return { ...source }
  const copy = hashTable()
  for (const key of keys) copy[key] = (source as Record<string, unknown>)[key]
  return copy as T
}

/** An empty object in V8 dictionary mode: deleting a property other than the last turns an object into a hash table. */
function hashTable(): Record<string, unknown> {
  const table: Record<string, unknown> = { a: 0, b: 0 }
  delete table.a
  delete table.b
  return table
}

/**
 * A small namespace: a spread copy, then the writes. (V8 copies a frozen source through its slow
 * path, about 80 ns a key; an unfrozen one would cost 4. Every other way measured cost as much.)
 */
function smallCopy(before: Namespace | undefined, entries: ReadonlyMap<string, Entry>): MutableNamespace {
  const after: MutableNamespace = before === undefined ? {} : { ...before }
  for (const entry of entries.values()) {
    if (entry.value === entry.base) continue
    if (entry.value === undefined) delete after[entry.key]
    else after[entry.key] = entry.value
  }
  return after
}

/**
 * A large namespace (`keys`: those of `before`), as a hash table, filled in one pass: inserting a
 * key into a hash table costs about 70 ns, so each key is inserted once with its final value
 * rather than copied and then overwritten.
 */
function largeCopy(before: Namespace | undefined, keys: readonly string[], entries: ReadonlyMap<string, Entry>): MutableNamespace {
  const after = hashTable() as MutableNamespace
  for (const key of keys) {
    const entry = entries.get(key)
    const value = entry === undefined ? before![key] : entry.value
    if (value !== undefined) after[key] = value
  }
  for (const entry of entries.values()) if (entry.base === undefined && entry.value !== undefined) after[entry.key] = entry.value
  return after
}
