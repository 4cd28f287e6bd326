/**
 * `createSessionHandler` end to end: a real server on 127.0.0.1 (@hono/node-server) driven by
 * `fetch` with a cookie jar. The same scenario runs in workerd in workerd.test.ts.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ManualClock,
  MemoryStore,
  type Session,
  SessionEngine,
  type SessionStore,
  TransformFailedError,
  createTokenSigner,
  decodeSegmentToken,
  defineApp,
} from '../../src/index'
import { type SessionHandlerOptions, createSessionHandler } from '../../src/http/index'
import { decodeVtexSegment, httpApp, vtexSegment } from '../../src/vtex/index'
import { commerceApps } from '../support/commerce'
import { fcParams } from '../support/fc'
import { SpyStore } from '../support/helpers'
import { KEYS, scenarioApp } from '../support/http-app'
import { Visitor } from '../support/http-client'
import { SEGMENT, SESSION, runScenario } from '../support/http-scenario'
import { type RunningServer, startServer } from '../support/http-server'

const servers: RunningServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
})

/** Serves a handler; the server is closed after the file. */
async function serve(handle: (request: Request) => Promise<Response>): Promise<string> {
  const server = await startServer(handle)
  servers.push(server)
  return server.url
}

/** A store that can be told to fail like a shared store under contention or down. */
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

const puts = (store: SpyStore) => store.calls.filter((call) => call === 'put').length

describe('the scenario over a real socket', () => {
  it('lazy read, create with utm, items, patch, login and logout by cookie, delete', async () => {
    const store = new SpyStore()
    const { handle } = scenarioApp({ store })
    const visitor = new Visitor(await serve(handle))
    const id = await runScenario(visitor)
    expect(store.inner.get(id)).toBeUndefined()
    expect(store.calls).toContain('delete')
  })
})

describe('lazy reads', () => {
  it('GETs without a session store nothing and set no session cookie, whatever they ask', async () => {
    const store = new SpyStore()
    const { handle } = scenarioApp({ store })
    const url = await serve(handle)
    for (const path of ['/api/sessions', '/api/sessions?items=*', '/api/sessions?utm_source=ad', '/api/segments', '/api/segments?utm_campaign=x']) {
      const bot = new Visitor(url)
      const reply = await bot.get(path)
      expect(reply.status, path).toBe(200)
      expect(reply.set.has(SESSION), path).toBe(false)
      expect(reply.set.has(SEGMENT), path).toBe(true)
      // a second look with the segment cookie it got: no cookie at all
      expect((await bot.get(path)).set.size, path).toBe(0)
    }
    expect(store.calls).toEqual([])
    expect(store.inner.size).toBe(0)
  })

  it('a lazy GET reflects the captured query (what a session created now would hold); the segment route too', async () => {
    const { handle } = scenarioApp()
    const visitor = new Visitor(await serve(handle))
    const reply = await visitor.get('/api/sessions?utm_campaign=spring&items=public.*,campaigns.*')
    expect(reply.body.namespaces).toEqual({ public: { utm_campaign: { value: 'spring' } }, campaigns: { active: { value: ['utm:spring'] } } })
    const segment = await new Visitor(visitor.base).get('/api/segments?utm_campaign=spring')
    expect(segment.body).toEqual({ public: { utm_campaign: 'spring' }, store: { currencyCode: 'EUR' } })
  })

  it('lazy: false creates a session on the first GET', async () => {
    const store = new SpyStore()
    const { handle } = scenarioApp({ store, handler: { lazy: false } })
    const visitor = new Visitor(await serve(handle))
    const reply = await visitor.get('/api/sessions?items=store.currencyCode&utm_source=ad')
    expect(reply.body.namespaces).toEqual({ store: { currencyCode: { value: 'EUR' } } })
    expect(typeof reply.body.id).toBe('string')
    expect(visitor.cookies.get(SESSION)?.startsWith(`${reply.body.id}.`)).toBe(true)
    expect(store.inner.get(reply.body.id)?.namespaces.public).toEqual({ utm_source: 'ad' })
    // and reads it back afterwards
    expect((await visitor.get('/api/sessions')).body.id).toBe(reply.body.id)
  })

  it('a malformed items is refused before anything is created, lazy or not', async () => {
    for (const lazy of [true, false]) {
      const store = new SpyStore()
      const { handle } = scenarioApp({ store, handler: { lazy } })
      const url = await serve(handle)
      for (const items of ['store.a.b', '%2A.x', 'nodot', '__proto__.x', 'a.b%00', Array(300).fill('a.b').join(',')]) {
        const reply = await new Visitor(url).get(`/api/sessions?items=${items}`)
        expect(reply.status, items).toBe(400)
        expect(reply.body.code).toBe('INVALID_VALUE')
        expect(reply.set.size).toBe(0)
      }
      expect(store.calls).toEqual([])
    }
  })
})

