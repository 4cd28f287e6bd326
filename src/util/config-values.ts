import { ConfigError } from '../model/errors'

/**
 * The checks of configuration values shared by the engine's options and app declarations: one
 * test and one wording per kind of value, a `ConfigError` naming the option (and the app, when
 * given).
 */

/** An integer option from `min` to `max`: `value`, or `fallback` when it is `undefined`. */
export function integerOption(value: unknown, fallback: number, name: string, min = 1, max = Number.MAX_SAFE_INTEGER, app?: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new ConfigError(`${name} must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}`, app)
  }
  return value as number
}

/** A time in ms, finite, > 0 and at most `max`: `value`, or `fallback` when it is `undefined`. */
export function msOption<F extends number | undefined>(value: unknown, fallback: F, name: string, max = Infinity, app?: string): number | F {
  if (value === undefined) return fallback
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= max)) {
    throw new ConfigError(`${name} must be a finite number of ms > 0${max < Infinity ? ` and <= ${max}` : ''}`, app)
  }
  return value
}

/** `value` when it is a function (or `undefined`); a `ConfigError` otherwise. */
export function functionOption<T>(value: T, name: string, app?: string): T {
  if (value !== undefined && typeof value !== 'function') throw new ConfigError(`${name} must be a function`, app)
  return value
}

/** Whether `value` is an object (or a function) with each of `methods` (as functions, own or inherited). */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) return false
  return methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
}
