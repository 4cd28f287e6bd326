/**
 * RFC 6902 JSON Patch on a session's namespaces, to the letter and at a cost that follows the
 * patch: pointers resolve own members only (RFC 6901), array indexes follow the grammar
 * `0|[1-9][0-9]*` and must name an element that exists (or, for `add`, the end: the index equal
 * to the length, or `-`), and the document is copied on write — an op copies the containers on
 * its path the first time it writes through them, never the whole document. Values are shared,
 * never cloned: every value reached is frozen (the session's, or an op's checked value) except
 * the containers this patch copied, which are tracked.
 */
import { ForbiddenWriteError, InvalidValueError, SessionflowError } from '../model/errors'
import { type Limits, asInvalidValue, checkValue, isPlainObject, jsonEqual, own, readList, sizeOf } from '../util/json'
import { namespaceWrites } from './namespace-writes'
import { RESERVED_NAMES, nameProblem } from '../util/names'
import type { JsonValue, Namespaces, Write } from '../model/session'
import { type ChangeSource, makeChangeSource } from './changes'

/** Most operations accepted in one JSON Patch. */
export const MAX_PATCH_OPS = 1_000

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])

const EMPTY: JsonValue = Object.freeze({})

/** An RFC 6902 array index: `0` or digits without a leading zero. */
const INDEX = /^(?:0|[1-9][0-9]*)$/

/** A checked operation: pointers split into unescaped tokens, value checked and frozen. */
export interface CheckedOp {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test'
  readonly path: string
  readonly tokens: readonly string[]
  readonly from?: string
  readonly fromTokens?: readonly string[]
  readonly value?: JsonValue
}

/**
 * A change written as an RFC 6902 JSON Patch (paths like `/public/key`) over the writable
 * namespaces, for `engine.patch(id, jsonPatch(ops))`: applied whole or not at all. The ops are
 * checked when the call starts (`InvalidValueError`, `ForbiddenWriteError`), before it waits.
 */
export function jsonPatch(ops: readonly unknown[]): ChangeSource {
  return makeChangeSource((writable, limits) => {
    const checked = checkJsonPatch(ops, writable, limits)
    return (namespaces) => applyClientPatch(checked, namespaces, limits)
  })
}

/**
 * Checks a client's RFC 6902 JSON Patch (shape, pointers, reserved names, writable namespaces,
 * values) before anything is applied. Every path — `test` and `from` included — must lie in a
 * writable namespace, so a client cannot probe host-owned params with `test` either. The ops are
 * read by index as data properties, never iterated; an exotic list or op is an `InvalidValueError`.
 */
export function checkJsonPatch(ops: unknown, writable: ReadonlySet<string>, limits: Limits): CheckedOp[] {
  try {
    return checkOps(ops, writable, limits)
  } catch (error) {
    // a revoked proxy or a throwing trap anywhere in the ops is bad input like any other
    throw error instanceof SessionflowError ? error : asInvalidValue(error, undefined)
  }
}

function checkOps(ops: unknown, writable: ReadonlySet<string>, limits: Limits): CheckedOp[] {
  const list = readList(ops, MAX_PATCH_OPS, 'a JSON Patch (an array of operations)')
  const forbidden: string[] = []
  const checked = list.map((raw: unknown, i): CheckedOp => {
    const where = `operation ${i}`
    if (!isPlainObject(raw)) throw new InvalidValueError(`${where} must be an object`)
    const op = ownValue(raw, 'op', where)
    if (typeof op !== 'string' || !OPS.has(op)) throw new InvalidValueError(`${where} has an unknown op ${JSON.stringify(op)}`)
    const path = ownValue(raw, 'path', where)
    const tokens = checkPointer(path, where, writable, forbidden)
    let from: { from?: string; fromTokens?: readonly string[] } = {}
    if (op === 'move' || op === 'copy') {
      const pointer = ownValue(raw, 'from', where)
      from = { fromTokens: checkPointer(pointer, where, writable, forbidden), from: pointer as string }
    }
    let value: { value?: JsonValue } = {}
    if (op === 'add' || op === 'replace' || op === 'test') {
      const given = ownValue(raw, 'value', where)
      if (given === undefined) throw new InvalidValueError(`${where} (${op}) needs a value`, path as string)
      // checked and frozen once here: applying never writes into it, so a re-run applies it unchanged
      value = { value: checkValue(given, path as string, limits).value }
    }
    return { op: op as CheckedOp['op'], path: path as string, tokens, ...from, ...value }
  })
  if (forbidden.length > 0) throw new ForbiddenWriteError([...new Set(forbidden)], [...writable])
  return checked
}