describe('cookies a client can send', () => {
  let url: string
  let engine: SessionEngine
  beforeAll(async () => {
    const app = scenarioApp()
    engine = app.engine
    url = await serve(app.handle)
  })

  it('a forged, tampered, truncated, foreign-key or garbage cookie is no session: never an error, never the owner\'s', async () => {
    const owner = new Visitor(url)
    await owner.post('/api/sessions', { public: { country: { value: 'US' } } })
    const good = owner.cookies.get(SESSION)!
    const id = good.split('.')[0]!
    const forger = await createTokenSigner({ keys: ['f'.repeat(32)] }).sign(id)
    const flipped = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A')
    const otherId = (good.startsWith('x') ? 'y' : 'x') + good.slice(1)
    for (const bad of [flipped, otherId, good.slice(0, -5), forger, `${id}.`, id, '%E0%A4%A', 'garbage', '"quoted"', '']) {
      const stranger = new Visitor(url)
      stranger.cookies.set(SESSION, bad)
      const read = await stranger.get('/api/sessions?items=public.*')
      expect(read.status, bad).toBe(200)
      expect(read.body, bad).toEqual({ id: null, namespaces: {} })
      expect(read.set.get(SESSION)?.attributes, bad).toContain('Max-Age=0')
      stranger.cookies.set(SESSION, bad)
      const patch = await stranger.patch('/api/sessions', { public: { country: { value: 'DE' } } })
      expect(patch.status, bad).toBe(404)
      expect(patch.body.code).toBe('SESSION_NOT_FOUND')
      stranger.cookies.set(SESSION, bad)
      const post = await stranger.post('/api/sessions', { public: { note: { value: 'mine' } } })
      expect(post.status, bad).toBe(201)
      expect(post.body.sessionToken.split('.')[0]).not.toBe(id)
    }
    expect((await engine.get(id))?.namespaces.public).toEqual({ country: 'US' })
    expect((await owner.get('/api/sessions?items=public.*')).body.namespaces.public).toEqual({ country: { value: 'US' } })
  })

  it('key rotation: an old-key cookie stays valid while its key is listed, is re-signed with the new key on a write, and is no session once dropped', async () => {
    const store = new MemoryStore()
    const before = scenarioApp({ store, keys: [KEYS[1]] })
    const visitor = new Visitor(await serve(before.handle))
    await visitor.post('/api/sessions', { public: { country: { value: 'FR' } } })
    const oldToken = visitor.cookies.get(SESSION)!
    const rotated = scenarioApp({ store, keys: [KEYS[0], KEYS[1]] })
    const after = new Visitor(await serve(rotated.handle))
    after.cookies.set(SESSION, oldToken)
    expect((await after.get('/api/sessions?items=public.*')).body.namespaces).toEqual({ public: { country: { value: 'FR' } } })
    const written = await after.post('/api/sessions', { public: { postalCode: { value: '75001' } } })
    expect(written.status).toBe(200)
    const newToken = written.set.get(SESSION)!.value
    expect(newToken).not.toBe(oldToken)
    expect(await createTokenSigner({ keys: [KEYS[0]] }).verify(newToken)).toBe(oldToken.split('.')[0])
    const dropped = scenarioApp({ store, keys: [KEYS[0]] })
    const url2 = await serve(dropped.handle)
    const withOld = new Visitor(url2)
    withOld.cookies.set(SESSION, oldToken)
    expect((await withOld.get('/api/sessions')).body.id).toBe(null)
    const withNew = new Visitor(url2)
    withNew.cookies.set(SESSION, newToken)
    expect((await withNew.get('/api/sessions?items=public.postalCode')).body.namespaces).toEqual({ public: { postalCode: { value: '75001' } } })
  })

  it('an expired session is no session: the cookie is cleared, PATCH is 404, POST creates a new one', async () => {
    const clock = new ManualClock(1_000_000)
    const store = new SpyStore()
    const { handle } = scenarioApp({ store, clock, ttlMs: 60_000 })
    const visitor = new Visitor(await serve(handle))
    const created = await visitor.post('/api/sessions', { public: { country: { value: 'GB' } } })
    expect(created.set.get(SESSION)!.attributes).toContain('Max-Age=60')
    clock.advance(60_000)
    const stale = visitor.cookies.get(SESSION)!
    const read = await visitor.get('/api/sessions')
    expect(read.body.id).toBe(null)
    expect(read.set.get(SESSION)!.attributes).toContain('Max-Age=0')
    visitor.cookies.set(SESSION, stale)
    expect((await visitor.patch('/api/sessions', { public: { country: { value: 'US' } } })).status).toBe(404)
    visitor.cookies.set(SESSION, stale)
    const again = await visitor.post('/api/sessions')
    expect(again.status).toBe(201)
    expect(again.body.sessionToken).not.toBe(stale)
  })

  it('touchAfterMs: reads renew the expiry at most that often, and then re-set the session cookie', async () => {
    const clock = new ManualClock(0)
    const store = new SpyStore()
    const { handle } = scenarioApp({ store, clock, ttlMs: 100_000, handler: { touchAfterMs: 30_000 } })
    const visitor = new Visitor(await serve(handle))
    await visitor.post('/api/sessions')
    const saved = puts(store)
    for (let t = 0; t < 29; t++) {
      clock.advance(1_000)
      const read = await visitor.get('/api/sessions')
      expect(read.set.has(SESSION)).toBe(false)
    }
    expect(puts(store)).toBe(saved) // 29 page views, no store write
    clock.advance(1_000)
    const renewing = await visitor.get('/api/segments')
    expect(renewing.set.get(SESSION)!.attributes).toContain('Max-Age=100')
    expect(puts(store)).toBe(saved + 1)
    // alive past the first expiry because of the renewal
    clock.advance(90_000)
    const id = visitor.cookies.get(SESSION)!.split('.')[0]
    expect((await visitor.get('/api/sessions')).body.id).toBe(id)
  })

  it('the default touchAfterMs is a tenth of the ttl, and a POST that changes nothing renews when due', async () => {
    const clock = new ManualClock(0)
    const store = new SpyStore()
    const { handle } = scenarioApp({ store, clock, ttlMs: 100_000 })
    const visitor = new Visitor(await serve(handle))
    await visitor.post('/api/sessions', { public: { country: { value: 'DE' } } })
    const saved = puts(store)
    clock.advance(9_999)
    await visitor.post('/api/sessions', { public: { country: { value: 'DE' } } })
    expect(puts(store)).toBe(saved)
    clock.advance(1)
    const renewed = await visitor.post('/api/sessions', { public: { country: { value: 'DE' } } })
    expect(puts(store)).toBe(saved + 1)
    expect(renewed.set.get(SESSION)!.attributes).toContain('Max-Age=100')
  })
})

