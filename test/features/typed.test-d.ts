/**
 * Type tests (vitest typecheck + `tsc -p test/tsconfig.json`): what `defineApp`, `defineAppFor`
 * and a typed `SessionEngine` accept and refuse. Every negative case is an `@ts-expect-error`, so
 * it fails the type check the day it stops being an error.
 */
import type { StandardSchemaV1 as SpecSchema } from '@standard-schema/spec'
import * as v from 'valibot'
import { describe, expectTypeOf, it } from 'vitest'
import {
  sessionSchema,
  type App,
  type InferSchema,
  type JsonValue,
  type Namespaces,
  type Session,
  type StandardSchemaV1,
  SessionEngine,
  defineApp,
  defineAppFor,
} from '../../src/index'
import { createTestEngine, runApp } from '../../src/testing'

describe('the inlined Standard Schema interface', () => {
  it('is interchangeable with @standard-schema/spec', () => {
    const fromSpec: StandardSchemaV1<string, number> = {} as SpecSchema<string, number>
    const toSpec: SpecSchema<string, number> = {} as StandardSchemaV1<string, number>
    void [fromSpec, toSpec]
    // @ts-expect-error -- and it is typed: the output types must agree
    const wrong: StandardSchemaV1<string, number> = {} as SpecSchema<string, string>
    void wrong
  })
})

describe('defineApp infers input and output from the declarations', () => {
  it('declared inputs are readable, with every declared namespace present', () => {
    defineApp({
      name: 'checkout',
      input: { public: ['country', 'postalCode'], store: ['channel'] },
      output: { checkout: ['regionId'] },
      transform: (input) => {
        expectTypeOf(input.public.country).toEqualTypeOf<JsonValue | undefined>()
        expectTypeOf(input.store).toEqualTypeOf<{ readonly channel?: JsonValue }>()
        // @ts-expect-error -- not declared in input
        void input.public.nope
        // @ts-expect-error -- namespace not declared in input
        void input.profile
        return { checkout: { regionId: String(input.public.country) } }
      },
    })
  })

  it('returning an undeclared param or namespace is a type error', () => {
    defineApp({
      name: 'a',
      output: { checkout: ['regionId'] },
      // @ts-expect-error -- nope is not in output
      transform: () => ({ checkout: { regionId: 'x', nope: 1 } }),
    })
    defineApp({
      name: 'b',
      output: { checkout: ['regionId'] },
      // @ts-expect-error -- namespace store is not in output
      transform: () => ({ store: { regionId: 'x' } }),
    })
    defineApp({
      name: 'c',
      output: { checkout: ['regionId'] },
      // @ts-expect-error -- the same check applies to async transforms
      transform: async () => ({ checkout: { regionId: 'x', nope: 1 } }),
    })
    defineApp({
      name: 'd',
      input: { public: ['country'] },
      output: { checkout: ['regionId'] },
      // @ts-expect-error -- and to every branch
      transform: (input) => (input.public.country ? undefined : { checkout: { nope: 1 } }),
    })
    defineApp({
      name: 'e',
      output: { checkout: ['regionId'] },
      // @ts-expect-error -- a Date is not JSON
      transform: () => ({ checkout: { regionId: new Date() } }),
    })
  })

  it('accepts every valid return: partial, deletions, nothing, async', () => {
    const app = defineApp({
      name: 'ok',
      input: { public: ['country'] },
      output: { checkout: ['regionId', 'zone'] },
      transform: (input) => {
        if (input.public.country === undefined) return undefined
        if (input.public.country === 'XX') return { checkout: { regionId: undefined } }
        return { checkout: { zone: 1 } }
      },
    })
    expectTypeOf(app.name).toEqualTypeOf<string>()
    defineApp({ name: 'void', input: { public: ['x'] }, transform: () => {} })
    defineApp({ name: 'async', output: { a: ['b'] }, transform: async () => ({ a: { b: [1, { c: null }] } }) })
    // computed keys cannot be checked statically and are let through (the engine reports them at runtime)
    const key: string = 'b'
    defineApp({ name: 'computed', output: { a: ['b'] }, transform: () => ({ a: { [key]: 1 } }) })
  })

  it('any app fits a plain App list and the engine', () => {
    const one = defineApp({ name: 'one', input: { a: ['x'] }, output: { b: ['y'] }, transform: () => ({ b: { y: 1 } }) })
    const two = defineApp({ name: 'two', input: { b: ['y'] }, transform: () => undefined })
    const apps: App[] = [one, two]
    new SessionEngine({ apps })
  })
})

