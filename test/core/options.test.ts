import { describe, expect, it } from 'vitest'
import { ConfigError, MAX_TTL_MS, SessionEngine, defineApp } from '../../src/index'

const transform = () => undefined

function configError(make: () => unknown): ConfigError {
  let error: unknown
  try {
    make()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(ConfigError)
  expect((error as ConfigError).code).toBe('CONFIG')
  return error as ConfigError
}

describe('ConfigError', () => {
  it('duplicate app names', () => {
    const a = defineApp({ name: 'dup', transform })
    const e = configError(() => new SessionEngine({ apps: [a, defineApp({ name: 'other', transform }), a] }))
    expect(e.app).toBe('dup')
    expect(e.message).toMatch(/"dup".*duplicate/)
  })

  const badApps: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a namespace with a dot', { input: { 'pub.lic': ['a'] } }, /input namespace.*"pub\.lic"/],
    ['an empty namespace', { output: { '': ['a'] } }, /output namespace must not be empty/],
    ['a key with a dot', { input: { public: ['a.b'] } }, /input key in "public".*"a\.b"/],
    ['a key with a star', { output: { public: ['utm_*'] } }, /output key/],
    ['an empty key', { input: { public: [''] } }, /must not be empty/],
    ['a non-string key', { input: { public: [1] } }, /must be a string/],
    ['keys not in an array', { input: { public: 'a' } }, /must be an array/],
    ['input not an object', { input: ['public.a'] }, /input must be an object/],
    ['the same param twice', { input: { public: ['a', 'a'] } }, /public\.a twice/],
    ['__proto__ as a namespace', { input: JSON.parse('{"__proto__": ["a"]}') }, /"__proto__" is a reserved name/],
    ['constructor as a key', { output: { public: ['constructor'] } }, /"constructor" is a reserved name/],
    ['prototype as a namespace', { output: { prototype: ['a'] } }, /"prototype" is a reserved name/],
    ['a transform that is not a function', { transform: 'x => x' }, /transform must be a function/],
    ['a missing transform', { transform: undefined }, /transform must be a function/],
    ['timeoutMs 0', { timeoutMs: 0 }, /timeoutMs/],
    ['timeoutMs negative', { timeoutMs: -5 }, /timeoutMs/],
    ['timeoutMs NaN', { timeoutMs: Number.NaN }, /timeoutMs/],
    ['timeoutMs Infinity', { timeoutMs: Number.POSITIVE_INFINITY }, /timeoutMs/],
    ['timeoutMs as a string', { timeoutMs: '100' }, /timeoutMs/],
    ['runOnCreate not a boolean', { runOnCreate: 'yes' }, /runOnCreate must be a boolean/],
    ['critical not a boolean', { critical: 1 }, /critical must be a boolean/],
    ['an unknown option', { monitors: { public: ['a'] } }, /unknown option "monitors"/],
  ]
  for (const [what, config, message] of badApps) {
    it(`an app with ${what}, naming the app (defineApp and the constructor)`, () => {
      const app = { name: 'broken-app', transform, ...config }
      for (const make of [() => defineApp(app as never), () => new SessionEngine({ apps: [app as never] })]) {
        const e = configError(make)
        expect(e.app).toBe('broken-app')
        expect(e.message).toMatch(/^app "broken-app": /)
        expect(e.message).toMatch(message)
      }
    })
  }

  it('an app without a name or not an object', () => {
    expect(configError(() => new SessionEngine({ apps: [{ transform } as never] })).message).toMatch(/app #0.*name/)
    expect(configError(() => new SessionEngine({ apps: [defineApp({ name: 'a', transform }), null as never] })).message).toMatch(/app #1/)
    configError(() => new SessionEngine({ apps: {} as never }))
  })

  const badOptions: Array<[string, Record<string, unknown>]> = [
    ['maxWaves 0', { maxWaves: 0 }],
    ['maxWaves 1.5', { maxWaves: 1.5 }],
    ['ttlMs 0', { ttlMs: 0 }],
    ['ttlMs Infinity', { ttlMs: Number.POSITIVE_INFINITY }],
    ['ttlMs 1e19 (no store can expire it)', { ttlMs: 1e19 }],
    ['ttlMs over 100 years', { ttlMs: MAX_TTL_MS + 1 }],
    ['engine timeoutMs -1', { timeoutMs: -1 }],
    ['a clock without now', { clock: {} }],
    ['a store without put', { store: { get() {}, delete() {} } }],
    ['writableNamespaces with a reserved name', { writableNamespaces: ['__proto__'] }],
    ['writableNamespaces not an array', { writableNamespaces: 'public' }],
    ['a limit of 0', { limits: { maxDepth: 0 } }],
    ['maxConflictRetries -1', { maxConflictRetries: -1 }],
    ['generateId not a function', { generateId: 'x' }],
  ]
  for (const [what, options] of badOptions) {
    it(`engine option: ${what}`, () => {
      configError(() => new SessionEngine(options as never))
    })
  }

  it('the cycles and strict options moved to describeGraph: passing them says so', () => {
    for (const options of [{ cycles: 'refuse' }, { cycles: 'allow' }, { strict: true }, { strict: false }]) {
      const name = Object.keys(options)[0]!
      expect(() => new SessionEngine(options as never)).toThrow(new RegExp(`the ${name} option moved out of the engine: call describeGraph\\(options, \\{ ${name}: `))
      expect(() => new SessionEngine(options as never)).toThrow(ConfigError)
    }
  })

  it('accepts a valid configuration, including zero apps', () => {
    expect(() => new SessionEngine()).not.toThrow()
    expect(() => new SessionEngine({ maxConflictRetries: 0, maxWaves: 1, writableNamespaces: [] })).not.toThrow()
  })
})
