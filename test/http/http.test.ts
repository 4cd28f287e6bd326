/**
 * End-to-end: the example Hono app on a real loopback socket, driven with `fetch`. Cookies are
 * handled by a tiny jar below (fetch has none), which also records every Set-Cookie per response.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryStore,
  type Session,
  SessionEngine,
  type SessionStore,
  createTokenSigner,
  decodeSegmentToken,
  defineApp,
} from '../../src/index'
import { commerceApps } from '../support/commerce'
import { SEGMENT_COOKIE, SESSION_COOKIE, createSessionApp } from './app'
import { type RunningServer, startServer } from './server'

const SESSION = `__Host-${SESSION_COOKIE}`
const SEGMENT = `__Host-${SEGMENT_COOKIE}`
const KEYS = ['k'.repeat(32) + '-current', 'o'.repeat(32) + '-previous']

interface SetCookie {
  readonly value: string
  readonly attributes: readonly string[]
}

interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: any
  /** Cookies this response set, by name. */
  readonly set: ReadonlyMap<string, SetCookie>
}

/** One visitor: a cookie jar over fetch. */
class Visitor {
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string) {}

  async send(method: string, path: string, body?: unknown, type = 'application/json'): Promise<Reply> {
    const headers: Record<string, string> = {}
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    if (body !== undefined) headers['content-type'] = type
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const set = new Map<string, SetCookie>()
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim())
      const eq = pair!.indexOf('=')
      const cookie = { value: pair!.slice(eq + 1), attributes }
      set.set(pair!.slice(0, eq), cookie)
      this.cookies.set(pair!.slice(0, eq), cookie.value)
    }
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text), set }
  }
}

/** A store whose writes can be made to fail like a shared store under contention or down. */
class FlakyStore implements SessionStore {
  readonly inner = new MemoryStore()
  mode: 'ok' | 'conflict' | 'throw' = 'ok'
  get(id: string) {
    return this.inner.get(id)
  }
  put(session: Session, expectedVersion: number | undefined) {
    if (this.mode === 'conflict') return false // another process always wrote first
    if (this.mode === 'throw') throw new Error('connect ECONNREFUSED 10.0.0.3:6379')
    return this.inner.put(session, expectedVersion)
  }
  delete(id: string) {
    return this.inner.delete(id)
  }
}

const segment = { params: ['store.channel', 'store.currencyCode', 'public.utm_*'] }
let server: RunningServer
let engine: SessionEngine
let failing: RunningServer
const flaky = new FlakyStore()

beforeAll(async () => {
  engine = new SessionEngine({ apps: commerceApps, segment })
  server = await startServer(createSessionApp({ engine, signer: createTokenSigner({ keys: KEYS }), maxBodyBytes: 32 * 1024 }))
  const critical = defineApp({
    name: 'fraud-check',
    input: { public: ['fail'] },
    output: { checkout: ['risk'] },
    critical: true,
    transform: (input) => {
      if (input.public.fail === true) throw new Error('fraud service at 10.0.0.9 timed out')
      return { checkout: { risk: 'low' } }
    },
  })
  const grow = defineApp({
    name: 'grow',
    input: { public: ['n'] },
    output: { public: ['n'] },
    transform: (input) => ({ public: { n: typeof input.public.n === 'number' ? input.public.n + 1 : 0 } }),
  })
  const failingEngine = new SessionEngine({ apps: [...commerceApps, critical, grow], store: flaky, segment, maxWaves: 10 })
  failing = await startServer(createSessionApp({ engine: failingEngine, signer: createTokenSigner({ keys: KEYS }) }))
})

afterAll(async () => {
  await server?.close()
  await failing?.close()
})

const cookieAttributes = ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']