function ownValue(obj: Record<string, unknown>, key: string, where: string): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key)
  if (d === undefined) return undefined
  if (!('value' in d)) throw new InvalidValueError(`${where}: accessor property "${key}"`)
  return d.value
}

/** The unescaped tokens of an RFC 6901 pointer into the namespaces, checked. */
function checkPointer(pointer: unknown, where: string, writable: ReadonlySet<string>, forbidden: string[]): string[] {
  if (typeof pointer !== 'string') throw new InvalidValueError(`${where}: path must be a string`)
  if (pointer.length > 4_096) throw new InvalidValueError(`${where}: path too long`)
  if (pointer === '' || pointer[0] !== '/') {
    throw new InvalidValueError(`${where}: path must start with "/<namespace>" (the whole document cannot be written)`, pointer)
  }
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      if (/~[^01]|~$/.test(raw)) throw new InvalidValueError(`${where}: bad "~" escape`, pointer)
      const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      if (RESERVED_NAMES.has(token)) throw new InvalidValueError(`${where}: "${token}" is a reserved name`, pointer)
      return token
    })
  const namespace = tokens[0]!
  const problem = nameProblem(namespace)
  if (problem !== undefined) throw new InvalidValueError(`${where}: namespace ${problem}`, pointer)
  const keyProblem = tokens.length > 1 ? nameProblem(tokens[1]) : undefined
  if (keyProblem !== undefined) throw new InvalidValueError(`${where}: key ${keyProblem}`, pointer)
  if (!writable.has(namespace)) forbidden.push(pointer)
  return tokens
}

/**
 * Applies a checked JSON Patch to the namespaces it touches and returns the resulting param
 * writes. RFC 6902: the patch applies whole or not at all (any failing op, a failed `test`
 * included, refuses it with `InvalidValueError`).
 */
export function applyClientPatch(ops: readonly CheckedOp[], namespaces: Namespaces, limits: Limits): Write[] {
  return patchWrites(applyJsonPatch(ops, namespaces, limits.maxSessionBytes), namespaces, limits)
}

/** What applying a patch produced: the new document and how much work it took. */
export interface PatchResult {
  /** The namespaces after the patch (touched ones copied, the rest shared). */
  readonly document: Record<string, unknown>
  /** Namespaces a path or `from` named. */
  readonly touched: ReadonlySet<string>
  /**
   * Work done, in elementary steps (a pointer token followed, a member copied, a value node sized
   * or compared): what a test can bound instead of timing.
   */
  readonly work: number
}

/**
 * Applies `ops` to `namespaces` (copy on write). The size of the namespaces touched is kept as an
 * upper bound, each op adding what it may add; when the bound passes `maxBytes` it is recomputed
 * exactly, and the patch is refused at the first op after which they are over: `copy` can double
 * a value, so 60 ops of a few bytes would otherwise build 2^60 elements.
 */
export function applyJsonPatch(ops: readonly CheckedOp[], namespaces: Namespaces, maxBytes: number): PatchResult {
  const touched = new Set<string>()
  for (const op of ops) {
    touched.add(op.tokens[0]!)
    if (op.fromTokens !== undefined) touched.add(op.fromTokens[0]!)
  }
  // a namespace the session does not have yet reads as empty, so `add /public/x` creates it
  const root: Record<string, JsonValue> = { ...namespaces }
  for (const ns of touched) if (!Object.hasOwn(root, ns)) root[ns] = EMPTY
  const doc = new CopyOnWrite(root)
  const sizeOfTouched = () => {
    let size = 0
    for (const ns of touched) size += doc.sizeOf(own(doc.root as Record<string, JsonValue>, ns))
    return size
  }
  let bound = sizeOfTouched()
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    try {
      bound += doc.apply(op)
    } catch (error) {
      if (!(error instanceof PatchFailure)) throw error
      throw new InvalidValueError(`JSON Patch refused at operation ${i} (${op.op}): ${error.message}`, error.pointer)
    }
    if (bound > maxBytes) {
      bound = sizeOfTouched()
      if (bound > maxBytes) {
        throw new InvalidValueError(`JSON Patch refused at operation ${i}: it would make the session larger than limits.maxSessionBytes (${maxBytes})`, op.path, {
          limit: 'maxSessionBytes',
        })
      }
    }
  }
  return { document: doc.root as Record<string, unknown>, touched, work: doc.work }
}

