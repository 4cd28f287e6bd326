import type { Operation } from '../model/operation'
import { jsonEqual, jsonStringBytes, own, sizeOf } from '../util/json'
import { escapePointer } from '../util/json-pointer'
import type { JsonValue, Namespace, Namespaces } from '../model/session'
import { matchesPrefix } from './app'

type MutableNamespace = Record<string, JsonValue>

/**
 * Namespaces with at least this many keys are copied into a hash-table object (V8 "dictionary
 * mode"). Measured with Node 20: copying or reading a large ordinary object costs 100-500 ns per
 * key once call sites see many shapes (spread of a 300-key frozen namespace: about 150 µs), while
 * a dictionary-mode copy costs about 50-150 ns per key and reads stay about 15 ns.
 */
const LARGE = 200

/** Stamps restart from 1 before they leave V8's small-integer range (arrays of them stay unboxed). */
const MAX_STAMP = 0x3fffffff
/** Most drafts a table's pool keeps: more run at once only when cycles wait on async apps, which then cost far more than a draft. */
const MAX_POOLED = 16
/** Most params (and namespaces) of its own a pooled draft may have grown by (each has a slot in about 20 arrays). */
const MAX_POOLED_EXTRA = 1024
/** Most entries of any log array kept with a pooled draft. */
const MAX_POOLED_LOG = 16_384

/**
 * The params an app graph declares (exact inputs and outputs), interned to small integer ids when
 * the graph is built, so a cycle reaches a param's state by array index instead of by name.
 */
export interface ParamTable {
  /** `namespace.key` -> id; ids are `0 .. names.length - 1`. */
  readonly ids: ReadonlyMap<string, number>
  readonly names: readonly string[]
  readonly keys: readonly string[]
  /** Namespace id of each param. */
  readonly spaces: readonly number[]
  /** The JSON Pointer of each param (`/namespace/key`, escaped). */
  readonly paths: readonly string[]
  /** Apps monitoring each param, ascending; `undefined`: none. */
  readonly monitors: ReadonlyArray<readonly number[] | undefined>
  /** Namespace name -> id; ids are `0 .. spaceNames.length - 1`. */
  readonly spaceIds: ReadonlyMap<string, number>
  readonly spaceNames: readonly string[]
  /** Who monitors a param the graph does not declare (a pattern may); `undefined`: nobody. */
  readonly lookup: { get(param: string): readonly number[] | undefined } | undefined
  /** Drafts of finished cycles, reused by the next ones (see {@link Draft.release}). */
  readonly pool: Draft[]
  /**
   * Namespace -> key -> id: a client write names its param by namespace and key, and joining them
   * to look up `ids` made (and hashed) a new string per write — 5 % of a stored one-app patch.
   */
  readonly byKey: ReadonlyMap<string, ReadonlyMap<string, number>>
}

/** The JSON Pointer of a param. */
function pointer(namespace: string, key: string): string {
  return `/${escapePointer(namespace)}/${escapePointer(key)}`
}

/** A table of no params: drafts outside a graph give every param a cycle-local id. */
export function paramTable(
  names: readonly string[] = [],
  keys: readonly string[] = [],
  spaces: readonly number[] = [],
  monitors: ReadonlyArray<readonly number[] | undefined> = [],
  spaceNames: readonly string[] = [],
  lookup?: ParamTable['lookup'],
): ParamTable {
  const byKey = new Map<string, Map<string, number>>()
  for (let id = 0; id < keys.length; id++) {
    const namespace = spaceNames[spaces[id]!]!
    let inSpace = byKey.get(namespace)
    if (inSpace === undefined) byKey.set(namespace, (inSpace = new Map()))
    inSpace.set(keys[id]!, id)
  }
  return {
    byKey,
    ids: new Map(names.map((name, id) => [name, id])),
    names,
    keys,
    spaces,
    paths: keys.map((key, id) => pointer(spaceNames[spaces[id]!]!, key)),
    monitors,
    spaceIds: new Map(spaceNames.map((name, id) => [name, id])),
    spaceNames,
    lookup,
    pool: [],
  }
}

