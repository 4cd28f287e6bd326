import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, SessionEngine, defineApp } from '../../src/index'
import { functionOption, hasMethods, integerOption, msOption } from '../../src/util/config-values'
import { fcParams } from '../support/fc'

const anything = fc.oneof(fc.anything(), fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -0, 2 ** 53, 1.5))

/** What a check answered: the value it returned, or the message of its ConfigError. */
function outcome(check: () => unknown): unknown {
  try {
    return check()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
}

describe('configuration values (one check per kind)', () => {
  it('property: integerOption takes exactly the safe integers from min to max, undefined as the fallback', () => {
    fc.assert(
      fc.property(anything, fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 20 }), (value, min, span) => {
        const max = min + span
        const ok = value === undefined || (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max)
        const got = outcome(() => integerOption(value, 7, 'n', min, max, 'app'))
        if (ok) expect(got).toBe(value === undefined ? 7 : value)
        else expect(got).toBe(`app "app": n must be an integer >= ${min} and <= ${max}`)
      }),
      fcParams(500),
    )
  })

  it('property: msOption takes exactly the finite numbers > 0 up to max, undefined as the fallback', () => {
    fc.assert(
      fc.property(anything, (value) => {
        const ok = value === undefined || (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1000)
        const got = outcome(() => msOption(value, undefined, 't', 1000))
        if (ok) expect(got).toBe(value)
        else expect(got).toBe('t must be a finite number of ms > 0 and <= 1000')
      }),
      fcParams(500),
    )
    expect(outcome(() => msOption(Infinity, undefined, 't'))).toBe('t must be a finite number of ms > 0')
  })

  it('functionOption and hasMethods', () => {
    const f = () => 1
    expect(functionOption(f, 'f')).toBe(f)
    expect(functionOption(undefined, 'f')).toBeUndefined()
    expect(outcome(() => functionOption(5, 'f'))).toBe('f must be a function')
    expect(hasMethods({ a: f, b: f }, ['a', 'b'])).toBe(true)
    expect(hasMethods(Object.assign(() => 0, { a: f, b: f }), ['a', 'b'])).toBe(true)
    expect(hasMethods(new (class { a() {} b() {} })(), ['a', 'b'])).toBe(true)
    for (const bad of [null, 5, 'ab', { a: f }, { a: f, b: 1 }]) expect(hasMethods(bad, ['a', 'b'])).toBe(false)
  })

  it("the engine's timeoutMs is held to the timers' bound itself, not blamed on the first app", () => {
    const transform = () => undefined
    const error = outcome(() => new SessionEngine({ timeoutMs: 2 ** 31, apps: [defineApp({ name: 'a', transform })] }))
    expect(error).toBe('timeoutMs must be a finite number of ms > 0 and <= 2147483647')
    expect(outcome(() => defineApp({ name: 'a', timeoutMs: 2 ** 31, transform }))).toBe('app "a": timeoutMs must be a finite number of ms > 0 and <= 2147483647')
    expect(new SessionEngine({ timeoutMs: 2 ** 31 - 1, apps: [defineApp({ name: 'a', transform })] })).toBeInstanceOf(SessionEngine)
  })
})
