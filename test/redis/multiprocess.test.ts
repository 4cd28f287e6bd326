/**
 * Four Node processes, each with its own engine (default settings) and connection, patch the same
 * 10 sessions on one Redis: 250 concurrent read-modify-write patches each. Only compare-and-set
 * and the engine's retries keep them from losing updates, and the default retry policy (jittered
 * exponential backoff) lets every one of them succeed.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY_POLICY, SessionEngine } from '../../src/index'
import { RedisStore } from '../../src/redis'
import { commerceApps } from '../support/commerce'
import { runFleet } from './fleet'
import { uniquePrefix } from '../support/redis'
import { useRedis } from '../support/redis-hooks'
import { tallyApp } from './apps'

const PROCESSES = 4
const PATCHES = 250
const SESSIONS = 10

const redis = useRedis()


describe('several processes on one Redis', () => {
  it(`${PROCESSES} processes x ${PATCHES} concurrent patches on ${SESSIONS} shared sessions lose nothing`, async () => {
    const prefix = uniquePrefix('multiprocess')
    const engine = new SessionEngine({ apps: [...commerceApps, tallyApp], store: new RedisStore({ client: redis.client, prefix }) })
    const created = await Promise.all(Array.from({ length: SESSIONS }, () => engine.create({ public: { count: 0 } })))
    const ids = created.map((r) => r.session.id)
    for (const r of created) expect(r.session.version).toBe(1)

    const { outcomes, wallMs } = await runFleet(
      Array.from({ length: PROCESSES }, (_, worker) => ({ mode: 'shared' as const, url: redis.url, prefix, worker, patches: PATCHES, ids })),
    )

    // the processes really did collide: some patches were re-run after a compare-and-set conflict
    const attempts = outcomes.flat().reduce((n, o) => n + o.attempts, 0)
    expect(attempts).toBeGreaterThan(PROCESSES * PATCHES)
    const most = Math.max(...outcomes.flat().map((o) => o.attempts))
    // eslint-disable-next-line no-console
    console.log(`multiprocess: ${attempts} attempts for ${PROCESSES * PATCHES} patches, at most ${most} for one, ${Math.round(wallMs)} ms`)
    expect(most).toBeLessThanOrEqual(1 + DEFAULT_RETRY_POLICY.maxRetries)
    const perSession = (PROCESSES * PATCHES) / SESSIONS
    for (const id of ids) {
      const session = await engine.get(id)
      expect(session, id).toBeDefined()
      // version == 1 + number of saved changes; every patch changed `count`, so every patch saved
      expect(session!.version).toBe(1 + perSession)
      expect(session!.namespaces.public!.count).toBe(perSession)
      expect(session!.namespaces.stats).toEqual({ double: 2 * perSession })
      const versions = outcomes
        .flat()
        .filter((o) => o.id === id)
        .map((o) => o.version)
        .sort((a, b) => a - b)
      // each saved change got its own version, with no gap and no duplicate
      expect(versions).toEqual(Array.from({ length: perSession }, (_, i) => i + 2))
    }
    for (let worker = 0; worker < PROCESSES; worker++) {
      expect(outcomes[worker]).toHaveLength(PATCHES)
      for (let i = 0; i < PATCHES; i++) {
        const session = await engine.get(ids[i % SESSIONS]!, { items: [`public.w${worker}_${i}`] })
        expect(session!.namespaces.public, `update w${worker}_${i}`).toEqual({ [`w${worker}_${i}`]: i })
      }
    }
  })
})