interface Shop {
  public: { country: 'DE' | 'US'; postalCode: string }
  checkout: { regionId: string }
}

describe('a session schema types the transforms (defineAppFor)', () => {
  const defineShopApp = defineAppFor<Shop>()

  it('input values take their schema types', () => {
    defineShopApp({
      name: 'region',
      input: { public: ['country', 'postalCode'] },
      output: { checkout: ['regionId'] },
      transform: (input) => {
        expectTypeOf(input.public.country).toEqualTypeOf<'DE' | 'US' | undefined>()
        expectTypeOf(input.public.postalCode).toEqualTypeOf<string | undefined>()
        return { checkout: { regionId: `${input.public.country}-${input.public.postalCode ?? '0'}` } }
      },
    })
  })

  it('output values must match the schema', () => {
    defineShopApp({
      name: 'bad',
      output: { public: ['country'] },
      // @ts-expect-error -- 'FR' is not a Shop country
      transform: () => ({ public: { country: 'FR' } }),
    })
    defineShopApp({ name: 'good', output: { public: ['country'] }, transform: () => ({ public: { country: 'US' } }) })
  })
})

describe('a typed engine', () => {
  it('an explicit schema flows into create, get, patch, runTransform', async () => {
    const engine = new SessionEngine<Shop>({})
    const { session } = await engine.create({ public: { country: 'DE' } })
    expectTypeOf(session.namespaces.public?.country).toEqualTypeOf<'DE' | 'US' | undefined>()
    expectTypeOf(session.namespaces.store?.channel).toEqualTypeOf<JsonValue | undefined>()
    expectTypeOf(session.version).toEqualTypeOf<number>()
    const got = await engine.get(session.id)
    expectTypeOf(got?.namespaces.checkout?.regionId).toEqualTypeOf<string | undefined>()
    // @ts-expect-error -- 'FR' is not a Shop country
    await engine.patch(session.id, { public: { country: 'FR' } })
    await engine.patch(session.id, { public: { country: undefined, utm_source: 'mail' } })
    const pure = await engine.runTransform({}, { public: { postalCode: '10115' } })
    expectTypeOf(pure.namespaces.public?.postalCode).toEqualTypeOf<string | undefined>()
  })

  it('validators of some params fit an engine typed by the whole schema; wrong value types do not', () => {
    const some = sessionSchema({ public: { country: v.picklist(['DE', 'US']) } })
    const engine = new SessionEngine<Shop>({ schema: some })
    expectTypeOf(engine).toEqualTypeOf<SessionEngine<Shop>>()
    // @ts-expect-error -- a validator whose output is a number cannot validate Shop's string postalCode
    new SessionEngine<Shop>({ schema: sessionSchema({ public: { postalCode: v.number() } }) })
  })

  it('validators type the engine without an explicit type argument', async () => {
    const validators = { public: { country: v.picklist(['DE', 'US']), age: v.pipe(v.string(), v.transform(Number)) } }
    const engine = new SessionEngine({ schema: sessionSchema(validators) })
    const { session } = await engine.create()
    expectTypeOf(session.namespaces.public?.country).toEqualTypeOf<'DE' | 'US' | undefined>()
    expectTypeOf(session.namespaces.public?.age).toEqualTypeOf<number | undefined>()
    expectTypeOf<InferSchema<typeof validators>>().toEqualTypeOf<{ public: { country: 'DE' | 'US'; age: number } }>()
    // @ts-expect-error -- validators are given through sessionSchema(), not as a plain object
    new SessionEngine({ schema: validators })
  })

  it('the untyped default is exactly the untyped session', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create()
    expectTypeOf(session).toEqualTypeOf<Session>()
    expectTypeOf((await engine.runCreate()).namespaces).toEqualTypeOf<Namespaces>()
  })

  it('the testing kit keeps the types', async () => {
    const { engine } = createTestEngine<Shop>()
    const { session } = await engine.create({ public: { country: 'US' } })
    expectTypeOf(session.namespaces.public?.country).toEqualTypeOf<'DE' | 'US' | undefined>()
    const app = defineApp({ name: 'a', input: { x: ['y'] }, output: { z: ['w'] }, transform: () => ({ z: { w: 1 } }) })
    const run = await runApp(app, { x: { y: 1 } })
    expectTypeOf(run.output.z).toEqualTypeOf<{ w?: JsonValue | undefined } | undefined>()
    // @ts-expect-error -- not an output of the app
    void run.output.nope
    const { engine: validated } = createTestEngine({ schema: sessionSchema({ public: { n: v.number() } }) })
    expectTypeOf((await validated.create()).session.namespaces.public?.n).toEqualTypeOf<number | undefined>()
  })
})

