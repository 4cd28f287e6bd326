/**
 * A module worker running sessionflow/vtex in workerd: apps from a configuration, remote ones
 * called with workerd's own `fetch` (the test answers them outside the worker), a pattern input,
 * a timeout, a remote 403, and the segment read back with `atob`. Answers the outcome as JSON.
 */
import { SessionEngine, TransformFailedError } from '../../src/index'
import { appsFromVtexConfig, decodeVtexSegment, vtexSegment } from '../../src/vtex/index'

const REMOTE = 'https://remote.example'

const configuration = {
  region: { input: { public: ['postalCode'] }, output: { checkout: ['regionId'] } },
  slow: { input: { public: ['postalCode'] }, output: { checkout: ['late'] } },
  auth: { input: { cookie: ['VtexIdclientAutCookie_*'] }, output: { profile: ['accounts'] } },
}

export default {
  async fetch(): Promise<Response> {
    const apps = appsFromVtexConfig(configuration, {
      resolve: (app) =>
        app === 'auth'
          ? (input) => ({ profile: { accounts: Object.keys(input.cookie ?? {}).length } })
          : { url: `${REMOTE}/_v/${app}/session/transform`, timeoutMs: app === 'slow' ? 50 : 2_000 },
    })
    const engine = new SessionEngine({ apps, segment: vtexSegment() })
    const { session, report } = await engine.create({
      public: { postalCode: '01310', utm_campaign: 'promoção' },
      cookie: { VtexIdclientAutCookie_acme: 'jwt', other: 'x' },
    })
    const runs = report.waves.flatMap((w) => w.apps).map((a) => ({ app: a.app, status: a.status, kind: a.error?.kind ?? null }))
    const { token } = engine.segmentOf(session)
    const guard = appsFromVtexConfig({ guard: { input: { public: ['postalCode'] } } }, { resolve: () => ({ url: `${REMOTE}/forbidden`, critical: true }) })
    let refused: unknown = null
    try {
      await new SessionEngine({ apps: guard }).runTransform({}, { public: { postalCode: '1' } })
    } catch (error) {
      refused = error instanceof TransformFailedError ? error.status : String(error)
    }
    return Response.json({
      namespaces: session.namespaces,
      runs,
      segment: JSON.parse(atob(token)),
      decoded: decodeVtexSegment(token),
      refused,
    })
  },
}
