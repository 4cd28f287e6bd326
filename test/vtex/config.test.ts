import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, SessionEngine, describeGraph } from '../../src/index'
import { type VtexSessionConfig, appsFromVtexConfig } from '../../src/vtex/index'
import { type RemoteServer, startRemoteServer, vtexBody } from '../support/remote-app'

let server: RemoteServer
beforeAll(async () => {
  server = await startRemoteServer({
    '/_v/region-app/session/transform': (body) => {
      const postalCode = (body as { public?: { postalCode?: { value?: string } } }).public?.postalCode?.value
      return { body: vtexBody({ checkout: { regionId: postalCode === undefined ? null : `BR-${postalCode.slice(0, 2)}` } }) }
    },
  })
})
afterAll(() => server.close())

const config: VtexSessionConfig = {
  'store-app': { input: { public: ['sc'] }, output: { store: ['channel'] } },
  'region-app': { input: { public: ['postalCode'], store: ['channel'] }, output: { checkout: ['regionId'] } },
  'auth-app': { input: { cookie: ['VtexIdclientAutCookie_*'] }, output: { profile: ['isAuthenticated'] } },
}

function resolve(app: string) {
  if (app === 'store-app') return (input: { public: { sc?: unknown } }) => ({ store: { channel: String(input.public.sc ?? '1') } })
  if (app === 'region-app') return `${server.url}/_v/region-app/session/transform`
  return { transform: (input: { cookie: Record<string, unknown> }) => ({ profile: { isAuthenticated: Object.keys(input.cookie).length > 0 } }), critical: true }
}

describe('appsFromVtexConfig', () => {
  it('builds in-process and remote apps from a configuration.json, in key order, that run together', async () => {
    const apps = appsFromVtexConfig(JSON.parse(JSON.stringify(config)), { resolve: resolve as never })
    expect(apps.map((a) => a.name)).toEqual(['store-app', 'region-app', 'auth-app'])
    expect(apps[2]!.critical).toBe(true)
    const engine = new SessionEngine({ apps })
    const { session, report } = await engine.create({
      public: { sc: '3', postalCode: '01310-100' },
      cookie: { VtexIdclientAutCookie_acme: 'jwt' },
    })
    expect(session.namespaces).toMatchObject({
      store: { channel: '3' },
      checkout: { regionId: 'BR-01' },
      profile: { isAuthenticated: true },
    })
    expect(report.waves.flatMap((w) => w.apps).every((a) => a.status === 'ok')).toBe(true)
  })

  it('accepts several files (one per VTEX app), and a URL object or { url, ... } for a remote app', () => {
    const files: VtexSessionConfig[] = [{ a: { output: { x: ['y'] } } }, { b: { input: { x: ['y'] } } }]
    const apps = appsFromVtexConfig(files, {
      resolve: (name) => (name === 'a' ? new URL(`${server.url}/a`) : { url: `${server.url}/b`, timeoutMs: 50, critical: true }),
    })
    expect(apps.map((a) => [a.name, a.timeoutMs, a.critical])).toEqual([
      ['a', 5_000, undefined],
      ['b', 50, true],
    ])
  })

  it('a configuration with a cycle loads; describeGraph names the cycle (and can refuse it)', () => {
    const cyclic = { ping: { input: { p: ['x'] }, output: { p: ['y'] } }, pong: { input: { p: ['y'] }, output: { p: ['x'] } } }
    const apps = appsFromVtexConfig(cyclic, { resolve: () => () => undefined })
    expect(describeGraph({ apps }).cycles).toEqual([{ params: ['p.x', 'p.y'], apps: ['ping', 'pong'] }])
    expect(() => describeGraph({ apps }, { cycles: 'refuse' })).toThrow(/cycle/)
  })

  it.each([
    ['an unknown field', { 'my-app': { input: {}, outputs: {} } }, /app "my-app": unknown field "outputs"/],
    ['a misspelled declaration', { 'my-app': { input: { public: 'country' } } }, /app "my-app": input\.public must be an array/],
    ['an app that is not an object', { 'my-app': [] }, /app "my-app": must be an object/],
    ['a pattern in output', { 'my-app': { output: { cookie: ['a*'] } } }, /app "my-app": output key/],
    ['a reserved namespace', JSON.parse('{"my-app":{"input":{"__proto__":["a"]}}}'), /app "my-app": input namespace/],
    ['a file that is not an object', ['nope'], /must be an object of app name/],
  ])('refuses %s with ConfigError naming the app', (_, file, message) => {
    const run = () => appsFromVtexConfig(file as never, { resolve: () => () => undefined })
    expect(run).toThrow(ConfigError)
    expect(run).toThrow(message)
  })

  it('refuses an app declared in two files', () => {
    const run = () => appsFromVtexConfig([{ dup: {} }, { dup: {} }], { resolve: () => () => undefined })
    expect(run).toThrow(/app "dup": declared twice/)
  })

  it('refuses a resolution that is neither a transform nor a URL, naming the app', () => {
    expect(() => appsFromVtexConfig({ x: {} }, { resolve: () => undefined as never })).toThrow(/app "x": resolve\(\) must give/)
    expect(() => appsFromVtexConfig({ x: {} }, { resolve: () => ({ nope: 1 }) as never })).toThrow(/app "x": resolve\(\) must give/)
    expect(() => appsFromVtexConfig({ x: {} }, { resolve: () => 'not a url' })).toThrow(/app "x": url must be/)
    expect(() => appsFromVtexConfig({ x: {} }, { resolve: () => ({ transform: () => undefined, retries: 1 }) as never })).toThrow(/app "x": unknown option "retries"/)
    expect(() => appsFromVtexConfig({ x: {} }, {} as never)).toThrow(/resolve/)
  })
})