/**
 * Working copy of a session's namespaces during one cycle. Each param has a slot (arrays indexed
 * by its id: base value, current value, wave bookkeeping); a slot is valid when its stamp equals
 * the cycle's, so a draft is reused by the next cycle without clearing anything. The new
 * namespaces are built once, at the end, from the base and the written params, so a cycle costs
 * in proportion to the params it writes plus one copy of each namespace it changes: untouched
 * namespaces (however large) cost nothing, and the JSON Patch is built from the written params
 * only — never by diffing whole sessions.
 */
export class Draft {
  base: Namespaces = EMPTY
  /** The cycle's log arrays, pooled with the draft (the cycle's own type; a draft never reads them). */
  logArrays: object | undefined = undefined
  readonly #table: ParamTable
  #cycle = 0
  #tick = 0
  /** Ids below this are the table's; the cycle's other params come after. */
  readonly #fixed: number
  #count: number
  #spaceCount: number
  #extra: Map<string, number> | undefined
  #extraSpaces: Map<string, number> | undefined
  /** Names of the cycle's own params (ids from `#fixed` on): a new array per cycle, so reports may keep it. */
  #extraNames: string[] | undefined

  // per param id
  readonly #keys: string[]
  readonly #spaces: number[]
  readonly #paths: string[]
  readonly #monitors: Array<readonly number[] | undefined>
  readonly #loaded: number[]
  readonly #written: number[]
  readonly #base: Array<JsonValue | undefined>
  readonly #value: Array<JsonValue | undefined>
  /** Next written param of the same namespace (-1: none). */
  readonly #next: number[]
  /** Wave bookkeeping: the tick of the last wave that wrote it, its value then, its first value and writers. */
  readonly #waveTick: number[]
  readonly #before: Array<JsonValue | undefined>
  readonly #first: Array<JsonValue | undefined>
  readonly #writer: string[]
  readonly #writers: Array<string[] | undefined>
  readonly #conflict: boolean[]
  readonly #mark: number[]
  /** The param's index in a compiled copier's key list, for the copier last asked. */
  readonly #posCopier: Array<Copier | undefined>
  readonly #pos: number[]
  /** The counted wave a change of the param alone first triggered, valid when `#seenCycle` is the cycle's stamp. */
  readonly #seenCycle: number[]
  readonly #seenWave: number[]

  // per namespace id
  readonly #spaceNames: string[]
  readonly #spaceLoaded: number[]
  readonly #spaceBase: Array<Namespace | undefined>
  readonly #head: number[]
  readonly #tail: number[]
  readonly #perParam: Array<[unknown[], unknown]>
  readonly #perSpace: Array<[unknown[], unknown]>
  /** The last namespace object built for the namespace id, and its keys (the next cycle on that session starts from it). */
  readonly #keysOf: Array<Namespace | undefined>
  readonly #keyList: Array<readonly string[] | undefined>
  readonly #readOf: Array<Namespace | undefined>
  readonly #readList: Array<readonly string[] | undefined>
  /** The key list of the namespace id's last copy, how many copies in a row had it, and its compiled copier (`null`: none can be compiled). */
  readonly #shape: Array<readonly string[] | undefined>
  readonly #sightings: number[]
  readonly #copier: Array<Copier | null | undefined>
  /** The same for the namespaces object itself (the session's list of namespaces). */
  #namesShape: readonly string[] | undefined = undefined
  #namesSightings = 0
  #namesCopier: Copier | null | undefined = undefined
  readonly #compileAfter: number
  /** Namespaces written this cycle, in first-write order. */
  readonly #order: number[] = [0]
  #orderCount = 0
  /** Where {@link Draft.finish} builds the patch and the names of the changed params (their slots keep the last cycle's). */
  readonly #ops: Operation[] = [{ op: 'remove', path: '' }]
  readonly #names: string[] = ['']
  /** Params written this wave, in first-write order. */
  readonly #touched: number[] = [0]
  #touchedCount = 0

