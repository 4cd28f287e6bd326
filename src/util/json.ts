import { InvalidValueError } from '../model/errors'
import { RESERVED_NAMES } from './names'
import type { JsonValue } from '../model/session'

/** Size limits applied to everything written into a session. */
export interface Limits {
  /** Size of the JSON text of a whole session's namespaces, in UTF-8 bytes (exactly `JSON.stringify`'s). Default 65,536. */
  maxSessionBytes: number
  /** Deepest nesting of a param value (a scalar is depth 0). Default 32, at most 1,000. */
  maxDepth: number
  /** Most params in one namespace. Default 1,000. */
  maxKeysPerNamespace: number
  /** Longest string (values and object keys inside values). Default 16,384. */
  maxStringLength: number
  /** Most namespaces in a session. Default 64. */
  maxNamespaces: number
}

/** The limits used when the engine is given none; they fit real sessions (a few KB) with wide headroom. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxSessionBytes: 65_536,
  maxDepth: 32,
  maxKeysPerNamespace: 1_000,
  maxStringLength: 16_384,
  maxNamespaces: 64,
})

/** A validated, normalized (`-0` -> `0`), deeply frozen copy of a value and the UTF-8 size of its JSON text. */
export interface CheckedValue {
  value: JsonValue
  size: number
}

/**
 * Validates that `input` is plain JSON within `limits` and returns a frozen copy. The copy is what
 * gets stored, so a caller (or transform) that keeps a reference and mutates it later cannot reach
 * the session, and getters run at most once. Throws `InvalidValueError` naming `path`.
 */
export function checkValue(input: unknown, path: string, limits: Limits): CheckedValue {
  const walker: Walker = { size: 0, ancestors: undefined, limits, inPlace: false }
  let value: JsonValue
  try {
    value = copy(walker, input, path, undefined, 1)
  } catch (error) {
    throw asInvalidValue(error, path)
  }
  return { value, size: walker.size }
}

/**
 * Checks `input` as {@link checkValue} does, but freezes it in place instead of copying it (for
 * values that nobody else holds yet, such as what a store just deserialized), and returns the UTF-8
 * size of its JSON text. `depth` is the depth `input` itself counts as (`-1`: the namespaces
 * object above the params). Throws what an exotic object throws as it is; callers catch.
 */
export function freezeJson(input: object, depth: number, limits: Limits): number {
  const walker: Walker = { size: 0, ancestors: undefined, limits, inPlace: true }
  copy(walker, input, '', undefined, depth)
  return walker.size
}

/**
 * Turns what an exotic object threw while being read (a proxy whose traps throw or that reports
 * keys it has no descriptor for) into `InvalidValueError`: such a value is not plain JSON, and a
 * caller must get the typed error, not a `TypeError` from deep inside the walk.
 */
export function asInvalidValue(error: unknown, path: string | undefined): InvalidValueError {
  if (error instanceof InvalidValueError) return error
  let reason: string
  try {
    reason = error instanceof Error ? String(error.message) : String(error)
  } catch {
    reason = 'unreadable error'
  }
  return new InvalidValueError(`not a plain JSON value (${reason})`, path, { cause: error })
}

/**
 * {@link checkValue}'s value alone. Scalars — most params — return at once, without the size
 * (callers that need it use `checkValue`) and without allocating a result. With `key`, errors
 * name `path.key`, a string joined only when a value needs the walk.
 */
export function toJson(input: unknown, path: string, limits: Limits, key?: string): JsonValue {
  return scalarJson(input, limits) ?? checkValue(input, key === undefined ? path : `${path}.${key}`, limits).value
}

/**
 * {@link toJson} of a scalar that needs no walk (a string within the length limit, a finite
 * number, a boolean); `undefined` for any other value, which `toJson` checks. A hot caller can
 * then look up a value's path only for the values that need it.
 */
export function scalarJson(input: unknown, limits: Limits): JsonValue | undefined {
  switch (typeof input) {
    case 'string':
      return input.length <= limits.maxStringLength ? input : undefined
    case 'number':
      // -0 is stored as 0, as JSON would
      return Number.isFinite(input) ? (input === 0 ? 0 : input) : undefined
    case 'boolean':
      return input
  }
  return undefined
}

interface Walker {
  size: number
  /** The objects being walked (a cycle is refused); made at the first object. */
  ancestors: Set<object> | undefined
  limits: Limits
  /** Freeze the objects walked instead of copying them. */
  inPlace: boolean
}

/**
 * The checked (frozen) form of `input`, found at `key` under `parent` (`key` undefined: at
 * `parent` itself). The path is joined only for an error or an object to descend into: most
 * members are scalars, and joining a path for each cost more than checking it.
 */