function patchWrites(result: PatchResult, namespaces: Namespaces, limits: Limits): Write[] {
  const writes: Write[] = []
  for (const ns of result.touched) {
    const after = own(result.document, ns) ?? {}
    if (!isPlainObject(after)) throw new InvalidValueError('a namespace must stay an object', `/${ns}`)
    if (after === own(namespaces, ns)) continue
    namespaceWrites(writes, ns, after, limits, own(namespaces, ns))
  }
  return writes
}

/** Why an op failed, and at which pointer. */
class PatchFailure extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message)
  }
}

type Container = JsonValue[] | { [key: string]: JsonValue }

/** The container holding a pointer's last token, and that token. */
interface Slot {
  readonly parent: Container
  readonly token: string
}

/** Sizes of frozen containers, computed once each: a value shared by many ops or patches is sized once. */
const frozenSizes = new WeakMap<object, number>()

/**
 * The document being patched. Containers this patch copied are in `#owned` and are written in
 * place; any other container is frozen (from the session or an op value) and is copied (one
 * level, O(its members)) before its first write, into its parent, which is made writable the same
 * way — so an op costs its path plus the containers it writes, once each per patch.
 */
class CopyOnWrite {
  readonly root: Container
  readonly #owned = new Set<object>()
  work = 0

  constructor(root: Container) {
    this.root = root
    this.#owned.add(root)
  }

  /** Applies one op; returns how many bytes it may have added (an upper bound). */
  apply(op: CheckedOp): number {
    switch (op.op) {
      case 'add':
        this.#add(op.tokens, op.path, op.value!)
        return this.sizeOf(op.value)
      case 'remove':
        this.#remove(op.tokens, op.path)
        return 0
      case 'replace': {
        const { parent, token } = this.#slot(op.tokens, op.path, true)
        this.#existing(parent, token, op.path)
        set(parent, token, op.value!)
        return this.sizeOf(op.value)
      }
      case 'move': {
        const from = op.fromTokens!
        if (from.length < op.tokens.length && from.every((t, i) => t === op.tokens[i])) {
          throw new PatchFailure('a value cannot be moved into itself', op.path)
        }
        // resolved first: a move from a missing location fails even when from equals path
        const value = this.#get(from, op.from!)
        if (op.from === op.path) return 0
        this.#remove(from, op.from!)
        this.#add(op.tokens, op.path, value)
        return 0
      }
      case 'copy': {
        const value = this.#detached(this.#get(op.fromTokens!, op.from!))
        this.#add(op.tokens, op.path, value)
        return this.sizeOf(value)
      }
      case 'test': {
        const actual = this.#get(op.tokens, op.path)
        this.work += this.sizeOf(op.value) // jsonEqual stops within the smaller value
        if (!jsonEqual(actual, op.value)) throw new PatchFailure('test failed: the value differs', op.path)
        return 0
      }
    }
  }

  /** JSON size of a value; frozen containers are sized once (cached), copies are summed from their members. */
  sizeOf(value: JsonValue | undefined): number {
    if (value === undefined) return 0
    if (typeof value !== 'object' || value === null) return sizeOf(value)
    // whatever this patch did not copy is frozen (the session's values, checked op values)
    const frozen = !this.#owned.has(value)
    if (frozen) {
      const known = frozenSizes.get(value)
      if (known !== undefined) return known
    }
    let size: number
    if (Array.isArray(value)) {
      size = 2 + Math.max(0, value.length - 1)
      this.work += value.length
      for (const item of value) size += this.sizeOf(item)
    } else {
      const keys = Object.keys(value)
      size = 2 + Math.max(0, keys.length - 1)
      this.work += keys.length
      for (const key of keys) size += sizeOf(key) + 1 + this.sizeOf((value as Record<string, JsonValue>)[key])
    }
    if (frozen) frozenSizes.set(value, size)
    return size
  }

