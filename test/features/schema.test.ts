import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { ConfigError, InvalidValueError, SessionEngine, defineApp, jsonPatch, recipe, sessionSchema } from '../../src/index'
import { createTestEngine, runApp } from '../../src/testing'

const validators = {
  public: {
    country: v.picklist(['DE', 'US', 'GB']),
    postalCode: v.pipe(v.string(), v.trim(), v.maxLength(10)),
  },
  checkout: { regionId: v.pipe(v.string(), v.regex(/^[a-z]{2}-\w$/)) },
}
const schema = sessionSchema(validators)

const region = defineApp({
  name: 'region',
  input: { public: ['country', 'postalCode'] },
  output: { checkout: ['regionId'] },
  transform: (input) => ({
    checkout: { regionId: input.public.postalCode === 'BAD' ? 'not a region' : `${String(input.public.country).toLowerCase()}-1` },
  }),
})

/** Client input is untyped at compile time (a parsed request body): the typed engine would refuse these statically. */
const body = (changes: object): never => changes as never

async function setup() {
  const { engine, store } = createTestEngine({ apps: [region], schema })
  const { session } = await engine.create({ public: { country: 'DE' } })
  return { engine, store, session }
}

describe('Standard Schema validation (valibot)', () => {
  it('client writes that fail are InvalidValueError with the issues; nothing is saved', async () => {
    const { engine, session } = await setup()
    const error = await engine.patch(session.id, body({ public: { country: 'FR' } })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidValueError)
    const e = error as InvalidValueError
    expect(e.path).toBe('public.country')
    expect(e.issues).toHaveLength(1)
    expect(e.issues![0]).toMatchObject({ path: ['public', 'country'] })
    expect(e.message).toContain('public.country')
    expect((await engine.get(session.id))!.version).toBe(1)
  })

  it('every failing param is reported, with paths starting at namespace and key', async () => {
    const { engine, session } = await setup()
    const e = (await engine.patch(session.id, body({ public: { country: 'FR', postalCode: '12345678901' } })).catch((x: unknown) => x)) as InvalidValueError
    expect(e).toBeInstanceOf(InvalidValueError)
    expect(e.issues!.map((i) => (i as { path: unknown[] }).path.slice(0, 2))).toEqual([
      ['public', 'country'],
      ['public', 'postalCode'],
    ])
  })

  it('all caller write paths validate: create, patch recipe, applyJsonPatch, runCreate, runTransform', async () => {
    const { engine, session } = await setup()
    await expect(engine.create(body({ public: { country: 'XX' } }))).rejects.toBeInstanceOf(InvalidValueError)
    await expect(engine.patch(session.id, recipe((d) => void (d.public!.country = 'XX')))).rejects.toBeInstanceOf(InvalidValueError)
    await expect(engine.patch(session.id, jsonPatch([{ op: 'add', path: '/public/country', value: 'XX' }]))).rejects.toBeInstanceOf(
      InvalidValueError,
    )
    await expect(engine.runCreate(body({ public: { country: 'XX' } }))).rejects.toBeInstanceOf(InvalidValueError)
    await expect(engine.runTransform({}, body({ public: { country: 'XX' } }))).rejects.toBeInstanceOf(InvalidValueError)
    expect((await engine.get(session.id))!.version).toBe(1)
  })

  it("the validator's output is what is stored (transforms such as trim apply)", async () => {
    const { engine, session } = await setup()
    const { session: next } = await engine.patch(session.id, { public: { postalCode: '  10115 ' } })
    expect(next.namespaces.public!.postalCode).toBe('10115')
  })

  it('deleting a validated param is always allowed', async () => {
    const { engine, session } = await setup()
    const { session: next } = await engine.patch(session.id, { public: { country: undefined } })
    expect(next.namespaces.public).toBeUndefined()
  })

  it('params without a validator are not checked', async () => {
    const { engine, session } = await setup()
    const { session: next } = await engine.patch(session.id, { public: { utm_source: 42 } })
    expect(next.namespaces.public!.utm_source).toBe(42)
  })

  it('an app output that fails is isolated like a failing app: dropped, reported, the cycle goes on', async () => {
    const { engine, session } = await setup()
    expect(session.namespaces.checkout).toEqual({ regionId: 'de-1' })
    const { session: next, report } = await engine.patch(session.id, { public: { postalCode: 'BAD' } })
    expect(next.namespaces.checkout).toEqual({ regionId: 'de-1' })
    const run = report.waves[0]!.apps[0]!
    expect(run).toMatchObject({ app: 'region', status: 'failed', error: { kind: 'invalid-output' } })
    expect((run.error!.cause as InvalidValueError).issues![0]).toMatchObject({ path: ['checkout', 'regionId'] })
    expect(next.namespaces.public!.postalCode).toBe('BAD')
  })

  it('a critical app whose output fails validation fails the call', async () => {
    const critical = defineApp({ ...region, name: 'critical-region', critical: true })
    const engine = new SessionEngine({ apps: [critical], schema })
    await expect(engine.create({ public: { country: 'DE', postalCode: 'BAD' } })).rejects.toMatchObject({ code: 'TRANSFORM_FAILED' })
  })

  it('async validators are awaited, for caller writes and app outputs', async () => {
    const slowCountry = v.pipeAsync(
      v.string(),
      v.checkAsync(async (value) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        return value !== 'FR'
      }, 'no FR'),
    )
    const engine = new SessionEngine({ apps: [region], schema: sessionSchema({ public: { country: slowCountry, postalCode: validators.public.postalCode }, checkout: validators.checkout }) })
    await expect(engine.create(body({ public: { country: 'FR' } }))).rejects.toMatchObject({ code: 'INVALID_VALUE', issues: [{ message: 'no FR' }] })
    const { session } = await engine.create({ public: { country: 'DE' } })
    expect(session.namespaces.checkout).toEqual({ regionId: 'de-1' })
    const out = defineApp({ name: 'out', input: { public: ['x'] }, output: { public: ['country'] }, transform: () => ({ public: { country: 'FR' } }) })
    const engine2 = new SessionEngine({ apps: [out], schema: sessionSchema({ public: { country: slowCountry, x: v.number() } }) })
    const { report } = await engine2.runCreate({ public: { x: 1 } })
    expect(report.waves[0]!.apps[0]).toMatchObject({ status: 'failed', error: { kind: 'invalid-output' } })
  })

  it('a validator that throws refuses the write (cause kept)', async () => {
    const boom = { '~standard': { version: 1 as const, vendor: 'test', validate: () => { throw new Error('boom') } } }
    const engine = new SessionEngine({ schema: sessionSchema({ public: { x: boom } }) })
    const e = (await engine.create({ public: { x: 1 } }).catch((x: unknown) => x)) as InvalidValueError
    expect(e).toBeInstanceOf(InvalidValueError)
    expect((e.cause as Error).message).toBe('boom')
  })

  it('a validator output that is not JSON is refused', async () => {
    const engine = new SessionEngine({ schema: sessionSchema({ public: { at: v.pipe(v.string(), v.transform((s) => new Date(s))) } }) })
    await expect(engine.create(body({ public: { at: '2024-01-01' } }))).rejects.toBeInstanceOf(InvalidValueError)
  })

  it('a malformed schema is a ConfigError', () => {
    expect(() => sessionSchema({ public: { x: {} as never } })).toThrow(ConfigError)
    expect(() => sessionSchema({ 'a.b': {} } as never)).toThrow(ConfigError)
    expect(() => sessionSchema([] as never)).toThrow(ConfigError)
  })

  it('validators given as a plain object (not through sessionSchema) are a ConfigError saying what to write', async () => {
    for (const given of [validators, [], 'x', { covers: () => true }]) {
      expect(() => new SessionEngine({ schema: given as never })).toThrow(/schema must be made by sessionSchema\(\): write schema: sessionSchema\(/)
    }
    await expect(runApp(region, {}, { schema: validators as never })).rejects.toThrow(ConfigError)
  })

  it('an empty schema validates nothing and changes nothing', async () => {
    const engine = new SessionEngine({ apps: [region], schema: sessionSchema({}) })
    const { session } = await engine.create(body({ public: { country: 'FR', postalCode: ' no trim ' } }))
    expect(session.namespaces.public).toEqual({ country: 'FR', postalCode: ' no trim ' })
    expect(session.namespaces.checkout).toEqual({ regionId: 'fr-1' })
  })

  it('runApp from the testing kit applies the same output validation', async () => {
    const ok = await runApp(region, { public: { country: 'DE' } }, { schema })
    expect(ok).toMatchObject({ status: 'ok', output: { checkout: { regionId: 'de-1' } } })
    const bad = await runApp(region, { public: { country: 'DE', postalCode: 'BAD' } }, { schema })
    expect(bad).toMatchObject({ status: 'failed', output: {}, error: { kind: 'invalid-output' } })
  })
})
