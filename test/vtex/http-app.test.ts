import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, RemoteAppError, SessionEngine, TransformFailedError } from '../../src/index'
import type { AppRunReport, CycleReport } from '../../src/index'
import { DEFAULT_HTTP_TIMEOUT_MS, httpApp } from '../../src/vtex/index'
import { rejection } from '../support/helpers'
import { type RemoteServer, startRemoteServer, vtexBody } from '../support/remote-app'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let server: RemoteServer
beforeAll(async () => {
  server = await startRemoteServer({
    '/store': (body) => {
      const country = (body as { public?: { country?: { value?: string } } }).public?.country?.value
      return { body: vtexBody({ store: { channel: country === 'BR' ? '2' : '1', currencyCode: country === 'BR' ? 'BRL' : 'USD' } }) }
    },
    '/echo': (body) => ({ body: JSON.stringify({ out: { seen: { value: body } } }) }),
    '/slow': () => ({ delayMs: 400, body: vtexBody({ out: { seen: 'late' } }) }),
    '/fifty': () => ({ delayMs: 50, body: vtexBody({ out: { seen: 'ok' } }) }),
    '/500': () => ({ status: 500, body: '{"error":"boom"}' }),
    '/401': () => ({ status: 401, body: 'login required' }),
    '/403': () => ({ status: 403, body: '{"message":"sales channel not allowed"}' }),
    '/bad-json': () => ({ body: '{"out": {"seen": ' }),
    '/plain-shape': () => ({ body: JSON.stringify({ out: { seen: 'no wrapper' } }) }),
    '/undeclared': () => ({ body: vtexBody({ out: { seen: 1, sneaky: 2 }, admin: { role: 'root' } }) }),
    '/proto': () => ({ body: '{"out":{"__proto__":{"value":1}}}' }),
    '/huge': () => ({ body: vtexBody({ out: { seen: 'x'.repeat(200_000) } }) }),
    '/long': () => ({ body: vtexBody({ out: { seen: 'x'.repeat(30_000) } }) }),
    '/no-content': () => ({ status: 204 }),
    '/not-utf8': () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))
    },
    '/unicode': (body) => ({ body: JSON.stringify({ out: { seen: { value: (body as { public: { name: { value: string } } }).public.name.value + ' ✓' } } }) }),
  })
})
afterAll(() => server.close())

const url = (path: string) => `${server.url}${path}`
const remote = (path: string, extra: Partial<Parameters<typeof httpApp>[0]> = {}) =>
  httpApp({ name: path.slice(1), url: url(path), input: { public: ['country', 'name'] }, output: { out: ['seen'] }, ...extra })
const runs = (report: CycleReport): AppRunReport[] => report.waves.flatMap((w) => w.apps)

