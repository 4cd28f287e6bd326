import jsonpatch from 'fast-json-patch'
import type { Operation as FastJsonPatchOperation } from 'fast-json-patch'
import { ForbiddenWriteError, InvalidValueError } from '../model/errors'
import { type Limits, checkValue, describe, isPlainObject, own, sizeOf } from '../util/json'
import { namespaceWrites } from './namespace-writes'
import { RESERVED_NAMES, nameProblem } from '../util/names'
import type { JsonValue, Namespace, Namespaces, Write } from '../model/session'

/** Most operations accepted in one JSON Patch. */
export const MAX_PATCH_OPS = 1_000

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])

interface CheckedOp {
  op: string
  path: string
  from?: string
  value?: unknown
}

/**
 * Checks a client's RFC 6902 JSON Patch (shape, pointers, reserved names, writable namespaces,
 * values) before anything is applied. Every path — `test` and `from` included — must lie in a
 * writable namespace, so a client cannot probe host-owned params with `test` either.
 */
export function checkJsonPatch(ops: unknown, writable: ReadonlySet<string>, limits: Limits): CheckedOp[] {
  if (!Array.isArray(ops)) throw new InvalidValueError(`a JSON Patch must be an array of operations, got ${describe(ops)}`)
  if (ops.length > MAX_PATCH_OPS) throw new InvalidValueError(`a JSON Patch may hold at most ${MAX_PATCH_OPS} operations`)
  const forbidden: string[] = []
  // Array.from, not map: map skips holes, and a hole must be refused like any non-object op
  const checked = Array.from(ops, (raw: unknown, i): CheckedOp => {
    const where = `operation ${i}`
    if (!isPlainObject(raw)) throw new InvalidValueError(`${where} must be an object`)
    const op = ownValue(raw, 'op', where)
    if (typeof op !== 'string' || !OPS.has(op)) throw new InvalidValueError(`${where} has an unknown op ${JSON.stringify(op)}`)
    const path = ownValue(raw, 'path', where)
    const out: CheckedOp = { op, path: checkPointer(path, where, writable, forbidden) }
    if (op === 'move' || op === 'copy') out.from = checkPointer(ownValue(raw, 'from', where), where, writable, forbidden)
    if (op === 'add' || op === 'replace' || op === 'test') {
      const value = ownValue(raw, 'value', where)
      if (value === undefined) throw new InvalidValueError(`${where} (${op}) needs a value`, out.path)
      // checked and frozen here; applyClientPatch hands fast-json-patch a fresh mutable copy each time
      out.value = checkValue(value, out.path, limits).value
    }
    return out
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

function checkPointer(pointer: unknown, where: string, writable: ReadonlySet<string>, forbidden: string[]): string {
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
  if (keyProblem !== undefined) {
    throw new InvalidValueError(`${where}: key ${keyProblem}`, pointer)
  }
  if (!writable.has(namespace)) forbidden.push(pointer)
  return pointer
}

/**
 * Applies a checked JSON Patch to the writable namespaces it touches and returns the resulting
 * param writes. RFC 6902: the patch applies whole or not at all (a failed `test` refuses it).
 */
export function applyClientPatch(ops: CheckedOp[], namespaces: Namespaces, limits: Limits): Write[] {
  const touched = new Set<string>()
  for (const op of ops) {
    touched.add(namespaceOf(op.path))
    if (op.from !== undefined) touched.add(namespaceOf(op.from))
  }
  const doc: Record<string, Namespace> = {}
  for (const ns of touched) doc[ns] = own(namespaces, ns) ?? {}
  // fast-json-patch inserts op values by reference and later ops of the same patch may write inside
  // them: give it fresh copies on every application, so a patch re-applied after a compare-and-set
  // conflict is applied to the new session exactly as the first time (not to the first attempt's edits)
  const fresh = ops.map((op) =>
    typeof op.value === 'object' && op.value !== null ? { ...op, value: JSON.parse(JSON.stringify(op.value)) as unknown } : op,
  )
  let result: Record<string, unknown>
  try {
    result = applyBounded(doc, fresh as FastJsonPatchOperation[], limits.maxSessionBytes)
  } catch (error) {
    if (error instanceof InvalidValueError) throw error
    const e = error as { name?: string; index?: number; message?: string; operation?: { path?: string } }
    throw new InvalidValueError(
      `JSON Patch refused${e.index === undefined ? '' : ` at operation ${e.index}`}: ${e.name ?? 'error'}: ${(e.message ?? '').split('\n')[0]}`,
      e.operation?.path,
      { cause: error },
    )
  }
  const writes: Write[] = []
  for (const ns of touched) {
    const after = own(result, ns) ?? {}
    if (!isPlainObject(after)) throw new InvalidValueError('a namespace must stay an object', `/${ns}`)
    writes.push(...namespaceWrites(ns, after, limits, own(namespaces, ns)))
  }
  return writes
}

/**
 * fast-json-patch's `applyPatch` (validating, on a copy, prototype writes banned), one op at a
 * time with the document's size bounded. A `copy` can double a value, so 60 ops of a few bytes
 * would otherwise build 2^60 elements before any limit is looked at. An upper bound of the size is
 * kept at the cost of each op's own value, recomputed exactly only when it crosses
 * `maxBytes`; the patch is refused at the first op after which the namespaces it touches are over.
 */
function applyBounded(doc: Record<string, Namespace>, ops: FastJsonPatchOperation[], maxBytes: number): Record<string, unknown> {
  let document = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>
  let bound = sizeOf(document as JsonValue)
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    if (op.op === 'copy') bound += sizeAt(document, op.from)
    else if (op.op === 'add' || op.op === 'replace') bound += sizeOf(op.value as JsonValue)
    document = jsonpatch.applyOperation(document, op, true, true, true, i).newDocument
    if (bound > maxBytes) {
      bound = sizeOf(document as JsonValue)
      if (bound > maxBytes) {
        throw new InvalidValueError(`JSON Patch refused at operation ${i}: it would make the session larger than limits.maxSessionBytes (${maxBytes})`, op.path, {
          limit: 'maxSessionBytes',
        })
      }
    }
  }
  return document
}

/** Approximate JSON size of the value at `pointer`, 0 when there is none (the op will then fail on its own). */
function sizeAt(document: unknown, pointer: string): number {
  try {
    const value: unknown = jsonpatch.getValueByPointer(document, pointer)
    return value === undefined ? 0 : sizeOf(value as JsonValue)
  } catch {
    return 0
  }
}

function namespaceOf(pointer: string): string {
  const end = pointer.indexOf('/', 1)
  const raw = end < 0 ? pointer.slice(1) : pointer.slice(1, end)
  return raw.replace(/~1/g, '/').replace(/~0/g, '~')
}

