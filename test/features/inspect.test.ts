import { describe, expect, it } from 'vitest'
import { type InspectEvent, MemoryStore, type Session, SessionEngine, defineApp } from '../../src/index'
import { createTestEngine } from '../../src/testing'
import { commerceApps } from '../support/commerce'

function recorder() {
  const events: InspectEvent[] = []
  return { events, inspect: (event: InspectEvent) => void events.push(event) }
}

describe('inspect events', () => {
  it('a create emits cycle, wave and app events in order, then the save', async () => {
    const { events, inspect } = recorder()
    const { engine } = createTestEngine({ apps: commerceApps, inspect })
    const { report } = await engine.create({ public: { country: 'US' } })
    const types = events.map((e) => e.type)
    expect(types[0]).toBe('cycle:start')
    expect(types.at(-2)).toBe('cycle:end')
    expect(types.at(-1)).toBe('store:save')
    expect(events[0]).toEqual({ type: 'cycle:start', kind: 'create', sessionId: 's-1', writes: ['public.country'] })
    // per wave: wave:start, app:start..., app:end..., wave:end
    const waves = events.filter((e) => e.type === 'wave:start')
    expect(waves.map((w) => w.apps)).toEqual(report.waves.map((w) => w.apps.map((a) => a.app)))
    const appEnds = events.filter((e) => e.type === 'app:end')
    expect(appEnds.map((e) => [e.wave, e.app, e.changed])).toEqual(
      report.waves.flatMap((w) => w.apps.map((a) => [w.wave, a.app, a.changed])),
    )
    for (const e of appEnds) expect(e.durationMs).toBeGreaterThanOrEqual(0)
    const waveEnds = events.filter((e) => e.type === 'wave:end')
    expect(waveEnds.map((e) => e.report)).toEqual(report.waves)
    const end = events.at(-2)!
    expect(end).toMatchObject({ type: 'cycle:end', kind: 'create', sessionId: 's-1' })
    expect(end.type === 'cycle:end' && end.report?.changed).toEqual(report.changed)
    expect(events.at(-1)).toMatchObject({ type: 'store:save', sessionId: 's-1', version: 1 })
    // each app:start precedes its app:end
    for (const e of appEnds) {
      const start = events.findIndex((x) => x.type === 'app:start' && x.app === e.app && x.wave === e.wave)
      expect(start).toBeGreaterThanOrEqual(0)
      expect(start).toBeLessThan(events.indexOf(e))
    }
  })

  it('failing apps report their error; a loop ends the cycle with the error and no save', async () => {
    const { events, inspect } = recorder()
    const boom = defineApp({ name: 'boom', input: { public: ['x'] }, output: { b: ['y'] }, transform: () => { throw new Error('bad') } })
    const flip = defineApp({ name: 'flip', input: { public: ['n'] }, output: { public: ['n'] }, transform: (i) => ({ public: { n: Number(i.public.n) + 1 } }) })
    const { engine } = createTestEngine({ apps: [boom, flip], inspect, maxWaves: 3 })
    const { session } = await engine.create()
    events.length = 0
    await engine.patch(session.id, { public: { x: 1 } })
    expect(events.find((e) => e.type === 'app:end')).toMatchObject({ app: 'boom', status: 'failed', error: { kind: 'threw', message: 'bad' } })
    events.length = 0
    await expect(engine.patch(session.id, { public: { n: 0 } })).rejects.toMatchObject({ code: 'TRANSFORM_LOOP' })
    const end = events.at(-1)!
    expect(end).toMatchObject({ type: 'cycle:end', kind: 'patch' })
    expect(end.type === 'cycle:end' && (end.error as Error).name).toBe('TransformLoopError')
    expect(events.some((e) => e.type === 'store:save')).toBe(false)
  })

  it('a critical failure still closes every app of the aborted wave', async () => {
    const { events, inspect } = recorder()
    const ok = defineApp({ name: 'ok', input: { public: ['x'] }, output: { a: ['b'] }, transform: () => ({ a: { b: 1 } }) })
    const critical = defineApp({ name: 'critical', critical: true, input: { public: ['x'] }, transform: () => { throw new Error('no') } })
    const engine = new SessionEngine({ apps: [ok, critical], inspect })
    await expect(engine.runCreate({ public: { x: 1 } })).rejects.toMatchObject({ code: 'TRANSFORM_FAILED' })
    expect(events.filter((e) => e.type === 'app:end').map((e) => [e.app, e.status])).toEqual([
      ['ok', 'ok'],
      ['critical', 'failed'],
    ])
    expect(events.at(-1)).toMatchObject({ type: 'cycle:end' })
  })

  it('store conflicts and retries are reported', async () => {
    const { events, inspect } = recorder()
    const store = new MemoryStore()
    const engine = new SessionEngine({ store, inspect })
    const { session } = await engine.create({ public: { a: 1 } })
    // another process writes between our read and our put, once
    const put = store.put.bind(store)
    let interfered = false
    store.put = (next: Session, expected: number | undefined) => {
      if (!interfered) {
        interfered = true
        put({ ...next, version: next.version, namespaces: { public: { a: 99 } } }, expected)
      }
      return put(next, expected)
    }
    events.length = 0
    const { report } = await engine.patch(session.id, { public: { a: 2 } })
    expect(report.attempts).toBe(2)
    const storeEvents = events.filter((e) => e.type.startsWith('store:'))
    expect(storeEvents).toMatchObject([
      { type: 'store:conflict', sessionId: session.id, expectedVersion: 1 },
      { type: 'store:retry', sessionId: session.id, attempt: 2 },
      { type: 'store:save', sessionId: session.id, version: 3 },
    ])
  })

  it('an inspector that throws or rejects changes nothing', async () => {
    const throwing = new SessionEngine({ apps: commerceApps, inspect: () => { throw new Error('logger down') } })
    const rejecting = new SessionEngine({ apps: commerceApps, inspect: async () => { throw new Error('logger down') } })
    const plain = new SessionEngine({ apps: commerceApps })
    const expected = (await plain.runCreate({ public: { country: 'GB' } })).namespaces
    expect((await throwing.runCreate({ public: { country: 'GB' } })).namespaces).toEqual(expected)
    expect((await rejecting.runCreate({ public: { country: 'GB' } })).namespaces).toEqual(expected)
    expect(() => new SessionEngine({ inspect: 5 as never })).toThrow(/inspect must be a function/)
  })

  it('pure runs have no sessionId and no store events', async () => {
    const { events, inspect } = recorder()
    const engine = new SessionEngine({ apps: commerceApps, inspect })
    await engine.runTransform({}, { public: { country: 'DE' } })
    expect(events[0]).toMatchObject({ type: 'cycle:start', kind: 'transform', sessionId: undefined })
    expect(events.every((e) => !e.type.startsWith('store:'))).toBe(true)
  })
})