function copy(w: Walker, input: unknown, parent: string, key: string | number | undefined, depth: number): JsonValue {
  switch (typeof input) {
    case 'string':
      if (input.length > w.limits.maxStringLength) throw tooLong(at(parent, key), w.limits)
      w.size += jsonStringBytes(input)
      return input
    case 'number':
      if (!Number.isFinite(input)) throw new InvalidValueError(`${input} is not a finite number`, at(parent, key))
      w.size += numberSize(input)
      return input === 0 ? 0 : input
    case 'boolean':
      w.size += input ? 4 : 5
      return input
    case 'object':
      if (input === null) {
        w.size += 4
        return null
      }
      break
    default:
      throw new InvalidValueError(`${typeof input} is not a JSON value`, at(parent, key))
  }
  const object = input as object
  const path = at(parent, key)
  // checked before descending so that 100k-deep input is a typed error, never a stack overflow
  if (depth > w.limits.maxDepth) throw new InvalidValueError(`nesting deeper than ${w.limits.maxDepth}`, path)
  // no value can be larger than a whole session; stopping here bounds the walk, which a value
  // sharing sub-objects (n objects, 2^n leaves as a tree) would otherwise make exponential
  if (w.size > w.limits.maxSessionBytes) {
    throw new InvalidValueError(`value larger than limits.maxSessionBytes (${w.limits.maxSessionBytes})`, path)
  }
  // an object is put among the ancestors only once it has an object member to descend into: most
  // values (a list of strings) have none, and making the set cost about 50 ns of each
  if (w.ancestors !== undefined && w.ancestors.has(object)) throw new InvalidValueError('cyclic structure', path)
  const keys = ownStringKeys(object)
  let out: Record<string, JsonValue> | JsonValue[]
  if (Array.isArray(object)) {
    if (Object.getPrototypeOf(object) !== Array.prototype) throw new InvalidValueError('array subclass is not JSON', path)
    if (keys === undefined || keys.length !== object.length + 1) {
      throw new InvalidValueError('sparse array or array with extra properties is not JSON', path)
    }
    out = w.inPlace ? (object as JsonValue[]) : new Array(object.length)
    w.size += 2 + Math.max(0, object.length - 1)
    for (let i = 0; i < object.length; i++) member(w, object, i, path, depth, out)
  } else {
    const proto = Object.getPrototypeOf(object)
    if (proto !== Object.prototype && proto !== null) {
      const name = (object as { constructor?: { name?: unknown } }).constructor?.name
      throw new InvalidValueError(`${typeof name === 'string' && name ? name : 'non-plain object'} is not a JSON value`, path)
    }
    if (keys === undefined) throw new InvalidValueError('symbol keys are not JSON', path)
    out = (w.inPlace ? object : {}) as Record<string, JsonValue>
    w.size += 2 + Math.max(0, keys.length - 1)
    for (const key of keys) {
      if (RESERVED_NAMES.has(key)) throw new InvalidValueError(`"${key}" is a reserved name`, `${path}/${key}`)
      if (key.length > w.limits.maxStringLength) throw tooLong(path, w.limits)
      w.size += jsonStringBytes(key) + 1
      member(w, object, key, path, depth, out)
    }
  }
  w.ancestors?.delete(object)
  return Object.freeze(out)
}

/** Checks the member `key` of an array or object (a data property, enumerable, not `undefined`) and puts its checked form into `out`, unless walking in place. */
function member(w: Walker, object: object, key: string | number, path: string, depth: number, out: Record<string, JsonValue> | JsonValue[]): void {
  const d = Object.getOwnPropertyDescriptor(object, key)
  if (d === undefined) throw new InvalidValueError('sparse array is not JSON', `${path}/${key}`)
  if (!('value' in d)) throw new InvalidValueError('accessor property is not JSON', `${path}/${key}`)
  if (!d.enumerable) throw new InvalidValueError('non-enumerable property is not JSON', `${path}/${key}`)
  const item = d.value as unknown
  // undefined members are dropped by JSON.stringify; refusing them keeps a value and its JSON form equal
  if (item === undefined) throw new InvalidValueError('undefined is not a JSON value', `${path}/${key}`)
  // descending into an object: this one is its ancestor from now until its own walk ends
  if (typeof item === 'object' && item !== null) (w.ancestors ??= new Set()).add(object)
  const value = copy(w, item, path, key, depth + 1)
  if (!w.inPlace) (out as Record<string, JsonValue>)[key] = value
}