describe('httpApp against a real local HTTP server', () => {
  it('POSTs every declared input in the VTEX shape (patterns too) and merges the VTEX-shaped answer', async () => {
    const store = httpApp({
      name: 'store',
      url: url('/store'),
      input: { public: ['country', 'postalCode'], cookie: ['VtexIdclientAutCookie_*'] },
      output: { store: ['channel', 'currencyCode'] },
      headers: { 'x-vtex-account': 'acme' },
    })
    const engine = new SessionEngine({ apps: [store] })
    const before = server.requests.length
    const { session, report } = await engine.create({ public: { country: 'BR' }, cookie: { VtexIdclientAutCookie_acme: 'jwt', other: 'x' } })
    expect(session.namespaces.store).toEqual({ channel: '2', currencyCode: 'BRL' })
    expect(runs(report)[0]).toMatchObject({ app: 'store', status: 'ok', changed: ['store.channel', 'store.currencyCode'] })
    const request = server.requests[before]!
    expect(request.path).toBe('/store')
    // every declared input that is set, unset ones absent, each namespace present
    expect(request.body).toEqual({ public: { country: { value: 'BR' } }, cookie: { VtexIdclientAutCookie_acme: { value: 'jwt' } } })
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.headers['x-vtex-account']).toBe('acme')
  })

  it('sends unchanged inputs too, and an empty input on create', async () => {
    const echo = remote('/echo', { runOnCreate: true })
    const engine = new SessionEngine({ apps: [echo] })
    const created = await engine.create()
    expect(created.session.namespaces.out).toEqual({ seen: { public: {} } })
    const { session } = await engine.patch(created.session.id, { public: { country: 'DE', name: 'Ann' } })
    const next = await engine.patch(session.id, { public: { name: 'Bob' } })
    expect(next.session.namespaces.out).toEqual({ seen: { public: { country: { value: 'DE' }, name: { value: 'Bob' } } } })
  })

  it('keeps non-ASCII values exact both ways', async () => {
    const { namespaces } = await new SessionEngine({ apps: [remote('/unicode')] }).runTransform({}, { public: { name: 'João 北京 😀' } })
    expect(namespaces.out).toEqual({ seen: 'João 北京 😀 ✓' })
  })

  it.each([
    ['a 500', '/500', 500, /answered 500/],
    ['a 401', '/401', 401, /answered 401/],
    ['a 403', '/403', 403, /answered 403/],
    ['a body that is not JSON', '/bad-json', 200, /not JSON/],
    ['a body in the plain shape', '/plain-shape', 200, /wrong shape.*out\.seen: expected \{ "value"/],
    ['undeclared writes (even beside declared ones)', '/undeclared', 200, /outside its output: out\.sneaky, admin\.role/],
    ['a reserved key', '/proto', 200, /wrong shape/],
    ['an answer over maxResponseBytes', '/huge', 200, /more than 65536 bytes/],
    ['a body that is not UTF-8', '/not-utf8', 200, /not UTF-8/],
  ])('%s is an isolated failure with the HTTP status in the report; nothing of the answer lands', async (_, path, status, message) => {
    const engine = new SessionEngine({ apps: [remote(path)] })
    const { namespaces, report } = await engine.runTransform({}, { public: { country: 'BR' } })
    expect(namespaces).toEqual({ public: { country: 'BR' } })
    const run = runs(report)[0]!
    expect(run).toMatchObject({ app: path.slice(1), status: 'failed', changed: [], error: { kind: 'rejected', status } })
    expect(run.error!.message).toMatch(message)
    expect(run.error!.cause).toBeInstanceOf(RemoteAppError)
    expect((run.error!.cause as RemoteAppError).url).toBe(url(path))
  })

  it("the engine's limits decide what an answer may hold, not the defaults", async () => {
    const app = remote('/long', { maxResponseBytes: 100_000 })
    const strict = await new SessionEngine({ apps: [app] }).runTransform({}, { public: { country: 'BR' } })
    expect(runs(strict.report)[0]).toMatchObject({ status: 'failed', error: { kind: 'invalid-output' } })
    const loose = await new SessionEngine({ apps: [app], limits: { maxStringLength: 40_000 } }).runTransform({}, { public: { country: 'BR' } })
    expect((loose.namespaces.out as { seen: string }).seen).toHaveLength(30_000)
  })

  it('a 204 writes nothing and is not a failure', async () => {
    const { report } = await new SessionEngine({ apps: [remote('/no-content')] }).runTransform({}, { public: { country: 'BR' } })
    expect(runs(report)[0]).toMatchObject({ status: 'ok', changed: [] })
    expect(runs(report)[0]!.error).toBeUndefined()
  })

  it('a critical app answering 401/403 fails the call with the status kept (for an HTTP layer to answer it); nothing is saved', async () => {
    for (const code of [401, 403] as const) {
      const engine = new SessionEngine({ apps: [remote(`/${code}`, { critical: true })] })
      const { session } = await engine.create()
      const error = await rejection(engine.patch(session.id, { public: { country: 'BR' } }), TransformFailedError, 'TRANSFORM_FAILED')
      expect(error.status).toBe(code)
      expect(error.app).toBe(String(code))
      expect(error.cause).toBeInstanceOf(RemoteAppError)
      expect(await engine.get(session.id)).toEqual(session)
    }
  })

  it('a critical failure without an HTTP status (network error) keeps status undefined', async () => {
    const closed = await startRemoteServer({})
    const gone = closed.url
    await closed.close()
    const app = httpApp({ name: 'gone', url: `${gone}/x`, input: { public: ['country'] }, critical: true })
    const error = await rejection(new SessionEngine({ apps: [app] }).runTransform({}, { public: { country: 'BR' } }), TransformFailedError, 'TRANSFORM_FAILED')
    expect(error.status).toBeUndefined()
    expect(error.message).toMatch(/request to .* failed/)
    // isolated, it is a failure without a status
    const { report } = await new SessionEngine({ apps: [{ ...app, critical: false }] }).runTransform({}, { public: { country: 'BR' } })
    expect(runs(report)[0]!.error).toMatchObject({ kind: 'rejected' })
    expect(runs(report)[0]!.error!.status).toBeUndefined()
  })

  it('times out: the run fails as a timeout, the request is aborted, the late answer is ignored', async () => {
    let aborted = false
    const watching: typeof fetch = (input, init) => {
      init!.signal!.addEventListener('abort', () => (aborted = true))
      return fetch(input, init)
    }
    const engine = new SessionEngine({ apps: [remote('/slow', { timeoutMs: 60, fetch: watching })] })
    const { namespaces, report } = await engine.runTransform({}, { public: { country: 'BR' } })
    expect(runs(report)[0]).toMatchObject({ status: 'failed', error: { kind: 'timeout' } })
    expect(runs(report)[0]!.error!.status).toBeUndefined()
    expect(aborted).toBe(true)
    expect(namespaces.out).toBeUndefined()
    await sleep(450)
  })

  it('calls fetch as a plain function, as workerd and browsers require of theirs', async () => {
    // like the platform's fetch there: any `this` other than undefined/globalThis is "Illegal invocation"
    const strict = function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation')
      return fetch(input, init)
    }
    const { report } = await new SessionEngine({ apps: [remote('/store', { fetch: strict, output: { store: ['channel', 'currencyCode'] } })] }).runTransform({}, { public: { country: 'BR' } })
    expect(runs(report)[0]).toMatchObject({ status: 'ok', changed: ['store.channel', 'store.currencyCode'] })
  })

  it('has a default timeout', () => {
    expect(remote('/store').timeoutMs).toBe(DEFAULT_HTTP_TIMEOUT_MS)
    expect(remote('/store', { timeoutMs: 10 }).timeoutMs).toBe(10)
  })

  it('reuses connections (keep-alive): sequential calls do not open one connection each', async () => {
    const engine = new SessionEngine({ apps: [remote('/store')] })
    const before = server.connections()
    for (let i = 0; i < 20; i++) await engine.runTransform({}, { public: { country: i % 2 === 0 ? 'BR' : 'US' } })
    expect(server.connections() - before).toBeLessThanOrEqual(2)
  })

  it('runs the remote apps of a wave concurrently: 10 apps of 50 ms take about as long as one', async () => {
    const apps = (n: number) => Array.from({ length: n }, (_, i) => httpApp({ name: `r${i}`, url: url('/fifty'), input: { public: ['country'] }, output: { out: ['seen'] } }))
    const one = new SessionEngine({ apps: apps(1) })
    const ten = new SessionEngine({ apps: apps(10) })
    const waveMs = async (engine: SessionEngine, country: string) => {
      const { report } = await engine.runTransform({}, { public: { country } })
      expect(report.waves[0]!.apps.every((a) => a.status === 'ok')).toBe(true)
      return report.waves[0]!.durationMs
    }
    // warm the connection pool, then alternate single and wide waves and compare medians
    await waveMs(ten, 'warm')
    const single: number[] = []
    const wide: number[] = []
    for (let i = 0; i < 7; i++) {
      single.push(await waveMs(one, `c${i}`))
      wide.push(await waveMs(ten, `c${i}`))
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const ratio = median(wide) / median(single)
    console.log(`wave of 10 remote apps of 50 ms: median ${median(wide).toFixed(1)} ms; one app: ${median(single).toFixed(1)} ms; ratio ${ratio.toFixed(2)}`)
    // the target is 1.2x and a quiet machine measures 1.1-1.3x; calls made one after the other would
    // be 10x. Under the whole test suite on 2 cores the CPU cost of 10 requests has reached 2.2x:
    // the margin absorbs that and still tells concurrent from sequential
    expect(ratio).toBeLessThan(4)
  })

  it('refuses bad options with ConfigError naming the app', () => {
    const base = { name: 'r', url: 'http://127.0.0.1:1/x' }
    expect(() => httpApp({ ...base, url: 'not a url' })).toThrow(/app "r": url must be an absolute/)
    expect(() => httpApp({ ...base, url: 'ftp://example.com/x' })).toThrow(/app "r": url must be http or https/)
    expect(() => httpApp({ ...base, retries: 3 } as never)).toThrow(/app "r": unknown option "retries"/)
    expect(() => httpApp({ ...base, headers: { 'bad header': 'x' } })).toThrow(/app "r": headers are invalid/)
    expect(() => httpApp({ ...base, fetch: 'no' as never })).toThrow(/app "r": fetch must be a function/)
    expect(() => httpApp({ ...base, maxResponseBytes: 0 })).toThrow(/app "r": maxResponseBytes/)
    expect(() => httpApp({ ...base, output: { out: ['a*'] } })).toThrow(/app "r": output key/)
    expect(() => httpApp({ ...base, timeoutMs: -1 })).toThrow(ConfigError)
    expect(() => httpApp({ name: '', url: base.url })).toThrow(ConfigError)
    expect(() => httpApp(null as never)).toThrow(ConfigError)
  })
})