describe('HTTP example over a real socket', () => {
  it('POST creates a session with a signed session cookie and a segment cookie', async () => {
    const visitor = new Visitor(server.url)
    const created = await visitor.send('POST', '/api/sessions', { public: { country: 'US' } })
    expect(created.status).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    expect(created.body.session).toMatchObject({ version: 1, namespaces: { store: { channel: 'web', currencyCode: 'USD' } } })
    expect(JSON.stringify(created.body)).not.toContain(visitor.cookies.get(SESSION)!.split('.')[0]) // the id stays in the cookie
    for (const name of [SESSION, SEGMENT]) {
      const cookie = created.set.get(name)!
      expect(cookie, name).toBeDefined()
      expect(cookie.attributes).toEqual(expect.arrayContaining([...cookieAttributes, 'Max-Age=1800']))
    }
    expect(decodeSegmentToken(created.set.get(SEGMENT)!.value)).toEqual({ store: { channel: 'web', currencyCode: 'USD' } })
    const id = created.set.get(SESSION)!.value.split('.')[0]!
    expect((await engine.get(id))?.namespaces.public).toEqual({ country: 'US' })
  })

  it('round-trips the cookie: the next request reads the same session, keeps it alive and keeps the cookie', async () => {
    const visitor = new Visitor(server.url)
    const created = await visitor.send('POST', '/api/sessions', { public: { country: 'FR', postalCode: '75001' } })
    const cookie = visitor.cookies.get(SESSION)
    const read = await visitor.send('GET', '/api/sessions')
    expect(read.status).toBe(200)
    expect(read.body.session).toMatchObject({ version: 1, createdAt: created.body.session.createdAt })
    expect(read.body.session.namespaces.checkout).toEqual({ regionId: 'fr-7' })
    expect(read.set.get(SESSION)!.value).toBe(cookie) // same signed id, renewed Max-Age
    expect(read.set.has(SEGMENT)).toBe(false) // the visitor's segment cookie is current
    // a visitor that lost the segment cookie gets it back
    visitor.cookies.delete(SEGMENT)
    const again = await visitor.send('GET', '/api/sessions')
    expect(decodeSegmentToken(again.set.get(SEGMENT)?.value)).toEqual({ store: { channel: 'web', currencyCode: 'EUR' } })
  })

  it('gives a tampered, garbage, foreign-key or missing cookie a new session', async () => {
    const visitor = new Visitor(server.url)
    await visitor.send('POST', '/api/sessions', { public: { country: 'US' } })
    const good = visitor.cookies.get(SESSION)!
    const forger = await createTokenSigner({ keys: ['f'.repeat(32)] }).sign(good.split('.')[0]!)
    const flipped = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A')
    // another id under the same signature (the first character changed: a fixed 'x' would equal one id in 64)
    const otherId = (good.startsWith('x') ? 'y' : 'x') + good.slice(1)
    for (const bad of [flipped, otherId, good.slice(0, -5), forger, '%E0%A4%A', 'garbage', undefined]) {
      const stranger = new Visitor(server.url)
      if (bad !== undefined) stranger.cookies.set(SESSION, bad)
      const reply = await stranger.send('GET', '/api/sessions')
      expect(reply.status, String(bad)).toBe(200)
      expect(reply.body.session.version).toBe(1)
      expect(reply.body.session.namespaces.public, String(bad)).toBeUndefined() // not the US visitor's session
      const fresh = reply.set.get(SESSION)!.value
      expect(fresh).not.toBe(bad)
      expect(fresh.split('.')[0]).not.toBe(good.split('.')[0])
      expect(reply.set.has(SEGMENT)).toBe(true)
    }
    // the genuine cookie still works
    expect((await visitor.send('GET', '/api/sessions')).body.session.namespaces.public).toEqual({ country: 'US' })
  })

  it('filters with ?items= and refuses a malformed filter with 400', async () => {
    const visitor = new Visitor(server.url)
    await visitor.send('POST', '/api/sessions', { public: { country: 'DE', postalCode: '10115', utm_source: 'ad' } })
    const some = await visitor.send('GET', '/api/sessions?items=store.currencyCode,public.utm_*')
    expect(some.body.session.namespaces).toEqual({ store: { currencyCode: 'EUR' }, public: { utm_source: 'ad' } })
    const all = await visitor.send('GET', '/api/sessions?items=*')
    expect(Object.keys(all.body.session.namespaces).sort()).toEqual(['campaigns', 'checkout', 'public', 'store'])
    const none = await visitor.send('GET', '/api/sessions?items=profile.*')
    expect(none.body.session.namespaces).toEqual({})
    const bad = await visitor.send('GET', '/api/sessions?items=store.a.b')
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('INVALID_VALUE')
    // a visitor without a session and a malformed filter gets the 400 and no cookie (the session
    // created for it is as unreachable as one created for any cookie-less request, and expires)
    const stranger = new Visitor(server.url)
    const refused = await stranger.send('GET', '/api/sessions?items=%2A.x')
    expect(refused.status).toBe(400)
    expect(refused.set.size).toBe(0)
  })

  it('writes the public namespace with a changes object or a JSON Patch', async () => {
    const visitor = new Visitor(server.url)
    await visitor.send('POST', '/api/sessions')
    const patched = await visitor.send('PATCH', '/api/sessions', { public: { country: 'GB', postalCode: 'SW1' } })
    expect(patched.status).toBe(200)
    expect(patched.body.session.namespaces.store.currencyCode).toBe('GBP')
    expect(patched.body.changed).toEqual(expect.arrayContaining(['public.country', 'store.currencyCode', 'checkout.regionId']))
    const ops = [
      { op: 'test', path: '/public/country', value: 'GB' },
      { op: 'remove', path: '/public/postalCode' },
      { op: 'add', path: '/public/utm_campaign', value: 'spring' },
    ]
    const jp = await visitor.send('PATCH', '/api/sessions', ops, 'application/json-patch+json')
    expect(jp.status).toBe(200)
    expect(jp.body.session.namespaces.public).toEqual({ country: 'GB', utm_campaign: 'spring' })
    expect(jp.body.session.namespaces.campaigns).toEqual({ active: ['utm:spring'] })
    expect(jp.body.session.version).toBe(3)
    const failedTest = await visitor.send('PATCH', '/api/sessions', [{ op: 'test', path: '/public/country', value: 'US' }], 'application/json-patch+json')
    expect(failedTest.status).toBe(400)
  })

  it('refuses writes outside the public namespace with 403, saving nothing', async () => {
    const visitor = new Visitor(server.url)
    await visitor.send('POST', '/api/sessions', { public: { country: 'DE' } })
    const changes = await visitor.send('PATCH', '/api/sessions', { public: { country: 'US' }, store: { currencyCode: 'JPY' } })
    expect(changes.status).toBe(403)
    expect(changes.body.error).toMatchObject({ code: 'FORBIDDEN_WRITE', params: ['store.currencyCode'] })
    const ops = [{ op: 'replace', path: '/store/currencyCode', value: 'JPY' }]
    const jp = await visitor.send('PATCH', '/api/sessions', ops, 'application/json-patch+json')
    expect(jp.status).toBe(403)
    expect(jp.body.error.code).toBe('FORBIDDEN_WRITE')
    const hostNs = await visitor.send('PATCH', '/api/sessions', { cookie: { authToken: 'user:1:a@example.com' } })
    expect(hostNs.status).toBe(403)
    const seeded = await new Visitor(server.url).send('POST', '/api/sessions', { profile: { email: 'x@example.com' } })
    expect(seeded.status).toBe(403)
    expect(seeded.body.error.params).toEqual(['profile.email'])
    expect(seeded.set.size).toBe(0)
    const read = await visitor.send('GET', '/api/sessions')
    expect(read.body.session).toMatchObject({ version: 1, namespaces: { public: { country: 'DE' }, store: { currencyCode: 'EUR' } } })
  })

  it('refuses a value too large with 400 and a body too large with 413', async () => {
    const visitor = new Visitor(server.url)
    await visitor.send('POST', '/api/sessions')
    const long = await visitor.send('PATCH', '/api/sessions', { public: { note: 'x'.repeat(17_000) } })
    expect(long.status).toBe(400)
    expect(long.body.error).toMatchObject({ code: 'INVALID_VALUE', path: 'public.note' })
    const huge = await visitor.send('PATCH', '/api/sessions', { public: { note: 'x'.repeat(40_000) } })
    expect(huge.status).toBe(413)
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE')
    // a streamed body (no Content-Length) is counted as it arrives
    const chunk = new TextEncoder().encode(' '.repeat(8_192))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const streamed = await fetch(`${server.url}/api/sessions`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie: `${SESSION}=${visitor.cookies.get(SESSION)}` },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
    expect((await visitor.send('GET', '/api/sessions')).body.session.version).toBe(1)
  })

  it('answers bad requests with JSON errors: 404 without a session, 415, 400 for malformed JSON', async () => {
    const stranger = new Visitor(server.url)
    const noSession = await stranger.send('PATCH', '/api/sessions', { public: { country: 'US' } })
    expect(noSession.status).toBe(404)
    expect(noSession.body.error.code).toBe('SESSION_NOT_FOUND')
    const visitor = new Visitor(server.url)
    await visitor.send('POST', '/api/sessions')
    const id = visitor.cookies.get(SESSION)!.split('.')[0]!
    expect((await visitor.send('PATCH', '/api/sessions', '{"public":', 'application/json')).status).toBe(400)
    expect((await visitor.send('PATCH', '/api/sessions', 'country=US', 'text/plain')).status).toBe(415)
    expect((await visitor.send('POST', '/api/sessions', '[1]')).status).toBe(400)
    await engine.delete(id)
    const gone = await visitor.send('PATCH', '/api/sessions', { public: { country: 'US' } })
    expect(gone.status).toBe(404)
    expect(gone.body.error.code).toBe('SESSION_NOT_FOUND')
    expect((await visitor.send('GET', '/api/nothing')).status).toBe(404)
  })

  it('loses nothing under concurrent PATCHes of one session', async () => {
    const visitor = new Visitor(server.url)
    await visitor.send('POST', '/api/sessions')
    const n = 25
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        i % 2 === 0
          ? visitor.send('PATCH', '/api/sessions', { public: { [`k${i}`]: i } })
          : visitor.send('PATCH', '/api/sessions', [{ op: 'add', path: `/public/k${i}`, value: i }], 'application/json-patch+json'),
      ),
    )
    expect(replies.map((r) => r.status)).toEqual(Array(n).fill(200))
    expect(new Set(replies.map((r) => r.body.session.version)).size).toBe(n) // each saved exactly once
    const read = await visitor.send('GET', '/api/sessions')
    expect(read.body.session.version).toBe(1 + n)
    expect(read.body.session.namespaces.public).toEqual(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))
  })

  it('changes the segment cookie only when a segment param changes', async () => {
    const visitor = new Visitor(server.url)
    const created = await visitor.send('POST', '/api/sessions', { public: { country: 'DE' } })
    const first = created.set.get(SEGMENT)!.value
    const steps: Array<[changes: unknown, segmentCookie: boolean]> = [
      [{ public: { postalCode: '10115' } }, false], // region changes, segment does not
      [{ public: { country: 'FR' } }, false], // country changes, currency stays EUR
      [{ public: { country: 'FR' } }, false], // nothing changes
      [{ public: { country: 'US' } }, true], // currency EUR -> USD
      [{ public: { utm_source: 'newsletter' } }, true], // public.utm_* is in the segment
      [{ public: { utm_source: 'newsletter', note: 'hi' } }, false],
      [{ public: { country: 'DE' } }, true],
    ]
    let previous = first
    for (const [changes, expected] of steps) {
      const reply = await visitor.send('PATCH', '/api/sessions', changes)
      expect(reply.status).toBe(200)
      expect(reply.set.has(SEGMENT), JSON.stringify(changes)).toBe(expected)
      expect(reply.set.has(SESSION)).toBe(true)
      if (expected) {
        expect(reply.set.get(SEGMENT)!.value).not.toBe(previous)
        expect(reply.set.get(SEGMENT)!.attributes).toEqual(expect.arrayContaining(cookieAttributes))
        previous = reply.set.get(SEGMENT)!.value
      }
    }
    expect(decodeSegmentToken(previous)).toEqual({ public: { utm_source: 'newsletter' }, store: { channel: 'web', currencyCode: 'EUR' } })
    // two visitors with the same segment params share the token, whatever the order they were written in
    const other = new Visitor(server.url)
    await other.send('POST', '/api/sessions', { public: { utm_source: 'newsletter' } })
    const otherReply = await other.send('PATCH', '/api/sessions', { public: { country: 'NL' } })
    expect(otherReply.set.has(SEGMENT)).toBe(false)
    expect(other.cookies.get(SEGMENT)).toBe(previous)
  })

  it('maps conflicts to 409, store failures to 500, failed critical apps to 503, loops to 500, without leaking internals', async () => {
    const visitor = new Visitor(failing.url)
    expect((await visitor.send('POST', '/api/sessions', { public: { country: 'DE' } })).status).toBe(201)
    try {
      flaky.mode = 'conflict'
      const conflict = await visitor.send('PATCH', '/api/sessions', { public: { country: 'US' } })
      expect(conflict.status).toBe(409)
      expect(conflict.body.error.code).toBe('CONFLICT')
      flaky.mode = 'throw'
      const store = await visitor.send('PATCH', '/api/sessions', { public: { country: 'US' } })
      expect(store.status).toBe(500)
      expect(store.body.error.code).toBe('STORE')
      expect(store.body.error.message).not.toContain('10.0.0.3')
      const createFails = await new Visitor(failing.url).send('POST', '/api/sessions')
      expect(createFails.status).toBe(500)
      expect(createFails.set.size).toBe(0)
    } finally {
      flaky.mode = 'ok'
    }
    const critical = await visitor.send('PATCH', '/api/sessions', { public: { fail: true } })
    expect(critical.status).toBe(503)
    expect(critical.body.error.code).toBe('TRANSFORM_FAILED')
    expect(critical.body.error.message).not.toContain('10.0.0.9')
    const loop = await visitor.send('PATCH', '/api/sessions', { public: { n: 1 } })
    expect(loop.status).toBe(500)
    expect(loop.body.error.code).toBe('TRANSFORM_LOOP')
    const read = await visitor.send('GET', '/api/sessions')
    expect(read.body.session).toMatchObject({ version: 1, namespaces: { public: { country: 'DE' } } })
  })
})