/** The path of the member `key` under `parent`; `parent` itself when there is no key. */
function at(parent: string, key: string | number | undefined): string {
  return key === undefined ? parent : `${parent}/${key}`
}

function tooLong(path: string, limits: Limits): InvalidValueError {
  return new InvalidValueError(`string longer than ${limits.maxStringLength}`, path)
}

/** UTF-8 size of the JSON text of an already valid value (`JSON.stringify`'s), computed as {@link checkValue} does. */
export function sizeOf(value: JsonValue): number {
  switch (typeof value) {
    case 'string':
      return jsonStringBytes(value)
    case 'number':
      return numberSize(value)
    case 'boolean':
      return value ? 4 : 5
  }
  if (value === null) return 4
  if (Array.isArray(value)) {
    let size = 2 + Math.max(0, value.length - 1)
    for (const item of value) size += sizeOf(item)
    return size
  }
  const keys = Object.keys(value)
  let size = 2 + Math.max(0, keys.length - 1)
  for (const key of keys) size += jsonStringBytes(key) + 1 + sizeOf((value as Record<string, JsonValue>)[key]!)
  return size
}

/**
 * UTF-8 bytes of `JSON.stringify(text)`, quotes included: `"` and `\` and the short escapes take 2,
 * other control characters and lone surrogates 6 (`\u001f`), then 1 to 3 bytes per code unit
 * (a surrogate pair, one character, 4). A string limit in code units alone let a string of
 * `\u0001` store six times its length.
 */
export function jsonStringBytes(text: string): number {
  let bytes = text.length + 2
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20) bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5
    else if (c < 0x80) {
      if (c === 0x22 || c === 0x5c) bytes += 1
    } else if (c < 0x800) bytes += 1
    else if (c < 0xd800 || c > 0xdfff) bytes += 2
    else if (c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2 // the pair: 2 code units, 4 bytes
      i++
    } else bytes += 5
  }
  return bytes
}

/**
 * Length of a finite number's JSON text. Integers below 2^53 (most numeric params) are counted
 * digit by digit: `String(n)` costs about 50 ns, which showed up in every changed numeric param.
 */
function numberSize(n: number): number {
  if (!Number.isSafeInteger(n)) return n === 0 ? 1 : String(n).length
  let size = n < 0 ? 2 : 1
  for (let a = Math.abs(n); a >= 10; a = Math.floor(a / 10)) size++
  return size
}

/** Deep equality of two valid JSON values (sessions compare by value). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  const ra = a as Record<string, JsonValue>
  const rb = b as Record<string, JsonValue>
  for (const k of ka) if (!Object.hasOwn(rb, k) || !jsonEqual(ra[k], rb[k])) return false
  return true
}

/**
 * A plain copy of a host-given list (ops, `items`, `allow`), read the way the caller meant it and
 * no other: own indexed data properties up to its `length`, read once, at most `max` of them; a
 * hole, an accessor or a list longer than `max` is refused. Never iterates it, so an array with its
 * own `Symbol.iterator` cannot yield more (or other) items than it holds; an exotic list (a revoked
 * proxy, traps that throw) is an `InvalidValueError` too.
 */
export function readList(list: unknown, max: number, what: string): unknown[] {
  try {
    if (!Array.isArray(list)) throw new InvalidValueError(`${what} must be an array, got ${describe(list)}`)
    const length = list.length
    if (length > max) throw new InvalidValueError(`${what} may hold at most ${max} items`)
    const out = new Array<unknown>(length)
    for (let i = 0; i < length; i++) {
      const d = Object.getOwnPropertyDescriptor(list, i)
      if (d === undefined) throw new InvalidValueError(`${what} has a hole at index ${i}`)
      if (!('value' in d)) throw new InvalidValueError(`${what} has an accessor at index ${i}`)
      out[i] = d.value
    }
    return out
  } catch (error) {
    throw asInvalidValue(error, undefined)
  }
}

/** Whether `value` is a plain object (prototype `Object.prototype` or `null`), not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name
    return name ? `a ${name}` : 'an object'
  }
  return typeof value
}

/**
 * The own keys of `object` — `Reflect.ownKeys` order — when they are all strings; `undefined`
 * when it has a symbol key. Names and symbols asked separately: in V8 `Reflect.ownKeys` of a small
 * literal costs about 110 ns, these two together about 50.
 */
export function ownStringKeys(object: object): string[] | undefined {
  return Object.getOwnPropertySymbols(object).length === 0 ? Object.getOwnPropertyNames(object) : undefined
}

/** Reads `obj[key]` as an own property only, so that names like `toString` never reach the prototype. */
export function own<T>(obj: { readonly [key: string]: T } | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined
}