  /**
   * A draft of `base` (reusable through {@link Draft.begin} for the next cycle on the same table).
   * `compileAfter`: copies in a row with one key list before it is compiled ({@link COMPILE_AFTER}).
   */
  constructor(base: Namespaces = EMPTY, table: ParamTable = NO_PARAMS, compileAfter = COMPILE_AFTER) {
    this.#table = table
    this.#compileAfter = compileAfter
    const n = table.names.length
    this.#fixed = this.#count = n
    this.#keys = table.keys.slice()
    this.#spaces = table.spaces.slice()
    this.#paths = table.paths.slice()
    this.#monitors = table.monitors.slice()
    // every per-id array with the value a new id starts from: a cycle's own params and namespaces extend them all
    const param = perId((this.#perParam = []), n)
    this.#loaded = param(0)
    this.#written = param(0)
    this.#base = param<JsonValue | undefined>(undefined)
    this.#value = param<JsonValue | undefined>(undefined)
    this.#next = param(-1)
    this.#waveTick = param(0)
    this.#before = param<JsonValue | undefined>(undefined)
    this.#first = param<JsonValue | undefined>(undefined)
    this.#writer = param('')
    this.#writers = param<string[] | undefined>(undefined)
    this.#conflict = param(false)
    this.#mark = param(0)
    this.#posCopier = param<Copier | undefined>(undefined)
    this.#pos = param(0)
    this.#seenCycle = param(0)
    this.#seenWave = param(0)
    const s = table.spaceNames.length
    this.#spaceCount = s
    this.#spaceNames = table.spaceNames.slice()
    const space = perId((this.#perSpace = []), s)
    this.#spaceLoaded = space(0)
    this.#spaceBase = space<Namespace | undefined>(undefined)
    this.#head = space(-1)
    this.#tail = space(-1)
    // what is known of key lists holds whatever namespace the id stands for this time: not reset
    this.#keysOf = filled<Namespace | undefined>(s, undefined)
    this.#keyList = filled<readonly string[] | undefined>(s, undefined)
    this.#readOf = filled<Namespace | undefined>(s, undefined)
    this.#readList = filled<readonly string[] | undefined>(s, undefined)
    this.#shape = filled<readonly string[] | undefined>(s, undefined)
    this.#sightings = filled(s, 0)
    this.#copier = filled<Copier | null | undefined>(s, undefined)
    this.begin(base)
  }

  /** Starts a cycle on `base`: every slot of the previous one becomes stale at once. */
  begin(base: Namespaces): void {
    this.base = base
    if (++this.#cycle >= MAX_STAMP) {
      this.#cycle = 1
      this.#loaded.fill(0)
      this.#written.fill(0)
      this.#spaceLoaded.fill(0)
      this.#seenCycle.fill(0)
    }
    this.#count = this.#fixed
    this.#spaceCount = this.#table.spaceNames.length
    this.#extra = undefined
    this.#extraSpaces = undefined
    this.#extraNames = undefined
    this.#orderCount = 0
    this.#touchedCount = 0
  }

  /**
   * Puts the draft of a finished cycle back in its table's pool, unless the pool is full or the
   * cycle grew it past what a pooled draft may keep. Arrays are never shrunk (that would cost what
   * the stamps save), so without these bounds the pool kept every draft a burst of concurrent
   * cycles needed, each as large as the most params a client ever wrote into one: after 2,000
   * concurrent patches of 200 params each, 178 MB stayed on the heap once every session was deleted.
   */
  release(logCapacity: number): void {
    const pool = this.#table.pool
    if (pool.length >= MAX_POOLED || logCapacity > MAX_POOLED_LOG) return
    if (this.#keys.length - this.#fixed > MAX_POOLED_EXTRA || this.#spaceNames.length - this.#table.spaceNames.length > MAX_POOLED_EXTRA) return
    // not kept alive by the pool: the whole session the cycle started from (the slots keep only
    // what the cycle touched, until the next cycle)
    this.base = EMPTY
    pool.push(this)
  }

  /** Starts a wave: a new tick, no param written in it yet. */
  wave(): number {
    if (++this.#tick >= MAX_STAMP) {
      this.#tick = 1
      this.#waveTick.fill(0)
      this.#mark.fill(0)
    }
    this.#touchedCount = 0
    return this.#tick
  }

  /** The id of a param: the table's, or one of this cycle's. `param` is `namespace.key` when the caller has it. */
  id(namespace: string, key: string, param?: string): number {
    const fixed = param === undefined ? this.#table.byKey.get(namespace)?.get(key) : this.#table.ids.get(param)
    if (fixed !== undefined) return fixed
    param ??= `${namespace}.${key}`
    const extra = (this.#extra ??= new Map()).get(param)
    if (extra !== undefined) return extra
    const id = this.#count++
    this.#extra.set(param, id)
    ;(this.#extraNames ??= []).push(param)
    setAt(this.#keys, id, key)
    setAt(this.#spaces, id, this.#spaceId(namespace))
    setAt(this.#paths, id, pointer(namespace, key))
    setAt(this.#monitors, id, this.#table.lookup?.get(param))
    for (const [array, value] of this.#perParam) setAt(array, id, value)
    return id
  }

  /** `namespace.key` of a param id. */
  name(id: number): string {
    return id < this.#fixed ? this.#table.names[id]! : this.#extraNames![id - this.#fixed]!
  }

  /** The names of this cycle's own params (ids from the table's size on); a report may keep it. */
  extraNames(): readonly string[] | undefined {
    return this.#extraNames
  }

  /** Apps monitoring the param, ascending; `undefined`: none. */
  monitors(id: number): readonly number[] | undefined {
    return this.#monitors[id]
  }

  #spaceId(namespace: string): number {
    const fixed = this.#table.spaceIds.get(namespace)
    if (fixed !== undefined) return fixed
    const extra = (this.#extraSpaces ??= new Map()).get(namespace)
    if (extra !== undefined) return extra
    const id = this.#spaceCount++
    this.#extraSpaces.set(namespace, id)
    setAt(this.#spaceNames, id, namespace)
    for (const [array, value] of this.#perSpace) setAt(array, id, value)
    if (id === this.#keysOf.length) {
      for (const array of [this.#keysOf, this.#keyList, this.#readOf, this.#readList, this.#shape, this.#copier]) array.push(undefined)
      this.#sightings.push(0)
    }
    return id
  }

  /** The base object of a namespace id, read once per cycle. */
  #space(space: number): Namespace | undefined {
    if (this.#spaceLoaded[space] === this.#cycle) return this.#spaceBase[space]
    this.#spaceLoaded[space] = this.#cycle
    this.#head[space] = -1
    return (this.#spaceBase[space] = own(this.base, this.#spaceNames[space]!))
  }

  #load(id: number): void {
    const value = own(this.#space(this.#spaces[id]!), this.#keys[id]!)
    this.#loaded[id] = this.#cycle
    this.#base[id] = value
    this.#value[id] = value
  }

  /** Current value of a param, `undefined` when absent. */
  value(id: number): JsonValue | undefined {
    if (this.#loaded[id] !== this.#cycle) this.#load(id)
    return this.#value[id]
  }

  /** The value at the start of the wave of `tick` (what every app of that wave reads). */
  snapshot(id: number, tick: number): JsonValue | undefined {
    if (this.#loaded[id] !== this.#cycle) this.#load(id)
    return this.#waveTick[id] === tick ? this.#before[id] : this.#value[id]
  }

  /** Sets (or with `undefined` deletes) a param outside any wave. `value` must already be checked and frozen. */
  write(id: number, value: JsonValue | undefined): void {
    if (this.#loaded[id] !== this.#cycle) this.#load(id)
    this.#value[id] = value
    if (this.#written[id] !== this.#cycle) this.#wrote(id)
  }

  /** Links a param into its namespace's written list (first write of the cycle). */
  #wrote(id: number): void {
    this.#written[id] = this.#cycle
    this.#next[id] = -1
    const space = this.#spaces[id]!
    this.#space(space)
    const tail = this.#head[space] === -1 ? -1 : this.#tail[space]!
    if (tail === -1) {
      this.#head[space] = id
      setAt(this.#order, this.#orderCount++, space)
    } else this.#next[tail] = id
    this.#tail[space] = id
  }

  /**
   * Lands one app's write in the wave of `tick` (apps in engine order: the last writer wins) and
   * says whether it differs from the wave's snapshot. The first write of a param in the wave keeps
   * its snapshot and first value; a second writer with another value makes it a conflict.
   */
  land(id: number, value: JsonValue | undefined, tick: number, writer: string): boolean {
    if (this.#loaded[id] !== this.#cycle) this.#load(id)
    if (this.#waveTick[id] !== tick) {
      this.#waveTick[id] = tick
      this.#before[id] = this.#value[id]
      this.#first[id] = value
      this.#writer[id] = writer
      this.#writers[id] = undefined
      this.#conflict[id] = false
      setAt(this.#touched, this.#touchedCount++, id)
      if (this.#written[id] !== this.#cycle) this.#wrote(id)
    } else {
      ;(this.#writers[id] ??= [this.#writer[id]!]).push(writer)
      if (!this.#conflict[id] && !jsonEqual(this.#first[id], value)) this.#conflict[id] = true
    }
    this.#value[id] = value
    return !jsonEqual(this.#before[id], value)
  }

  /** Params written in the current wave, in first-write order (`touched(i)` for `i < touchedCount`). */
  get touchedCount(): number {
    return this.#touchedCount
  }

  touched(i: number): number {
    return this.#touched[i]!
  }

  /** The snapshot of a param written in the current wave. */
  before(id: number): JsonValue | undefined {
    return this.#before[id]
  }

  /** The writers of a param of the current wave when they wrote different values (engine order), else `undefined`. */
  conflict(id: number): readonly string[] | undefined {
    return this.#conflict[id] ? this.#writers[id] : undefined
  }

  /** Marks a param for the wave of `tick`; says whether it already was. */
  mark(id: number, tick: number): boolean {
    if (this.#mark[id] === tick) return true
    this.#mark[id] = tick
    return false
  }

  /** The counted wave that a change of this param alone first triggered in this cycle; -1: none yet. */
  seen(id: number): number {
    return this.#seenCycle[id] === this.#cycle ? this.#seenWave[id]! : -1
  }

  see(id: number, wave: number): void {
    this.#seenCycle[id] = this.#cycle
    this.#seenWave[id] = wave
  }

  /**
   * The keys of a namespace object: remembered for the last one this draft built under the
   * namespace and for the last one it copied from (a session's next cycle starts from the former;
   * pure runs from the same base, from the latter).
   */
  #keysFor(space: number, before: Namespace): readonly string[] {
    if (this.#keysOf[space] === before) return this.#keyList[space]!
    if (this.#readOf[space] === before) return this.#readList[space]!
    const keys = Object.keys(before)
    this.#readOf[space] = before
    this.#readList[space] = keys
    return keys
  }

  /**
   * The compiled copier of a namespace's key list, once {@link COMPILE_AFTER} copies in a row
   * under the namespace had that list (or from the second, when the list was compiled before);
   * `null` meanwhile, or when it cannot have one.
   */
  #copierOf(space: number, keys: readonly string[]): Copier | null {
    const shape = this.#shape[space]
    if (shape === keys || (shape !== undefined && sameKeys(shape, keys))) {
      const copier = this.#copier[space]
      if (copier !== undefined) return copier
      const made = copierAt(keys, ++this.#sightings[space]!, this.#compileAfter)
      this.#copier[space] = made
      return made ?? null
    }
    this.#shape[space] = keys
    this.#sightings[space] = 1
    this.#copier[space] = undefined
    return null
  }

  /**
   * A mutable copy of the base's namespaces object (whose keys are `names`). A spread of the
   * frozen object took V8's slow path — with 100 namespaces about 30 % of a stored one-app patch,
   * which then cost 2x the one of a one-namespace session; the compiled copier of the list copies
   * it as a literal (compiled by the same rule as namespaces').
   */
  #copyNamespaces(names: readonly string[]): Record<string, Namespace> {
    const shape = this.#namesShape
    if (shape === undefined || !sameKeys(shape, names)) {
      this.#namesShape = names
      this.#namesSightings = 1
      this.#namesCopier = undefined
      return copyObject(this.base, names) as Record<string, Namespace>
    }
    const copier = (this.#namesCopier ??= copierAt(names, ++this.#namesSightings, this.#compileAfter))
    return copier === null || copier === undefined
      ? (copyObject(this.base, names) as Record<string, Namespace>)
      : (copier.build(this.base as Namespace, copier.values, copier.stamps, -1) as Record<string, Namespace>)
  }

  /** Current value of a param by name, `undefined` when absent. */
  get(namespace: string, key: string): JsonValue | undefined {
    return this.value(this.id(namespace, key))
  }

  /** Sets (or with `undefined` deletes) a param by name. `value` must already be checked and frozen. */
  set(namespace: string, key: string, value: JsonValue | undefined): void {
    this.write(this.id(namespace, key), value)
  }

  /**
   * Copies into `into` every param of `namespace` set at the wave of `tick`'s start whose key
   * starts with one of `prefixes` (an input pattern): the base's in its order, then those the
   * cycle added. Cost in proportion to the namespace's keys, paid only by pattern inputs.
   */
  collect(namespace: string, prefixes: readonly string[], into: Record<string, JsonValue>, tick: number): void {
    const space = this.#spaceId(namespace)
    const before = this.#space(space)
    if (before !== undefined) {
      for (const key of Object.keys(before)) if (matchesPrefix(prefixes, key)) into[key] = before[key]!
    }
    // written params overlay the base: a present key keeps its place, an added one comes after
    for (let id = this.#head[space]!; id !== -1; id = this.#next[id]!) {
      const key = this.#keys[id]!
      if (!matchesPrefix(prefixes, key)) continue
      const value = this.snapshot(id, tick)
      if (value !== undefined) into[key] = value
      else if (Object.hasOwn(into, key)) delete into[key]
    }
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
    // built in the draft's own arrays, then copied at their final length: pushed into new arrays,
    // a wide wave's thousand ops and names grew them a dozen times each (wide wave 0.98x the time, side by side)
    const patch = this.#ops
    const changed = this.#names
    let ops = 0
    let names = 0
    let sizeDelta = 0
    let largestNamespace = 0
    let namespaceCount = 0
    let baseCount = 0
    let current: Record<string, Namespace> | undefined
    for (let o = 0; o < this.#orderCount; o++) {
      const space = this.#order[o]!
      const ns = this.#spaceNames[space]!
      const before = this.#spaceBase[space]
      const head = this.#head[space]!
      const nsPath = `/${escapePointer(ns)}`
      const firstOp = ops
      const firstChange = names
      let count = 0
      let added = false
      let removed = false
      for (let id = head; id !== -1; id = this.#next[id]!) {
        const a = this.#base[id]
        const b = this.#value[id]
        if (a === b || jsonEqual(a, b)) continue
        setAt(changed, names++, this.name(id))
        const path = this.#paths[id]!
        // `"key":` (the separating commas are counted once per namespace below)
        if (a === undefined) {
          count++
          added = true
          sizeDelta += jsonStringBytes(this.#keys[id]!) + 1 + sizeOf(b!)
          if (before !== undefined) setAt(patch, ops++, { op: 'add', path, value: b! })
        } else if (b === undefined) {
          count--
          removed = true
          sizeDelta -= jsonStringBytes(this.#keys[id]!) + 1 + sizeOf(a)
          setAt(patch, ops++, { op: 'remove', path })
        } else {
          sizeDelta += sizeOf(b) - sizeOf(a)
          setAt(patch, ops++, { op: 'replace', path, value: b })
        }
      }
      // written back to what it was (or not at all): the base object stays, so equal sessions share structure
      if (names === firstChange) continue
      if (current === undefined) {
        const names = Object.keys(this.base)
        current = this.#copyNamespaces(names)
        namespaceCount = baseCount = names.length
      }
      const keys = before === undefined ? NO_KEYS : this.#keysFor(space, before)
      count += keys.length
      if (count > largestNamespace) largestNamespace = count
      sizeDelta += commas(count) - commas(keys.length)
      if (count === 0) {
        // a namespace disappears whole: one op for it instead of one per param
        ops = firstOp
        delete current[ns]
        namespaceCount--
        setAt(patch, ops++, { op: 'remove', path: nsPath })
        sizeDelta -= jsonStringBytes(ns) + 3 // `"ns":{}`
        continue
      }
      // a large namespace is copied by a compiled literal only when the writes are most of it: its
      // literal gets a map of its own, so the source reads of a mostly-kept copy all miss (a
      // one-param patch of a 990-param namespace took 183 µs against 100 µs for the hash table)
      const copier = before === undefined || (keys.length >= FAST_LITERAL && (names - firstChange) * 2 < keys.length) ? null : this.#copierOf(space, keys)
      let after: MutableNamespace
      if (copier !== null && !added && !removed) {
        // every written key is in the copier's key list: one literal with the new values in place
        const stamp = nextStamp(copier)
        for (let id = head; id !== -1; id = this.#next[id]!) {
          const value = this.#value[id]
          if (value === this.#base[id]) continue
          let at: number
          if (this.#posCopier[id] === copier) at = this.#pos[id]!
          else {
            this.#pos[id] = at = copier.positions.get(this.#keys[id]!)!
            this.#posCopier[id] = copier
          }
          copier.values[at] = value
          copier.stamps[at] = stamp
        }
        after = copier.build(before!, copier.values, copier.stamps, stamp)
      } else {
        after = before === undefined ? {} : copier !== null ? copier.build(before, copier.values, copier.stamps, -1) : genericCopy(before, keys, count)
        // the written params overlay the copy: a present key keeps its place, an added one comes after
        for (let id = head; id !== -1; id = this.#next[id]!) {
          const value = this.#value[id]
          if (value === this.#base[id]) continue
          if (value === undefined) delete after[this.#keys[id]!]
          else after[this.#keys[id]!] = value
        }
      }
      current[ns] = Object.freeze(after)
      this.#keysOf[space] = after
      // (added keys may be array indexes, which objects list first: their order is V8's to tell)
      this.#keyList[space] = removed || added ? Object.keys(after) : keys
      if (before === undefined) {
        // a namespace appears whole: RFC 6902 cannot add into a missing parent
        namespaceCount++
        setAt(patch, ops++, { op: 'add', path: nsPath, value: after })
        sizeDelta += jsonStringBytes(ns) + 3
      }
    }
    if (current !== undefined) sizeDelta += commas(namespaceCount) - commas(baseCount)
    if (current === undefined) return { namespaces: this.base, patch: [], changed: [], sizeDelta: 0, largestNamespace: 0, namespaceCount: 0 }
    return { namespaces: Object.freeze(current), patch: patch.slice(0, ops), changed: changed.slice(0, names), sizeDelta, largestNamespace, namespaceCount }
  }
}

const EMPTY: Namespaces = Object.freeze({})
const NO_KEYS: readonly string[] = Object.freeze([])

/**
 * A compiled copy of objects with one key list: `build(s, values, stamps, stamp)` is a literal
 * `{ "k": stamps[i] === stamp ? values[i] : s["k"], … }` — V8 builds it from a boilerplate, in
 * fast mode, where spreading a frozen object goes through its slow path, a large one ends up a hash
 * table, and storing the new values afterwards costs a keyed store each into a wide object.
 * `positions` gives each key's index; `values` and `stamps` are its scratch arrays (a draft fills
 * them and builds at once: no call can interleave).
 */
interface Copier {
  readonly build: (source: Namespace, values: ReadonlyArray<JsonValue | undefined>, stamps: readonly number[], stamp: number) => MutableNamespace
  readonly positions: ReadonlyMap<string, number>
  readonly values: Array<JsonValue | undefined>
  readonly stamps: number[]
  stamp: number
}

/**
 * The stamp of a build's values in `copier`'s scratch arrays: never 0 (what the arrays start
 * with), never one of an earlier build. A plain copy passes -1, which no slot holds, with the
 * copier's own arrays: every value comes from the source, and no read goes past an array's end
 * (it did with empty arrays: a slow path per key, 14 % of a stored patch over 100 namespaces).
 */
function nextStamp(copier: Copier): number {
  if (copier.stamp >= MAX_STAMP) {
    copier.stamp = 0
    copier.stamps.fill(0)
  }
  return ++copier.stamp
}

/** Most keys a compiled copier takes: V8 keeps an object literal with more than about 1,000 properties in dictionary mode. */
const MAX_COMPILED = 1000
/** From this many properties on, V8 gives each object a literal builds a map of its own (measured with Node 20: 127 stay shared, 128 do not). */
const FAST_LITERAL = 128
/**
 * Copies in a row with one key list before that list is compiled. Compiling and first running a
 * copier costs about 3.5 µs per key (a 127-key list: about 450 µs, 90 one-param patches of that
 * namespace), and clients choose their key lists: compiled on the second copy, a client that
 * changed its list every four patches paid 96 µs per patch of 100 keys (a steady client: 5.6).
 * Now it pays the uncompiled copy, as it did with 0.1.0 (21-28 µs; 0.1.0: 19-30), and the worst
 * pattern for compiling (a new list every 66 patches) measured 2.5x a steady client's patch.
 */
export const COMPILE_AFTER = 64
/** Compiled copiers by key list, shared by every draft (bounded: key lists can come from clients). */
const copiers = new Map<string, Copier | null>()
const MAX_COPIERS = 256
/** Whether code may be compiled from strings here: CSP runtimes and workerd refuse it, and copies then take the generic paths. */
let compiling: boolean | undefined

/**
 * The compiled copier of a key list seen in `sightings` copies in a row: `undefined` while it is
 * too early (a list compiled before is taken from the second copy on), `null` when it cannot have one.
 */
function copierAt(keys: readonly string[], sightings: number, compileAfter: number): Copier | null | undefined {
  if (sightings < 2) return undefined
  if (keys.length === 0 || keys.length > MAX_COMPILED) return null
  if (compiling === undefined) {
    try {
      compiling = new Function('return true')() === true
    } catch {
      compiling = false
    }
  }
  if (!compiling) return null
  // the id (a walk of the keys) is built on the second copy and once the list is due, not per copy between
  if (sightings !== 2 && sightings < compileAfter) return undefined
  const id = JSON.stringify(keys)
  let copier = copiers.get(id)
  if (copier !== undefined || sightings < compileAfter) return copier
  let body = ''
  for (let i = 0; i < keys.length; i++) {
    // in a literal, `__proto__: v` would set the prototype instead of defining a property
    if (keys[i] === '__proto__') return null
    const literal = JSON.stringify(keys[i])
    body += `${literal}:m[${i}]===t?v[${i}]:s[${literal}],`
  }
  try {
    const build = new Function('s', 'v', 'm', 't', `return {${body}}`) as Copier['build']
    copier = { build, positions: new Map(keys.map((key, i) => [key, i])), values: new Array<JsonValue | undefined>(keys.length).fill(undefined), stamps: new Array<number>(keys.length).fill(0), stamp: 0 }
  } catch {
    copier = null
  }
  if (copiers.size >= MAX_COPIERS) copiers.clear()
  copiers.set(id, copier)
  return copier
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
const NO_PARAMS = paramTable()

/** An array of `n` copies of `value`, packed (never holey) and in its final elements kind from the start. */
function filled<T>(n: number, value: T): T[] {
  const array: T[] = [value]
  for (let i = 1; i < n; i++) array.push(value)
  return array
}

/** A maker of per-id arrays of `n` values, each listed in `list` with the value a new id starts from. */
function perId(list: Array<[unknown[], unknown]>, n: number): <T>(value: T) => T[] {
  return (value) => {
    const array = filled(n, value)
    list.push([array, value])
    return array
  }
}

/** `array[i] = value` for `i <= array.length`: appends rather than leaving holes. */
export function setAt<T>(array: T[], i: number, value: T): void {
  if (i < array.length) array[i] = value
  else array.push(value)
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

/** A copy of a namespace without a compiled copier: a spread, or for a large one a hash table. */
function genericCopy(before: Namespace, keys: readonly string[], count: number): MutableNamespace {
  return keys.length < LARGE && count < LARGE ? { ...before } : largeCopy(before, keys)
}

/** A large namespace (`keys`: those of `before`) copied into a hash table, in its order. */
function largeCopy(before: Namespace | undefined, keys: readonly string[]): MutableNamespace {
  const after = hashTable() as MutableNamespace
  for (const key of keys) after[key] = before![key]!
  return after
}
