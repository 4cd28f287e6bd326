/**
 * Per-param validators implementing Standard Schema (https://standardschema.dev): zod, valibot,
 * arktype and others expose `~standard`, so the engine validates with any of them without
 * depending on one.
 */
import { ConfigError, InvalidValueError } from '../model/errors'
import { type Limits, checkValue, isPlainObject } from '../util/json'
import { nameProblem } from '../util/names'
import type { Write } from '../model/session'
import type { StandardSchemaV1 } from './standard-schema'

/**
 * Validators by param, as {@link sessionSchema} takes them: namespace -> key -> validator. Typed by
 * the session schema `S` so that `new SessionEngine({ schema })` infers `S` from their output types.
 */
export type SchemaValidators<S = Record<string, Record<string, unknown>>> = {
  readonly [N in keyof S]?: { readonly [K in keyof S[N]]?: StandardSchemaV1<any, S[N][K]> }
}

/** The session schema (param -> value type) described by an object of validators. */
export type InferSchema<V> = {
  [N in keyof V]: { [K in keyof V[N]]: V[N][K] extends StandardSchemaV1<any, infer Out> ? Out : never }
}

/** A validation issue as `InvalidValueError.issues` carries it: the path starts with namespace and key. */
export interface ValidationIssue extends StandardSchemaV1.Issue {
  readonly path: ReadonlyArray<PropertyKey | StandardSchemaV1.PathSegment>
}

/**
 * What the engine's `schema` option is, made by {@link sessionSchema}: validates the writes of
 * the params it has a validator for. `V` is the validators object (types only): the engine infers
 * its session schema from it.
 */
export interface SessionValidator<V = SchemaValidators> {
  /** Whether param `ns.key` has a validator. */
  covers(param: string): boolean
  /**
   * Validates the writes that have a validator and returns them with the validators' outputs;
   * throws (or rejects with) `InvalidValueError` listing every failing param's issues.
   */
  validate(writes: readonly Write[], limits: Limits): readonly Write[] | Promise<readonly Write[]>
  /** The validators' type, for inference only: never set. */
  readonly '~validators'?: V
}

/**
 * The engine's `schema` option: per-param validators implementing Standard Schema (namespace ->
 * key -> validator), e.g. `schema: sessionSchema({ public: { country: v.picklist(['DE', 'US']) } })`.
 * Throws `ConfigError` on a bad name or a value that is not a Standard Schema v1 validator.
 */
export function sessionSchema<V extends SchemaValidators>(validators: V): SessionValidator<V> {
  const compiled = compileSchema(validators)
  return {
    covers: (param) => compiled.has(param),
    validate: (writes, limits) => (compiled.size === 0 ? writes : validateWrites(writes, compiled, limits)),
  }
}

/** Checks validators given as namespace -> key -> validator and flattens them to `ns.key` -> validator; throws `ConfigError`. */
export function compileSchema(schema: unknown): ReadonlyMap<string, StandardSchemaV1> {
  if (!isPlainObject(schema)) throw new ConfigError('schema must be an object of namespace -> { key: validator }')
  const validators = new Map<string, StandardSchemaV1>()
  for (const [ns, keys] of Object.entries(schema)) {
    const nsProblem = nameProblem(ns)
    if (nsProblem !== undefined) throw new ConfigError(`schema: namespace ${nsProblem}`)
    if (!isPlainObject(keys)) throw new ConfigError(`schema.${ns} must be an object of key -> validator`)
    for (const [key, validator] of Object.entries(keys)) {
      const keyProblem = nameProblem(key)
      if (keyProblem !== undefined) throw new ConfigError(`schema.${ns}: key ${keyProblem}`)
      const standard = (validator as Partial<StandardSchemaV1> | null)?.['~standard']
      if (standard?.version !== 1 || typeof standard.validate !== 'function') {
        throw new ConfigError(`schema.${ns}.${key} must implement Standard Schema v1 (a "~standard" property with validate())`)
      }
      validators.set(`${ns}.${key}`, validator as StandardSchemaV1)
    }
  }
  return validators
}

type Outcome = StandardSchemaV1.Result<unknown> | { readonly thrown: unknown }

/**
 * Validates the writes that have a validator. Deletions (`undefined`) are not validated: removing a
 * param is always allowed. Stores the validator's *output* (so `trim()`-style transforms apply),
 * checked as JSON again. Synchronous when every validator is (no promise is created then);
 * async validators are awaited. Throws `InvalidValueError` whose `issues` gathers every failing
 * param's issues, each path prefixed with namespace and key.
 */
export function validateWrites(
  writes: readonly Write[],
  validators: ReadonlyMap<string, StandardSchemaV1>,
  limits: Limits,
): readonly Write[] | Promise<readonly Write[]> {
  let checked: Array<[index: number, param: string, outcome: Outcome | Promise<Outcome>]> | undefined
  let pending = false
  for (let i = 0; i < writes.length; i++) {
    const { namespace, key, value } = writes[i]!
    if (value === undefined) continue
    const param = `${namespace}.${key}`
    const validator = validators.get(param)
    if (validator === undefined) continue
    let outcome: Outcome | Promise<Outcome>
    try {
      const result = validator['~standard'].validate(value)
      outcome = result instanceof Promise ? result.catch((thrown: unknown) => ({ thrown })) : result
    } catch (thrown) {
      outcome = { thrown }
    }
    if (outcome instanceof Promise) pending = true
    ;(checked ??= []).push([i, param, outcome])
  }
  if (checked === undefined) return writes
  if (!pending) return apply(writes, checked as Array<[number, string, Outcome]>, limits)
  const list = checked
  return Promise.all(list.map(([, , outcome]) => outcome)).then((outcomes) =>
    apply(
      writes,
      list.map(([i, param], n) => [i, param, outcomes[n]!]),
      limits,
    ),
  )
}

function apply(writes: readonly Write[], checked: ReadonlyArray<[number, string, Outcome]>, limits: Limits): Write[] {
  const issues: ValidationIssue[] = []
  let first: string | undefined
  let cause: unknown
  const out = writes.slice()
  for (const [i, param, outcome] of checked) {
    const { namespace, key } = writes[i]!
    if ('thrown' in outcome) {
      first ??= param
      cause ??= outcome.thrown
      const message = outcome.thrown instanceof Error ? outcome.thrown.message : 'validator threw'
      issues.push({ message, path: [namespace, key] })
      continue
    }
    if (outcome.issues) {
      first ??= param
      for (const issue of outcome.issues) issues.push({ ...issue, path: [namespace, key, ...(issue.path ?? [])] })
      continue
    }
    out[i] = { namespace, key, value: checkValue(outcome.value, param, limits).value }
  }
  if (first === undefined) return out
  const summary = issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}: ${issue.message}`)
    .join('; ')
  throw new InvalidValueError(`validation failed: ${summary}`, first, { cause, issues: Object.freeze(issues) })
}
