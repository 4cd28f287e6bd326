import { InvalidValueError } from '../model/errors'
import { type Limits, jsonEqual, own, ownStringKeys, toJson } from '../util/json'
import { nameProblem } from '../util/names'
import type { Namespace, Write } from '../model/session'

/**
 * The keys of one namespace's new params, each checked: a string, a valid name, and no more
 * than `limits.maxKeysPerNamespace` of them. Throws `InvalidValueError` on the first bad one.
 */
export function namespaceKeys(namespace: string, params: object, limits: Limits): string[] {
  const keys = ownStringKeys(params)
  if (keys === undefined) throw new InvalidValueError('symbol key', namespace)
  if (keys.length > limits.maxKeysPerNamespace) throw new InvalidValueError(`more than ${limits.maxKeysPerNamespace} params`, namespace)
  for (const key of keys) {
    const problem = nameProblem(key)
    if (problem !== undefined) throw new InvalidValueError(`key ${problem}`, `${namespace}.${key.slice(0, 200)}`)
  }
  return keys
}

/**
 * Appends to `writes` the param writes that one namespace's new params amount to — the one
 * reading shared by changes objects, recipes and JSON Patch. Keys are checked by
 * `namespaceKeys`, values are checked (plain JSON, within limits) and frozen; an accessor
 * property is refused, never run.
 *
 * - `before` omitted (a changes object): every key of `params` is written, `undefined` deletes,
 *   absent keys are left alone.
 * - `before` given, possibly `undefined` for a namespace that did not exist (a recipe's or a
 *   patch's result, which is the whole new namespace): only what differs from `before` is
 *   written, and keys of `before` missing from `params` are deleted.
 */
export function namespaceWrites(writes: Write[], namespace: string, params: object, limits: Limits, ...before: [] | [Namespace | undefined]): void {
  const diff = before.length > 0
  const old = before[0]
  for (const key of namespaceKeys(namespace, params, limits)) {
    // the `ns.key` path is only built for an error message or a value that needs a walk
    const value = dataValue(params, key, namespace, key)
    if (!diff) {
      writes.push({ namespace, key, value: value === undefined ? undefined : toJson(value, namespace, limits, key) })
      continue
    }
    const previous = own(old, key)
    if (value === previous) continue
    if (value === undefined) {
      if (previous !== undefined) writes.push({ namespace, key, value: undefined })
      continue
    }
    const checked = toJson(value, namespace, limits, key)
    if (!jsonEqual(previous, checked)) writes.push({ namespace, key, value: checked })
  }
  if (old !== undefined) {
    for (const key of Object.keys(old)) {
      if (!Object.hasOwn(params, key)) writes.push({ namespace, key, value: undefined })
    }
  }
}

/** The own data property `key` of `obj`; an accessor is refused (running it could do anything). `path`, or `path.sub`, names it in the error. */
export function dataValue(obj: object, key: string, path: string, sub?: string): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key)!
  if (!('value' in d)) throw new InvalidValueError('accessor property is not JSON', sub === undefined ? path : `${path}.${sub}`)
  return d.value
}