describe('a session schema catches misspelled params at the name', () => {
  const defineShopApp = defineAppFor<Shop>()
  const noop = () => undefined

  it('an input key the schema does not name', () => {
    defineShopApp({
      name: 'typo',
      input: {
        // @ts-expect-error -- countryy is not a key of Shop.public
        public: ['countryy'],
      },
      transform: noop,
    })
  })

  it('an input namespace the schema does not name', () => {
    defineShopApp({
      name: 'typo',
      input: {
        // @ts-expect-error -- publik is not a namespace of Shop
        publik: ['country'],
      },
      transform: noop,
    })
  })

  it('an output key or namespace the schema does not name', () => {
    defineShopApp({
      name: 'typo',
      output: {
        // @ts-expect-error -- region is not a key of Shop.checkout
        checkout: ['region'],
      },
      transform: noop,
    })
    defineShopApp({
      name: 'typo',
      output: {
        // @ts-expect-error -- checkuot is not a namespace of Shop
        checkuot: ['regionId'],
      },
      transform: noop,
    })
  })

  it('one bad name among good ones is the only error', () => {
    defineShopApp({
      name: 'typo',
      input: {
        public: ['country', 'postalCode'],
        // @ts-expect-error -- regionID is not a key of Shop.checkout
        checkout: ['regionId', 'regionID'],
      },
      transform: noop,
    })
  })

  it('correct names type-check and type the transform', () => {
    const app = defineShopApp({
      name: 'region',
      input: { public: ['country'] },
      output: { checkout: ['regionId'] },
      transform: (input) => ({ checkout: { regionId: input.public.country ?? 'none' } }),
    })
    new SessionEngine<Shop>({ apps: [app] })
  })

  it('an engine typed by a schema checks the names of every app, even plain ones', () => {
    const typo = defineApp({ name: 'plain', input: { public: ['countryy'] }, transform: noop })
    const good = defineApp({ name: 'good', input: { public: ['country'] }, output: { checkout: ['regionId'] }, transform: noop })
    new SessionEngine<Shop>({ apps: [good] })
    // @ts-expect-error -- plain reads public.countryy, which Shop does not name
    new SessionEngine<Shop>({ apps: [good, typo] })
    const schema = sessionSchema({ public: { country: v.picklist(['DE', 'US']) } })
    new SessionEngine({ schema, apps: [defineApp({ name: 'ok', input: { public: ['country'] }, transform: noop })] })
    // @ts-expect-error -- a schema given by validators types the engine the same way
    new SessionEngine({ schema, apps: [typo] })
  })

  it('untyped use is unchanged: any names, any engine', () => {
    const typo = defineApp({ name: 'plain', input: { anything: ['goes'] }, output: { at: ['all'] }, transform: noop })
    new SessionEngine({ apps: [typo] })
    createTestEngine({ apps: [typo] })
    const apps: App[] = [typo]
    new SessionEngine({ apps })
  })
})

describe('pattern inputs', () => {
  it('a pattern key gives an index signature over the keys it matches; exact keys keep their type', () => {
    defineApp({
      name: 'auth',
      input: { cookie: ['VtexIdclientAutCookie_*', 'lang'], public: ['*'] },
      transform: (input) => {
        expectTypeOf(input.cookie.VtexIdclientAutCookie_acme).toEqualTypeOf<JsonValue | undefined>()
        expectTypeOf(input.cookie['VtexIdclientAutCookie_x']).toEqualTypeOf<JsonValue | undefined>()
        expectTypeOf(input.cookie.lang).toEqualTypeOf<JsonValue | undefined>()
        expectTypeOf(input.public.anything).toEqualTypeOf<JsonValue | undefined>()
        // @ts-expect-error -- a key the pattern does not match is not part of the input
        void input.cookie.other
        return undefined
      },
    })
  })

  it('with a session schema, exact keys take their declared type and pattern keys stay JsonValue', () => {
    const define = defineAppFor<{ cookie: { lang: 'pt' | 'en' } }>()
    define({
      name: 'typed',
      input: { cookie: ['lang', 'auth_*'] },
      transform: (input) => {
        expectTypeOf(input.cookie.lang).toEqualTypeOf<'pt' | 'en' | undefined>()
        expectTypeOf(input.cookie.auth_x).toEqualTypeOf<JsonValue | undefined>()
        return undefined
      },
    })
  })
})