  #add(tokens: readonly string[], pointer: string, value: JsonValue): void {
    const { parent, token } = this.#slot(tokens, pointer, true)
    if (Array.isArray(parent)) {
      const index = token === '-' ? parent.length : arrayIndex(token, pointer)
      if (index > parent.length) throw new PatchFailure(`index ${token} is past the end of the array (length ${parent.length})`, pointer)
      this.work += parent.length - index
      parent.splice(index, 0, value)
    } else {
      set(parent, token, value)
    }
  }

  #remove(tokens: readonly string[], pointer: string): void {
    const { parent, token } = this.#slot(tokens, pointer, true)
    this.#existing(parent, token, pointer)
    if (Array.isArray(parent)) {
      const index = Number(token)
      this.work += parent.length - index
      parent.splice(index, 1)
    } else {
      delete parent[token]
    }
  }

  /** The value at a pointer; it must exist (own members, valid indexes). */
  #get(tokens: readonly string[], pointer: string): JsonValue {
    const { parent, token } = this.#slot(tokens, pointer, false)
    return this.#existing(parent, token, pointer)
  }

  /** The member `token` of `parent`, which must exist. */
  #existing(parent: Container, token: string, pointer: string): JsonValue {
    if (Array.isArray(parent)) {
      const index = arrayIndex(token, pointer)
      if (index >= parent.length) throw new PatchFailure(`no element at index ${token} (length ${parent.length})`, pointer)
      return parent[index]!
    }
    if (!Object.hasOwn(parent, token)) throw new PatchFailure(`no member "${token.slice(0, 200)}"`, pointer)
    return parent[token]!
  }

  /**
   * Follows every token but the last, through existing own members and valid indexes; with
   * `write`, makes each container on the way writable (copying frozen ones into their parent).
   */
  #slot(tokens: readonly string[], pointer: string, write: boolean): Slot {
    let node: Container = this.root
    for (let i = 0; i < tokens.length - 1; i++) {
      this.work++
      const token = tokens[i]!
      const child = this.#existing(node, token, pointer)
      if (typeof child !== 'object' || child === null) throw new PatchFailure(`"${token.slice(0, 200)}" is not an object or array`, pointer)
      if (!write || this.#owned.has(child)) {
        // frozen containers are only read through (write is false): the cast does not let them be written
        node = child as Container
        continue
      }
      const copy: Container = Array.isArray(child) ? child.slice() : { ...(child as Record<string, JsonValue>) }
      this.work += Array.isArray(child) ? child.length : Object.keys(copy).length
      this.#owned.add(copy)
      set(node, token, copy)
      node = copy
    }
    return { parent: node, token: tokens[tokens.length - 1]! }
  }

  /**
   * A value safe to place at a second location: frozen values are shared as they are; a
   * container this patch copied is copied again (its frozen members shared), so a later write
   * through one location cannot show through the other.
   */
  #detached(value: JsonValue): JsonValue {
    if (typeof value !== 'object' || value === null || !this.#owned.has(value)) return value
    this.work++
    if (Array.isArray(value)) return Object.freeze(value.map((item) => this.#detached(item)))
    const out: { [key: string]: JsonValue } = {}
    for (const key of Object.keys(value)) out[key] = this.#detached((value as Record<string, JsonValue>)[key]!)
    return Object.freeze(out)
  }
}

/** An array index token as a number; RFC 6902 grammar only (no sign, no leading zero, no `-`). */
function arrayIndex(token: string, pointer: string): number {
  if (!INDEX.test(token)) throw new PatchFailure(`"${token.slice(0, 200)}" is not an array index`, pointer)
  const index = Number(token)
  // past 2^32 - 2 no array can have the element; refusing here keeps huge tokens exact
  if (index > 4_294_967_294) throw new PatchFailure(`index ${token.slice(0, 20)} is past any array`, pointer)
  return index
}

function set(parent: Container, token: string, value: JsonValue): void {
  if (Array.isArray(parent)) parent[Number(token)] = value
  else parent[token] = value
}
