import jsonpatch from 'fast-json-patch'
import { describe, expect, it } from 'vitest'
import { ForbiddenWriteError, ManualClock, SessionEngine } from '../../src/index'
import { commerceApps } from '../support/commerce'
import { appsPerWave, isDeepFrozen, plain, rejection } from '../support/helpers'

function engine() {
  return new SessionEngine({ apps: commerceApps, clock: new ManualClock(1_700_000_000_000), ttlMs: 60_000 })
}

describe('realistic commerce graph', () => {
  it('create runs the store app on create, then the apps the initial params trigger', async () => {
    const e = engine()
    const { session, report, patch } = await e.create({ public: { country: 'GB', utm_source: 'newsletter' } })
    expect(appsPerWave(report)).toEqual([['store'], ['store', 'checkout', 'campaigns']])
    expect(report.waves[0]!.kind).toBe('create')
    expect(report.waves[1]!.trigger).toEqual(['public.country', 'public.utm_source'])
    expect(session.namespaces).toEqual({
      public: { country: 'GB', utm_source: 'newsletter' },
      store: { channel: 'web', currencyCode: 'GBP' },
      checkout: { regionId: 'gb-0' },
      campaigns: { active: ['newsletter-10'] },
    })
    expect(session.version).toBe(1)
    expect(session.createdAt).toBe(1_700_000_000_000)
    expect(session.expiresAt).toBe(1_700_000_060_000)
    expect(jsonpatch.applyPatch({}, jsonpatch.deepClone(patch)).newDocument).toEqual(plain(session.namespaces))
  })

  it('create without params: only the store app runs, with the default currency', async () => {
    const { session, report } = await engine().create()
    expect(appsPerWave(report)).toEqual([['store']])
    expect(session.namespaces).toEqual({ store: { channel: 'web', currencyCode: 'EUR' } })
  })

  it('a login (host write to cookie) runs authentication -> profile -> campaigns', async () => {
    const e = engine()
    const { session } = await e.create({ public: { country: 'DE' } })
    const login = await e.patch(session.id, { cookie: { authToken: 'user:42:ann@example.com' } }, { allow: ['cookie'] })
    expect(appsPerWave(login.report)).toEqual([['authentication'], ['profile'], ['campaigns']])
    expect(login.report.waves.map((w) => w.trigger)).toEqual([
      ['cookie.authToken'],
      ['authentication.storeUserEmail', 'authentication.storeUserId'],
      ['profile.email'],
    ])
    expect(login.session.namespaces).toMatchObject({
      cookie: { authToken: 'user:42:ann@example.com' },
      authentication: { storeUserId: '42', storeUserEmail: 'ann@example.com' },
      profile: { email: 'ann@example.com', isAuthenticated: true },
      campaigns: { active: ['staff'] },
    })
    expect(login.session.version).toBe(2)
    expect(jsonpatch.applyPatch(plain(session.namespaces), jsonpatch.deepClone(login.patch)).newDocument).toEqual(
      plain(login.session.namespaces),
    )

    // logout: the token is deleted; authentication deletes its params; profile follows
    const logout = await e.patch(session.id, { cookie: { authToken: undefined } }, { allow: ['cookie'] })
    expect(logout.session.namespaces.cookie).toBeUndefined()
    expect(logout.session.namespaces.authentication).toBeUndefined()
    expect(logout.session.namespaces.profile).toEqual({ isAuthenticated: false })
    expect(logout.session.namespaces.campaigns).toEqual({ active: [] })
  })

  it('a client cannot log itself in: cookie is not writable without allow', async () => {
    const e = engine()
    const { session } = await e.create()
    const error = await rejection(
      e.patch(session.id, { cookie: { authToken: 'user:1:evil@example.com' } }),
      ForbiddenWriteError,
      'FORBIDDEN_WRITE',
    )
    expect(error.params).toEqual(['cookie.authToken'])
    expect(await e.get(session.id)).toBe(session)
  })

  it('a postal code change runs checkout only', async () => {
    const e = engine()
    const { session } = await e.create({ public: { country: 'FR', postalCode: '75001' } })
    expect(session.namespaces.checkout).toEqual({ regionId: 'fr-7' })
    const r = await e.patch(session.id, { public: { postalCode: '13001' } })
    expect(appsPerWave(r.report)).toEqual([['checkout']])
    expect(r.session.namespaces.checkout).toEqual({ regionId: 'fr-1' })
    expect(r.patch).toEqual([
      { op: 'replace', path: '/public/postalCode', value: '13001' },
      { op: 'replace', path: '/checkout/regionId', value: 'fr-1' },
    ])
    expect(r.report.waves[0]!.apps[0]).toMatchObject({ app: 'checkout', status: 'ok', changed: ['checkout.regionId'] })
    expect(typeof r.report.waves[0]!.apps[0]!.durationMs).toBe('number')
  })

  it('a country change runs store and checkout in one wave; both changes land', async () => {
    const e = engine()
    const { session } = await e.create({ public: { country: 'FR', postalCode: '75001' } })
    const r = await e.patch(session.id, { public: { country: 'US' } })
    expect(appsPerWave(r.report)).toEqual([['store', 'checkout']])
    expect(r.session.namespaces.store).toEqual({ channel: 'web', currencyCode: 'USD' })
    expect(r.session.namespaces.checkout).toEqual({ regionId: 'us-7' })
    expect(isDeepFrozen(r.session)).toBe(true)
  })

  it('the pure API gives what the stateful API saves', async () => {
    const e = engine()
    const created = await e.runCreate({ public: { country: 'NL' } })
    const stateful = await e.create({ public: { country: 'NL' } })
    expect(created.namespaces).toEqual(stateful.session.namespaces)
    const login = await e.runTransform(created.namespaces, { cookie: { authToken: 'user:7:bo@shop.test' } })
    expect(login.namespaces.profile).toEqual({ email: 'bo@shop.test', isAuthenticated: true })
    expect(login.namespaces.campaigns).toEqual({ active: [] })
  })
})