describe('every error status, as JSON without a stack', () => {
  const flaky = new FlakyStore()
  let url: string
  let store: SpyStore
  const logged: unknown[] = []
  beforeAll(async () => {
    // a remote app (VTEX's kind) answering as a store-session would: 403 for a refused channel, 401 for a login
    const remote = await serve(async (request) => {
      const body = (await request.json()) as { public?: { fail?: { value?: unknown } } }
      const fail = body.public?.fail?.value
      if (fail === 'refused') return Response.json({ error: 'channel not allowed' }, { status: 403 })
      if (fail === 'login') return Response.json({ error: 'login required' }, { status: 401 })
      if (fail === 'down') return Response.json({ error: 'fraud service at 10.0.0.9 timed out' }, { status: 500 })
      return Response.json({ checkout: { risk: { value: 'low' } } })
    })
    const critical = httpApp({
      name: 'fraud-check',
      url: `${remote}/_v/fraud/session/transform`,
      input: { public: ['fail'] },
      output: { checkout: ['risk'] },
      critical: true,
    })
    const grow = defineApp({
      name: 'grow',
      input: { public: ['n'] },
      output: { public: ['n'] },
      transform: (input) => ({ public: { n: typeof input.public.n === 'number' ? input.public.n + 1 : 0 } }),
    })
    store = new SpyStore()
    const engine = new SessionEngine({ apps: [...commerceApps, critical, grow], maxWaves: 10, store, limits: { maxSessionBytes: 4_000 } })
    url = await serve(createSessionHandler(engine, { signer: createTokenSigner({ keys: KEYS }), maxBodyBytes: 8_000, onError: (e) => logged.push(e) }))
    const flakyEngine = new SessionEngine({ apps: commerceApps, store: flaky })
    failingUrl = await serve(createSessionHandler(flakyEngine, { signer: createTokenSigner({ keys: KEYS }) }))
  })
  let failingUrl: string

  async function visitor(): Promise<Visitor> {
    const v = new Visitor(url)
    expect((await v.post('/api/sessions', { public: { country: { value: 'DE' } } })).status).toBe(201)
    return v
  }

  function expectError(reply: { status: number; body: any; headers: Headers }, status: number, code: string) {
    expect(reply.status).toBe(status)
    expect(reply.body.code).toBe(code)
    expect(typeof reply.body.message).toBe('string')
    expect(JSON.stringify(reply.body)).not.toMatch(/\n\s+at |stack/)
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
  }

  it('400: malformed JSON or UTF-8, a bad value, the wrong wire shape, a failed JSON Patch test, an empty PATCH', async () => {
    const v = await visitor()
    expectError(await v.patch('/api/sessions', '{"public":'), 400, 'INVALID_VALUE')
    expectError(await v.patch('/api/sessions', { public: { country: 'US' } }), 400, 'INVALID_VALUE') // plain body, VTEX endpoint
    const plain = await v.patch('/api/sessions', { public: { country: 'US' } })
    expect(plain.body.message).toMatch(/VTEX/)
    expect(plain.body.path).toBe('public.country')
    expectError(await v.patch('/api/sessions', { public: { 'a.b': { value: 1 } } }), 400, 'INVALID_VALUE')
    expectError(await v.patch('/api/sessions', { public: { big: { value: 'x'.repeat(17_000) } } }), 413, 'INVALID_VALUE') // body over 8 KB
    expectError(await v.patch('/api/sessions', [{ op: 'test', path: '/public/country', value: 'US' }], 'application/json-patch+json'), 400, 'INVALID_VALUE')
    expectError(await v.patch('/api/sessions', { op: 'add' }, 'application/json-patch+json'), 400, 'INVALID_VALUE')
    expectError(await v.patch('/api/sessions', ''), 400, 'INVALID_VALUE')
    expectError(await v.post('/api/sessions', '[1]'), 400, 'INVALID_VALUE')
    const badUtf8 = await fetch(`${url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    })
    expect(badUtf8.status).toBe(400)
    expect((await v.get('/api/sessions?items=public.*')).body.namespaces).toEqual({ public: { country: { value: 'DE' } } })
  })

  it('400 for a value over a limit inside a body within maxBodyBytes (a value problem, not a size one)', async () => {
    const { handle } = scenarioApp()
    const v = new Visitor(await serve(handle))
    await v.post('/api/sessions')
    const long = await v.patch('/api/sessions', { public: { note: { value: 'x'.repeat(17_000) } } })
    expectError(long, 400, 'INVALID_VALUE')
    expect(long.body.path).toBe('public.note')
    expect(long.body.limit).toBeUndefined()
  })

  it('401 and 403 from a critical remote app that answered them; 503 when it failed otherwise; nothing saved', async () => {
    const v = await visitor()
    const refused = await v.patch('/api/sessions', { public: { fail: { value: 'refused' } } })
    expectError(refused, 403, 'TRANSFORM_FAILED')
    expect(refused.body.message).not.toContain('channel not allowed')
    expectError(await v.patch('/api/sessions', { public: { fail: { value: 'login' } } }), 401, 'TRANSFORM_FAILED')
    const down = await v.patch('/api/sessions', { public: { fail: { value: 'down' } } })
    expectError(down, 503, 'TRANSFORM_FAILED')
    expect(down.body.message).not.toContain('10.0.0.9')
    // the host's log has the details the client does not get
    expect(logged.some((e) => e instanceof TransformFailedError && e.app === 'fraud-check' && e.status === 500)).toBe(true)
    expect((await v.get('/api/sessions?items=public.*')).body.namespaces.public).toEqual({ country: { value: 'DE' } })
  })

  it('403: writes outside the writable namespaces, by PATCH, JSON Patch or POST; a client cannot write the cookie namespace', async () => {
    const v = await visitor()
    const changes = await v.patch('/api/sessions', { public: { country: { value: 'US' } }, store: { currencyCode: { value: 'JPY' } } })
    expectError(changes, 403, 'FORBIDDEN_WRITE')
    expect(changes.body.params).toEqual(['store.currencyCode'])
    expectError(await v.patch('/api/sessions', [{ op: 'replace', path: '/store/currencyCode', value: 'JPY' }], 'application/json-patch+json'), 403, 'FORBIDDEN_WRITE')
    expectError(await v.patch('/api/sessions', [{ op: 'test', path: '/cookie/authToken', value: 'x' }], 'application/json-patch+json'), 403, 'FORBIDDEN_WRITE')
    expectError(await v.post('/api/sessions', { cookie: { authToken: { value: 'user:1:a@example.com' } } }), 403, 'FORBIDDEN_WRITE')
    const fresh = new Visitor(url)
    const seeded = await fresh.post('/api/sessions', { profile: { email: { value: 'x@example.com' } } })
    expectError(seeded, 403, 'FORBIDDEN_WRITE')
    expect(seeded.set.size).toBe(0)
    const read = await v.get('/api/sessions?items=*')
    expect(read.body.namespaces.store.currencyCode).toEqual({ value: 'EUR' })
    expect(read.body.namespaces.profile).toBeUndefined()
  })

  it('404: PATCH without a session, an unknown route; 405: another method', async () => {
    expectError(await new Visitor(url).patch('/api/sessions', { public: { country: { value: 'US' } } }), 404, 'SESSION_NOT_FOUND')
    expectError(await new Visitor(url).get('/api/nothing'), 404, 'NOT_FOUND')
    expectError(await new Visitor(url).get('/api/sessions/'), 404, 'NOT_FOUND')
    const put = await new Visitor(url).request('PUT', '/api/sessions', { body: {} })
    expectError(put, 405, 'METHOD_NOT_ALLOWED')
    expect(put.headers.get('allow')).toBe('GET, POST, PATCH, DELETE')
    expectError(await new Visitor(url).request('POST', '/api/segments'), 405, 'METHOD_NOT_ALLOWED')
  })

  it('409 on conflicts, 503 when the store is down, without leaking the store address', async () => {
    const v = new Visitor(failingUrl)
    expect((await v.post('/api/sessions', { public: { country: { value: 'DE' } } })).status).toBe(201)
    try {
      flaky.mode = 'conflict'
      expectError(await v.patch('/api/sessions', { public: { country: { value: 'US' } } }), 409, 'CONFLICT')
      flaky.mode = 'throw'
      const down = await v.patch('/api/sessions', { public: { country: { value: 'US' } } })
      expectError(down, 503, 'STORE')
      expect(down.body.message).not.toContain('10.0.0.3')
      const createFails = await new Visitor(failingUrl).post('/api/sessions')
      expectError(createFails, 503, 'STORE')
      expect(createFails.set.size).toBe(0)
    } finally {
      flaky.mode = 'ok'
    }
    expect((await v.get('/api/sessions?items=public.*')).body.namespaces.public).toEqual({ country: { value: 'DE' } })
  })

  it('413: a body over maxBodyBytes (declared or streamed), a session over its size limit', async () => {
    const v = await visitor()
    const chunk = new TextEncoder().encode(' '.repeat(1_024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 9) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const streamed = await fetch(`${url}/api/sessions`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie: `${SESSION}=${v.cookies.get(SESSION)}` },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
    expect((await streamed.json()).limit).toBe('maxBodyBytes')
    const session = await v.patch('/api/sessions', { public: { a: { value: 'x'.repeat(2_500) }, b: { value: 'y'.repeat(2_500) } } })
    expectError(session, 413, 'INVALID_VALUE')
    expect(session.body.limit).toBe('maxSessionBytes')
  })

  it('415: a body that is not JSON, or no media type', async () => {
    const v = await visitor()
    const text = await v.request('PATCH', '/api/sessions', { body: 'country=US', type: 'text/plain' })
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(text.headers.get('accept-patch')).toBe('application/json, application/json-patch+json')
    expectError(await v.request('POST', '/api/sessions', { body: 'country=US', type: 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    const untyped = await fetch(`${url}/api/sessions`, { method: 'PATCH', headers: { cookie: `${SESSION}=${v.cookies.get(SESSION)}` } })
    expect(untyped.status).toBe(415)
  })

  it('500: a loop in the app graph; INTERNAL for anything unexpected, reported to onError', async () => {
    const v = await visitor()
    const loop = await v.patch('/api/sessions', { public: { n: { value: 1 } } })
    expectError(loop, 500, 'TRANSFORM_LOOP')
    const broken = createSessionHandler(new SessionEngine(), {
      signer: { sign: async () => 'x', verify: async () => Promise.reject(new Error('secret at /etc/keys')) },
      onError: () => {
        throw new Error('the logger fails too')
      },
    })
    const reply = await broken(new Request('http://localhost/api/sessions', { headers: { cookie: `${SESSION}=a.b` } }))
    expect(reply.status).toBe(500)
    expect(await reply.json()).toEqual({ code: 'INTERNAL', message: 'the server could not complete the request' })
  })
})

describe('concurrency', () => {
  it('a POST whose session is deleted between its read and its write (a logout in another tab) creates a new one', async () => {
    const store = new SpyStore()
    const { engine, handle } = scenarioApp({ store })
    const visitor = new Visitor(await serve(handle))
    await visitor.post('/api/sessions', { public: { country: { value: 'US' } } })
    const id = visitor.cookies.get(SESSION)!.split('.')[0]!
    const get = store.get.bind(store)
    let reads = 0
    store.get = (key: string) => {
      const found = get(key)
      // the handler's read sees the session; the engine's read inside patch finds it gone
      if (key === id && ++reads === 1) store.inner.delete(id)
      return found
    }
    const reply = await visitor.post('/api/sessions', { public: { postalCode: { value: '1' } } })
    expect(reply.status).toBe(201)
    const fresh = reply.body.sessionToken.split('.')[0]
    expect(fresh).not.toBe(id)
    expect((await engine.get(fresh))?.namespaces.public).toEqual({ postalCode: '1' })
  })


  it('50 concurrent PATCHes on one session all land, each saved once', async () => {
    const { handle } = scenarioApp()
    const visitor = new Visitor(await serve(handle))
    await visitor.post('/api/sessions')
    const n = 50
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        i % 2 === 0
          ? visitor.patch('/api/sessions', { public: { [`k${i}`]: { value: i } } })
          : visitor.patch('/api/sessions', [{ op: 'add', path: `/public/k${i}`, value: i }], 'application/json-patch+json'),
      ),
    )
    expect(replies.map((r) => r.status)).toEqual(Array(n).fill(200))
    const read = await visitor.get('/api/sessions?items=public.*')
    expect(read.body.namespaces.public).toEqual(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, { value: i }])))
    const sizes = replies.map((r) => Object.keys(r.body.namespaces.public).length).sort((a, b) => a - b)
    expect(sizes).toEqual(Array.from({ length: n }, (_, i) => i + 1)) // each saw exactly the writes before it
  })
})

describe('options', () => {
  it("wire: 'plain' reads and writes bare values and refuses the VTEX shape", async () => {
    const { handle } = scenarioApp({ handler: { wire: 'plain' } })
    const visitor = new Visitor(await serve(handle))
    expect((await visitor.post('/api/sessions', { public: { country: 'US' } })).status).toBe(201)
    const read = await visitor.get('/api/sessions?items=public.country,store.currencyCode')
    expect(read.body.namespaces).toEqual({ public: { country: 'US' }, store: { currencyCode: 'USD' } })
    const vtex = await visitor.patch('/api/sessions', { public: { country: { value: 'DE' } } })
    expect(vtex.status).toBe(400)
    expect(vtex.body.message).toMatch(/VTEX/)
    expect((await visitor.patch('/api/sessions', { public: { country: 'DE' } })).body.namespaces.store.currencyCode).toBe('EUR')
  })

  it('cookie names and attributes (the VTEX names in one line), captureQuery', async () => {
    const options: Partial<SessionHandlerOptions> = {
      sessionCookie: 'vtex_session',
      segmentCookie: 'vtex_segment',
      cookiePath: '/shop',
      cookieDomain: 'example.com',
      secure: false,
      sameSite: 'Strict',
      captureQuery: ['ref', 'cmp_*'],
    }
    const { handle } = scenarioApp({ handler: options })
    const visitor = new Visitor(await serve(handle))
    const created = await visitor.post('/api/sessions?ref=a&ref=b&cmp_x=1&utm_source=no&cmp.y=2')
    expect([...created.set.keys()].sort()).toEqual(['vtex_segment', 'vtex_session'])
    expect(created.set.get('vtex_session')!.attributes).toEqual(['Max-Age=1800', 'Path=/shop', 'Domain=example.com', 'HttpOnly', 'SameSite=Strict'])
    expect(created.set.get('vtex_segment')!.attributes).toEqual(['Max-Age=1800', 'Path=/shop', 'Domain=example.com', 'SameSite=Strict'])
    const read = await visitor.get('/api/sessions?items=public.*')
    expect(read.body.namespaces).toEqual({ public: { ref: { value: 'a' }, cmp_x: { value: '1' } } })
  })

  it('each POST copies the captured query into public, over the stored values; the body wins over the query', async () => {
    const { handle } = scenarioApp()
    const visitor = new Visitor(await serve(handle))
    await visitor.post('/api/sessions?utm_source=first')
    await visitor.post('/api/sessions?utm_source=second&utm_campaign=q', { public: { utm_campaign: { value: 'body' } } })
    const read = await visitor.get('/api/sessions?items=public.*')
    expect(read.body.namespaces.public).toEqual({ utm_source: { value: 'second' }, utm_campaign: { value: 'body' } })
    // GET and PATCH do not capture the query
    await visitor.patch('/api/sessions?utm_source=third', { public: {} })
    await visitor.get('/api/sessions?utm_source=fourth')
    expect((await visitor.get('/api/sessions?items=public.utm_source')).body.namespaces.public).toEqual({ utm_source: { value: 'second' } })
  })

  it('captureCookies by prefix: captured on create, updated and removed by POST and PATCH, other cookie params left alone', async () => {
    const { engine, handle } = scenarioApp({ handler: { captureCookies: ['VtexIdclientAutCookie_*', 'authToken'] } })
    const visitor = new Visitor(await serve(handle))
    visitor.cookies.set('VtexIdclientAutCookie_store', 'jwt-1')
    visitor.cookies.set('other', 'not captured')
    await visitor.post('/api/sessions')
    const id = visitor.cookies.get(SESSION)!.split('.')[0]!
    expect((await engine.get(id))?.namespaces.cookie).toEqual({ VtexIdclientAutCookie_store: 'jwt-1' })
    await engine.patch(id, { cookie: { hostNote: 'kept' } }, { allow: ['cookie'] })
    visitor.cookies.set('VtexIdclientAutCookie_store', 'jwt-2')
    visitor.cookies.set('authToken', 'user:3:c@example.com')
    await visitor.patch('/api/sessions', [{ op: 'add', path: '/public/x', value: 1 }], 'application/json-patch+json')
    expect((await engine.get(id))?.namespaces.cookie).toEqual({ VtexIdclientAutCookie_store: 'jwt-2', authToken: 'user:3:c@example.com', hostNote: 'kept' })
    expect((await engine.get(id))?.namespaces.profile?.isAuthenticated).toBe(true)
    visitor.cookies.delete('VtexIdclientAutCookie_store')
    visitor.cookies.delete('authToken')
    await visitor.post('/api/sessions')
    expect((await engine.get(id))?.namespaces.cookie).toEqual({ hostNote: 'kept' })
    expect((await engine.get(id))?.namespaces.profile?.isAuthenticated).toBe(false)
  })

  it('rotateIdOn: a login (authentication.* changes) gives the session a new id and cookie; the old cookie is no session', async () => {
    const { engine, handle } = scenarioApp({ handler: { rotateIdOn: ['authentication.*'] } })
    const url = await serve(handle)
    const visitor = new Visitor(url)
    await visitor.post('/api/sessions', { public: { country: { value: 'US' } } })
    const anonymousCookie = visitor.cookies.get(SESSION)!
    const anonymousId = anonymousCookie.split('.')[0]!
    // a write that does not touch authentication keeps the id
    await visitor.patch('/api/sessions', { public: { postalCode: { value: '10115' } } })
    expect(visitor.cookies.get(SESSION)!.split('.')[0]).toBe(anonymousId)
    // login: the captured authToken cookie makes the authentication app write authentication.*
    visitor.cookies.set('authToken', 'user:7:ann@example.com')
    const login = await visitor.patch('/api/sessions', { public: { utm_source: { value: 'mail' } } })
    expect(login.status).toBe(200)
    const newId = visitor.cookies.get(SESSION)!.split('.')[0]!
    expect(newId).not.toBe(anonymousId)
    const session = await engine.get(newId)
    expect(session?.namespaces.profile?.isAuthenticated).toBe(true)
    expect(session?.namespaces.public).toMatchObject({ country: 'US', postalCode: '10115', utm_source: 'mail' })
    expect(await engine.get(anonymousId)).toBeUndefined()
    // whoever kept the pre-login cookie (session fixation) holds nothing
    const attacker = new Visitor(url)
    attacker.cookies.set(SESSION, anonymousCookie)
    expect((await attacker.patch('/api/sessions', { public: { x: { value: 1 } } })).status).toBe(404)
    // through POST and JSON Patch alike: logout (authToken removed) rotates again
    visitor.cookies.delete('authToken')
    await visitor.patch('/api/sessions', [{ op: 'add', path: '/public/y', value: 1 }], 'application/json-patch+json')
    const afterLogout = visitor.cookies.get(SESSION)!.split('.')[0]!
    expect(afterLogout).not.toBe(newId)
    expect((await engine.get(afterLogout))?.namespaces.profile?.isAuthenticated).toBe(false)
    visitor.cookies.set('authToken', 'user:8:bob@example.com')
    await visitor.post('/api/sessions')
    expect(visitor.cookies.get(SESSION)!.split('.')[0]).not.toBe(afterLogout)
  })

  it('without rotateIdOn the id never changes; a bad rotateIdOn is a ConfigError', async () => {
    const { engine, handle } = scenarioApp()
    const visitor = new Visitor(await serve(handle))
    await visitor.post('/api/sessions')
    const id = visitor.cookies.get(SESSION)!.split('.')[0]!
    visitor.cookies.set('authToken', 'user:7:ann@example.com')
    await visitor.post('/api/sessions')
    expect(visitor.cookies.get(SESSION)!.split('.')[0]).toBe(id)
    expect((await engine.get(id))?.namespaces.profile?.isAuthenticated).toBe(true)
    const signer = createTokenSigner({ keys: KEYS })
    for (const bad of ['authentication.*', ['no dot'], [1]]) {
      expect(() => createSessionHandler(engine, { signer, rotateIdOn: bad as never }), JSON.stringify(bad)).toThrow(/rotateIdOn/)
    }
  })

  it("the request's signal is the calls' deadline: an abandoned POST stops its cycle, saves nothing, reports nothing", async () => {
    let started = 0
    const errors: unknown[] = []
    const slow = defineApp({
      name: 'slow-lookup',
      input: { public: ['postalCode'] },
      output: { checkout: ['regionId'] },
      transform: async (_input, ctx) => {
        started++
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
        return { checkout: { regionId: 'late' } }
      },
    })
    const store = new SpyStore()
    const engine = new SessionEngine({ apps: [slow], store })
    const handle = createSessionHandler(engine, { signer: createTokenSigner({ keys: KEYS }), onError: (error) => errors.push(error) })
    const controller = new AbortController()
    const answer = handle(
      new Request('http://shop.test/api/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ public: { postalCode: { value: '10115' } } }),
        signal: controller.signal,
      }),
    )
    while (started === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    controller.abort()
    const response = await answer
    expect(response.status).toBe(499)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(puts(store)).toBe(0)
    expect(errors).toEqual([])
  })

  it("with the engine's segment from vtexSegment(), the segment cookie and route are VTEX's flat segment", async () => {
    const engine = new SessionEngine({ apps: commerceApps, segment: vtexSegment() })
    const visitor = new Visitor(await serve(createSessionHandler(engine, { signer: createTokenSigner({ keys: KEYS }), sessionCookie: 'vtex_session', segmentCookie: 'vtex_segment' })))
    const created = await visitor.post('/api/sessions?utm_source=ad', { public: { country: { value: 'US' } } })
    const cookie = created.set.get('vtex_segment')!.value
    expect(created.body.segmentToken).toBe(cookie)
    // what a page script does with it
    const flat = JSON.parse(atob(cookie))
    expect(flat).toMatchObject({ channel: 'web', currencyCode: 'USD', utm_source: 'ad', regionId: 'us-0', utm_campaign: null })
    expect(decodeVtexSegment(cookie)).toEqual(flat)
    // the route answers what the cookie holds: VTEX's flat object, keys in VTEX's order
    const answered = (await visitor.get('/api/segments')).body as Record<string, unknown>
    expect(answered).toEqual(flat)
    expect(Object.keys(answered)).toEqual(Object.keys(flat))
  })

  it('the segment cookie is re-set only when it differs from the one the request carried', async () => {
    const { handle } = scenarioApp()
    const visitor = new Visitor(await serve(handle))
    const created = await visitor.post('/api/sessions', { public: { country: { value: 'DE' } } })
    const first = created.set.get(SEGMENT)!.value
    const steps: Array<[country: string, changes: boolean]> = [
      ['FR', false], // EUR -> EUR
      ['US', true],
      ['US', false],
      ['DE', true],
    ]
    for (const [country, changes] of steps) {
      const reply = await visitor.patch('/api/sessions', { public: { country: { value: country } } })
      expect(reply.set.has(SEGMENT), country).toBe(changes)
    }
    expect(visitor.cookies.get(SEGMENT)).toBe(first)
    // a visitor that lost its segment cookie gets it back on a read
    visitor.cookies.delete(SEGMENT)
    expect(decodeSegmentToken((await visitor.get('/api/sessions')).set.get(SEGMENT)?.value)).toEqual({ store: { currencyCode: 'EUR' } })
  })
})

describe('any input a client can send', () => {
  it('is answered 2xx or 4xx (never 5xx, never a rejection), and a refused write saves nothing (property)', async () => {
    const store = new SpyStore()
    const { engine, handle } = scenarioApp({ store })
    const created = await handle(new Request('http://x/api/sessions', { method: 'POST' }))
    const cookie = created.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
    const id = cookie.split('=')[1]!.split('.')[0]!
    const json = fc.jsonValue({ maxDepth: 4 })
    const vtexish = fc.dictionary(fc.string({ maxLength: 8 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(json, json.map((value) => ({ value })))))
    const body = fc.oneof(
      vtexish.map((b) => JSON.stringify(b)),
      json.map((b) => JSON.stringify(b)),
      fc.string({ maxLength: 50 }),
      fc.constant('{"__proto__":{"x":{"value":1}}}'),
      fc.constant('{"constructor":{"prototype":{"value":1}}}'),
    )
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
      path: fc.constantFrom('/api/sessions', '/api/segments', '/api/sessions?items=', '/api/sessions?items=*,a.b.c', '/x'),
      query: fc.string({ maxLength: 20 }),
      type: fc.constantFrom('application/json', 'application/json-patch+json', 'text/plain', undefined),
      body: fc.option(body),
      withSession: fc.boolean(),
    })
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const before = await engine.get(id)
        const putsBefore = puts(store)
        const headers: Record<string, string> = {}
        if (r.type !== undefined) headers['content-type'] = r.type
        if (r.withSession) headers.cookie = cookie
        const hasBody = r.body !== null && r.method !== 'GET'
        const url = `http://x${r.path}${r.path.includes('?') ? '&' : '?'}q=${encodeURIComponent(r.query)}`
        const response = await handle(new Request(url, { method: r.method, headers, body: hasBody ? r.body : undefined }))
        expect(response.status, `${r.method} ${url} ${r.body}`).toBeLessThan(500)
        if (response.status >= 400) {
          expect(puts(store)).toBe(putsBefore)
          expect(await engine.get(id)).toEqual(before)
          expect(Object.keys(await response.json())).toEqual(expect.arrayContaining(['code', 'message']))
        }
        if (r.method === 'DELETE' && r.withSession) {
          // put the session back for the next runs
          await store.inner.put(before!, undefined)
        }
      }),
      fcParams(300),
    )
  })
})
