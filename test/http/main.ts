/**
 * Runs the example server for manual tries: `npx tsx test/http/main.ts` then
 *   curl -i -X POST localhost:8787/api/sessions -H 'content-type: application/json' -d '{"public":{"country":"US"}}'
 * Browsers accept the Secure cookies on http://localhost; other hosts need HTTPS.
 */
import { serve } from '@hono/node-server'
import { SessionEngine, createTokenSigner } from '../../src/index'
import { commerceApps } from '../support/commerce'
import { createSessionApp } from './app'

const engine = new SessionEngine({
  apps: commerceApps,
  segment: { params: ['store.channel', 'store.currencyCode', 'public.utm_*'] },
})
// a real deployment reads its keys from a secret store; a fresh random key per run is enough here
const signer = createTokenSigner({ keys: [crypto.getRandomValues(new Uint8Array(32))] })
const port = Number(process.env.PORT ?? 8787)
serve({ fetch: createSessionApp({ engine, signer }).fetch, hostname: '127.0.0.1', port })
console.log(`sessionflow example on http://localhost:${port}/api/sessions`)
