/**
 * sessionflow/vtex in Cloudflare's workerd (through Miniflare): the worker calls its remote apps
 * with workerd's own fetch and AbortSignal, encodes the segment with its btoa; the remote apps are
 * answered here, outside the worker.
 */
import { fileURLToPath } from 'node:url'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningWorker, startWorker } from '../support/workerd'

let worker: RunningWorker
let mf: Miniflare
const received: unknown[] = []

/** The remote apps, as VTEX apps would answer. */
async function remote(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname
  const body = (await request.json()) as { public: { postalCode?: { value: string } } }
  received.push({ path, body })
  if (path === '/forbidden') return new Response('sales channel not allowed', { status: 403 })
  if (path === '/_v/slow/session/transform') await new Promise((resolve) => setTimeout(resolve, 1_000))
  return Response.json({ checkout: { [path.includes('slow') ? 'late' : 'regionId']: { value: `BR-${body.public.postalCode?.value.slice(0, 2)}` } } })
}

beforeAll(async () => {
  worker = await startWorker(fileURLToPath(new URL('../support/vtex-worker.ts', import.meta.url)), { outboundService: remote as never })
  mf = worker.mf
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
})

describe('sessionflow/vtex in workerd', () => {
  it('remote apps over workerd fetch (one timing out), a pattern input, the segment through btoa/atob, a remote 403', async () => {
    const response = await mf.dispatchFetch('http://localhost/')
    const answer = (await response.json()) as Record<string, unknown>
    expect(answer.namespaces).toMatchObject({ checkout: { regionId: 'BR-01' }, profile: { accounts: 1 } })
    expect(answer.runs).toEqual(
      expect.arrayContaining([
        { app: 'region', status: 'ok', kind: null },
        { app: 'slow', status: 'failed', kind: 'timeout' },
        { app: 'auth', status: 'ok', kind: null },
      ]),
    )
    expect(answer.segment).toMatchObject({ channel: null, regionId: 'BR-01', utm_campaign: 'promoção' })
    expect(answer.decoded).toEqual(answer.segment)
    expect(answer.refused).toBe(403)
    expect(received).toContainEqual({ path: '/_v/region/session/transform', body: { public: { postalCode: { value: '01310' } } } })
    expect(worker.log()).not.toMatch(/Error/)
  })
})
