import { describe, expect, it } from 'vitest'
import { SessionEngine, defineApp } from '../../src/index'
import { ManualClock, changesOf, createTestEngine, expectWaves, runApp, wavesOf } from '../../src/testing'
import { campaignsApp, checkoutApp, commerceApps, storeApp } from '../support/commerce'

describe('runApp', () => {
  it('runs one transform with the engine input shaping: declared params only, every namespace present, frozen', async () => {
    let seen: unknown
    const spy = defineApp({
      name: 'spy',
      input: { public: ['country'], profile: ['email'] },
      output: { out: ['x'] },
      transform: (input, ctx) => {
        seen = { input, frozen: Object.isFrozen(input) && Object.isFrozen(input.public), ctx: [ctx.sessionId, ctx.wave, ctx.app] }
        return { out: { x: 1 } }
      },
    })
    const result = await runApp(spy, { public: { country: 'DE', other: 1 }, cookie: { t: 'x' } }, { sessionId: 's-9', wave: 3 })
    expect(seen).toEqual({ input: { public: { country: 'DE' }, profile: {} }, frozen: true, ctx: ['s-9', 3, 'spy'] })
    expect(result).toMatchObject({ status: 'ok', output: { out: { x: 1 } }, undeclared: [] })
  })

  it('shapes pattern inputs like the engine: every given param of the namespace starting with the prefix', async () => {
    let seen: unknown
    const spy = defineApp({ name: 'spy', input: { cookie: ['auth_*', 'lang'] }, transform: (input) => void (seen = input) })
    await runApp(spy, { cookie: { auth_a: 1, auth_b: 2, lang: 'pt', other: 3 }, public: { auth_c: 4 } })
    expect(seen).toEqual({ cookie: { auth_a: 1, auth_b: 2, lang: 'pt' } })
  })

  it('applies the engine output checks: undeclared writes set aside, invalid outputs fail, throws are data', async () => {
    const sloppy = defineApp({ name: 'sloppy', output: { a: ['b'] }, transform: () => ({ a: { b: 1, c: 2 } }) as never })
    expect(await runApp(sloppy)).toMatchObject({ status: 'ok', output: { a: { b: 1 } }, undeclared: ['a.c'] })
    const nonJson = defineApp({ name: 'nonJson', output: { a: ['b'] }, transform: () => ({ a: { b: NaN } }) })
    expect(await runApp(nonJson)).toMatchObject({ status: 'failed', output: {}, error: { kind: 'invalid-output' } })
    const thrower = defineApp({ name: 'thrower', transform: async () => { throw new Error('x') } })
    expect(await runApp(thrower)).toMatchObject({ status: 'failed', error: { kind: 'rejected', message: 'x' } })
  })

  it('real fixtures in three lines', async () => {
    const { output } = await runApp(checkoutApp, { public: { country: 'DE', postalCode: '10115' } })
    expect(output).toEqual({ checkout: { regionId: 'de-1' } })
    expect((await runApp(storeApp, {}, { create: true })).output).toEqual({ store: { channel: 'web', currencyCode: 'EUR' } })
    expect((await runApp(campaignsApp, { public: { utm_source: 'newsletter' } })).output).toEqual({ campaigns: { active: ['newsletter-10'] } })
  })

  it('timeouts apply as in the engine, on the given clock', async () => {
    const slow = defineApp({ name: 'slow', timeoutMs: 5, transform: () => new Promise<undefined>(() => {}) })
    const clock = new ManualClock()
    const run = runApp(slow, {}, { clock })
    expect(clock.pendingTimers).toBe(1)
    clock.advance(5)
    expect(await run).toMatchObject({ status: 'failed', error: { kind: 'timeout' } })
  })

  it('bad input is refused like a client write', async () => {
    await expect(runApp(storeApp, { public: { country: NaN } })).rejects.toMatchObject({ code: 'INVALID_VALUE' })
  })
})

describe('createTestEngine', () => {
  it('memory store, manual clock, ids s-1, s-2, ...', async () => {
    const { engine, clock, store } = createTestEngine({ apps: commerceApps, ttlMs: 1_000 })
    expect(engine).toBeInstanceOf(SessionEngine)
    expect(clock).toBeInstanceOf(ManualClock)
    const a = await engine.create()
    const b = await engine.create()
    expect([a.session.id, b.session.id]).toEqual(['s-1', 's-2'])
    expect(a.session.createdAt).toBe(0)
    expect(store.get('s-1')).toBe(a.session)
    clock.advance(1_000)
    expect(await engine.get('s-1')).toBeUndefined()
  })

  it('options override the defaults', async () => {
    const clock = new ManualClock(500)
    const { engine, clock: used } = createTestEngine({ clock, idPrefix: 'test-' })
    expect(used).toBe(clock)
    const { session } = await engine.create()
    expect(session).toMatchObject({ id: 'test-1', createdAt: 500 })
    const { engine: other } = createTestEngine({ generateId: () => 'fixed', startMs: 7 })
    expect((await other.create()).session).toMatchObject({ id: 'fixed', createdAt: 7 })
  })
})

describe('wave helpers', () => {
  it('wavesOf / changesOf / expectWaves describe a cycle', async () => {
    const { engine } = createTestEngine({ apps: commerceApps })
    const { report } = await engine.create({ public: { country: 'US' } })
    // the create wave runs store with an empty input (EUR); the initial country then re-runs it (USD)
    expect(wavesOf(report)).toEqual([['store'], ['store', 'checkout']])
    expect(changesOf(report)).toEqual([['store.channel', 'store.currencyCode'], ['store.currencyCode', 'checkout.regionId']])
    expectWaves(report, [['store'], ['store', 'checkout']])
    expect(() => expectWaves(report, [['store']])).toThrow('expected waves [["store"]], but the cycle ran [["store"],["store","checkout"]]')
    const login = await engine.patch('s-1', { cookie: { authToken: 'user:1:a@example.com' }, public: { utm_source: 'newsletter' } }, { allow: ['cookie'] })
    // order within a wave does not matter
    expectWaves(login.report, [['campaigns', 'authentication'], ['profile'], ['campaigns']])
  })
})
