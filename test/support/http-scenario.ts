/**
 * The visitor's journey through `sessionflow/http`, run against a real Node server and against
 * workerd alike: lazy read, create with utm query, read with items, patch, login by cookie,
 * logout by cookie, delete. Asserts as it goes; returns the session id it used.
 */
import { expect } from 'vitest'
import { decodeSegmentToken } from '../../src/index'
import type { Visitor } from './http-client'

export const SESSION = 'sessionflow_session'
export const SEGMENT = 'sessionflow_segment'

/** Runs the scenario with a fresh visitor. */
export async function runScenario(visitor: Visitor): Promise<string> {
  // 1. a first page view: answered from a pure run, nothing stored, no session cookie
  const lazy = await visitor.get('/api/sessions?items=store.*')
  expect(lazy.status).toBe(200)
  expect(lazy.body).toEqual({ id: null, namespaces: { store: { channel: { value: 'web' }, currencyCode: { value: 'EUR' } } } })
  expect(lazy.set.has(SESSION)).toBe(false)
  expect(decodeSegmentToken(lazy.set.get(SEGMENT)?.value)).toEqual({ store: { currencyCode: 'EUR' } })
  expect(lazy.headers.get('cache-control')).toBe('no-store')

  // 2. create: body params plus the utm_* of the query string (and nothing else of it)
  const created = await visitor.post('/api/sessions?utm_source=newsletter&utm_campaign=spring&ref=x', {
    public: { country: { value: 'DE' } },
  })
  expect(created.status).toBe(201)
  expect(Object.keys(created.body).sort()).toEqual(['segmentToken', 'sessionToken'])
  expect(created.body.sessionToken).toBe(visitor.cookies.get(SESSION))
  expect(created.set.get(SESSION)!.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']))
  // the segment is a cache key page scripts may read: not HttpOnly
  expect(created.set.get(SEGMENT)!.attributes).not.toContain('HttpOnly')
  expect(created.body.segmentToken).toBe(visitor.cookies.get(SEGMENT))
  expect(decodeSegmentToken(created.body.segmentToken)).toEqual({
    public: { utm_campaign: 'spring', utm_source: 'newsletter' },
    store: { currencyCode: 'EUR' },
  })
  const id = created.body.sessionToken.split('.')[0] as string

  // 3. read with items: only what was asked for, no cookie re-set (renewal is not due)
  const read = await visitor.get('/api/sessions?items=public.*,campaigns.active')
  expect(read.status).toBe(200)
  expect(read.body).toEqual({
    id,
    namespaces: {
      public: { country: { value: 'DE' }, utm_source: { value: 'newsletter' }, utm_campaign: { value: 'spring' } },
      campaigns: { active: { value: ['utm:spring', 'newsletter-10'] } },
    },
  })
  expect(read.set.size).toBe(0)

  // 4. patch public: the currency app runs, the segment cookie follows
  const patched = await visitor.patch('/api/sessions', { public: { country: { value: 'US' }, postalCode: { value: '10001' } } })
  expect(patched.status).toBe(200)
  expect(patched.body.namespaces.store.currencyCode).toEqual({ value: 'USD' })
  expect(patched.body.namespaces.checkout.regionId).toEqual({ value: 'us-1' })
  expect(decodeSegmentToken(patched.set.get(SEGMENT)?.value)).toMatchObject({ store: { currencyCode: 'USD' } })
  // an RFC 6902 patch addresses the plain namespaces whatever the wire shape
  const ops = await visitor.patch('/api/sessions', [{ op: 'replace', path: '/public/postalCode', value: '90210' }], 'application/json-patch+json')
  expect(ops.status).toBe(200)
  expect(ops.body.namespaces.checkout.regionId).toEqual({ value: 'us-9' })
  expect(ops.set.has(SEGMENT)).toBe(false) // the segment did not change

  // 5. login: a captured cookie reaches the authentication app on the next POST
  visitor.cookies.set('authToken', 'user:7:ada@example.com')
  const login = await visitor.post('/api/sessions')
  expect(login.status).toBe(200)
  expect(login.body.sessionToken).toBe(created.body.sessionToken) // same session
  expect(decodeSegmentToken(login.set.get(SEGMENT)?.value)).toMatchObject({ profile: { isAuthenticated: true } })
  const profile = await visitor.get('/api/sessions?items=profile.*,cookie.*')
  // the cookie namespace holds HttpOnly secrets: never in a body, even when asked for
  expect(profile.body.namespaces).toEqual({ profile: { email: { value: 'ada@example.com' }, isAuthenticated: { value: true } } })
  const segment = await visitor.get('/api/segments')
  expect(segment.body).toEqual({ profile: { isAuthenticated: true }, public: { utm_campaign: 'spring', utm_source: 'newsletter' }, store: { currencyCode: 'USD' } })

  // 6. logout by cookie: the captured cookie is gone from the request, so from the session
  visitor.cookies.delete('authToken')
  const logout = await visitor.patch('/api/sessions', { public: { country: { value: 'US' } } })
  expect(logout.status).toBe(200)
  expect(logout.body.namespaces.profile).toEqual({ isAuthenticated: { value: false } })
  expect(decodeSegmentToken(logout.set.get(SEGMENT)?.value)).toMatchObject({ profile: { isAuthenticated: false } })

  // 7. delete: both cookies cleared, the session gone even for a replayed cookie
  const stolen = visitor.cookies.get(SESSION)!
  const deleted = await visitor.delete('/api/sessions')
  expect(deleted.status).toBe(204)
  expect(deleted.set.get(SESSION)!.attributes).toContain('Max-Age=0')
  expect(deleted.set.get(SEGMENT)!.attributes).toContain('Max-Age=0')
  expect(visitor.cookies.size).toBe(0)
  visitor.cookies.set(SESSION, stolen)
  const replayed = await visitor.get('/api/sessions')
  expect(replayed.body.id).toBe(null)
  expect(replayed.set.get(SESSION)!.attributes).toContain('Max-Age=0') // the stale cookie is cleared
  return id
}
