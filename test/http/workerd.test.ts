/**
 * The HTTP scenario in Cloudflare's workerd (through Miniflare): the same endpoint module as the
 * Node test, bundled with esbuild for the browser platform, driven by the same visitor.
 */
import { fileURLToPath } from 'node:url'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningWorker, startWorker } from '../support/workerd'
import { Visitor } from '../support/http-client'
import { SEGMENT, SESSION, runScenario } from '../support/http-scenario'

let worker: RunningWorker
let mf: Miniflare

beforeAll(async () => {
  worker = await startWorker(fileURLToPath(new URL('../support/http-worker.ts', import.meta.url)))
  mf = worker.mf
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
})

/** A visitor whose requests go to the worker. */
function visitor(): Visitor {
  return new Visitor('http://localhost', (url, init) => mf.dispatchFetch(url, init as never) as unknown as Promise<Response>)
}

describe('sessionflow/http in workerd', () => {
  it('the scenario: lazy read, create with utm, items, patch, login and logout by cookie, delete', async () => {
    await runScenario(visitor())
    expect(worker.log()).not.toMatch(/Error/)
  })

  it('a forged cookie is no session; 50 concurrent PATCHes all land', async () => {
    const forged = visitor()
    forged.cookies.set(SESSION, 'x'.repeat(22) + '.' + 'A'.repeat(43))
    const read = await forged.get('/api/sessions')
    expect(read.body.id).toBe(null)
    expect(read.set.get(SESSION)?.attributes).toContain('Max-Age=0')
    expect(read.set.has(SEGMENT)).toBe(true)
    const v = visitor()
    expect((await v.post('/api/sessions')).status).toBe(201)
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => v.patch('/api/sessions', { public: { [`k${i}`]: { value: i } } })))
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200))
    const all = await v.get('/api/sessions?items=public.*')
    expect(Object.keys(all.body.namespaces.public)).toHaveLength(50)
  })
})
