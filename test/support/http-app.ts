/**
 * The session endpoint the HTTP scenario runs against: the commerce apps behind
 * `createSessionHandler`, capturing the `authToken` cookie. Runtime-neutral (no Node API), so the
 * same module is served by a Node server and bundled into a workerd worker.
 */
import { type Clock, SessionEngine, type SessionStore, createTokenSigner, segmentBy } from '../../src/index'
import { type SessionHandler, type SessionHandlerOptions, createSessionHandler } from '../../src/http/index'
import { commerceApps } from './commerce'

/** Signing keys, newest first. */
export const KEYS = ['k'.repeat(32) + '-current', 'o'.repeat(32) + '-previous'] as const
/** The params of the segment: currency, campaigns from the query string, whether logged in. */
export const SEGMENT_PARAMS = ['store.currencyCode', 'public.utm_*', 'profile.isAuthenticated']

/** What {@link scenarioApp} may be varied by. */
export interface ScenarioAppOptions {
  readonly store?: SessionStore
  readonly clock?: Clock
  readonly ttlMs?: number
  readonly keys?: readonly string[]
  readonly handler?: Partial<SessionHandlerOptions>
}

/** The engine and its handler. */
export function scenarioApp(options: ScenarioAppOptions = {}): { engine: SessionEngine; handle: SessionHandler } {
  const engine = new SessionEngine({
    apps: commerceApps,
    segment: segmentBy({ params: SEGMENT_PARAMS }),
    store: options.store,
    clock: options.clock,
    ttlMs: options.ttlMs,
  })
  const signer = createTokenSigner({ keys: options.keys ?? KEYS })
  const handle = createSessionHandler(engine, { signer, captureCookies: ['authToken'], ...options.handler })
  return { engine, handle }
}
