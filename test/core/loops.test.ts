import { describe, expect, it } from 'vitest'
import { SessionEngine, TransformLoopError, defineApp } from '../../src/index'
import { SpyStore, appsPerWave, rejection } from '../support/helpers'

const flipper = defineApp({
  name: 'flipper',
  input: { p: ['x'] },
  output: { p: ['x'] },
  transform: (i) => ({ p: { x: i.p.x === 1 ? 2 : 1 } }),
})

/** Two apps pushing each other around: ping sets y from x, pong sets x from y. */
const ping = defineApp({ name: 'ping', input: { p: ['x'] }, output: { p: ['y'] }, transform: (i) => ({ p: { y: i.p.x === 'a' ? 'b' : 'a' } }) })
const pong = defineApp({ name: 'pong', input: { p: ['y'] }, output: { p: ['x'] }, transform: (i) => ({ p: { x: i.p.y === 'a' ? 'a' : 'b' } }) })

function counter(limit: number) {
  return defineApp({
    name: 'counter',
    input: { p: ['n'] },
    output: { p: ['n'] },
    transform: (i) => {
      const n = typeof i.p.n === 'number' ? i.p.n : 0
      return n < limit ? { p: { n: n + 1 } } : undefined
    },
  })
}

describe('loops', () => {
  it('stops an oscillation as soon as a (state, changed params) pair repeats, naming apps and params', async () => {
    const store = new SpyStore()
    const engine = new SessionEngine({ apps: [flipper], store, writableNamespaces: ['p'] })
    const { session } = await engine.create()
    const error = await rejection(engine.patch(session.id, { p: { x: 1 } }), TransformLoopError, 'TRANSFORM_LOOP')
    expect(error.reason).toBe('repeat')
    expect(error.apps).toEqual(['flipper'])
    expect(error.params).toEqual(['p.x'])
    expect(error.waves).toBe(2) // x: 1 -> 2 -> 1, and wave 3 would start where wave 1 did
    expect(error.message).toMatch(/flipper/)
    expect(error.message).toMatch(/p\.x/)
    expect(await engine.get(session.id)).toBe(session)
    expect(store.calls.filter((c) => c === 'put')).toHaveLength(1)
  })

  it('stops a two-app ping-pong and names both apps and both params', async () => {
    const engine = new SessionEngine({ apps: [ping, pong] })
    const error = await rejection(engine.runTransform({}, { p: { x: 'a' } }), TransformLoopError, 'TRANSFORM_LOOP')
    expect(error.reason).toBe('repeat')
    expect([...error.apps].sort()).toEqual(['ping', 'pong'])
    expect(error.params).toEqual(['p.x', 'p.y'])
  })

  it('stops growth without end at maxWaves (default 100)', async () => {
    let runs = 0
    const grow = defineApp({
      name: 'grow',
      input: { p: ['list'] },
      output: { p: ['list'] },
      transform: (i) => {
        runs++
        return { p: { list: [...((i.p.list as number[]) ?? []), runs] } }
      },
    })
    const engine = new SessionEngine({ apps: [grow], limits: { maxSessionBytes: 1_000_000 } })
    const error = await rejection(engine.runTransform({}, { p: { list: [] } }), TransformLoopError, 'TRANSFORM_LOOP')
    expect(error.reason).toBe('maxWaves')
    expect(error.waves).toBe(100)
    expect(runs).toBe(100)
    expect(error.apps).toEqual(['grow'])
    expect(error.params).toEqual(['p.list'])
  })

  it('honours maxWaves exactly: a cycle needing maxWaves waves ends, one needing one more fails', async () => {
    const ok = new SessionEngine({ apps: [counter(5)], maxWaves: 6 })
    // n: 0 -> 1..5 in waves 1..5; wave 6 writes nothing: 6 waves
    const { namespaces, report } = await ok.runTransform({}, { p: { n: 0 } })
    expect(namespaces.p).toEqual({ n: 5 })
    expect(report.waves).toHaveLength(6)
    const tight = new SessionEngine({ apps: [counter(5)], maxWaves: 5 })
    const error = await rejection(tight.runTransform({}, { p: { n: 0 } }), TransformLoopError, 'TRANSFORM_LOOP')
    expect(error.reason).toBe('maxWaves')
    expect(error.waves).toBe(5)
  })

  it('does not count the create wave', async () => {
    const init = defineApp({ name: 'init', runOnCreate: true, output: { p: ['n'] }, transform: () => ({ p: { n: 0 } }) })
    const engine = new SessionEngine({ apps: [init, counter(3)], maxWaves: 4 })
    const { session, report } = await engine.create()
    expect(report.waves.map((w) => w.kind)).toEqual(['create', 'changes', 'changes', 'changes', 'changes'])
    expect(session.namespaces.p).toEqual({ n: 3 })
  })

  it('does NOT stop a cycle that revisits a state with a different set of changed params', async () => {
    // wave 1 starts at {x:1, y:0} triggered by x; wave 3 starts at the same state triggered by y
    const setY = defineApp({ name: 'setY', input: { p: ['x'] }, output: { p: ['y'] }, transform: (i) => (i.p.x === 1 ? { p: { y: 1 } } : undefined) })
    const resetY = defineApp({ name: 'resetY', input: { p: ['y'] }, output: { p: ['y'] }, transform: (i) => (i.p.y === 1 ? { p: { y: 0 } } : undefined) })
    const engine = new SessionEngine({ apps: [setY, resetY] })
    const { namespaces, report } = await engine.runTransform({ p: { x: 0, y: 0 } }, { p: { x: 1 } })
    expect(appsPerWave(report)).toEqual([['setY'], ['resetY'], ['resetY']])
    expect(report.waves.map((w) => w.trigger)).toEqual([['p.x'], ['p.y'], ['p.y']])
    expect(namespaces.p).toEqual({ x: 1, y: 0 })
  })

  it('does NOT stop a cycle whose changed params repeat while the state differs', async () => {
    const engine = new SessionEngine({ apps: [counter(30)] })
    const { namespaces, report } = await engine.runTransform({}, { p: { n: 0 } })
    expect(namespaces.p).toEqual({ n: 30 })
    expect(report.waves).toHaveLength(31)
  })

  it('a loop detected after a create wave saves nothing', async () => {
    const store = new SpyStore()
    const init = defineApp({ name: 'init', runOnCreate: true, output: { p: ['x'] }, transform: () => ({ p: { x: 1 } }) })
    const engine = new SessionEngine({ apps: [init, flipper], store })
    await rejection(engine.create(), TransformLoopError, 'TRANSFORM_LOOP')
    expect(store.calls).toEqual([])
  })
})

describe('loops through pattern inputs', () => {
  it('catches apps feeding each other through a pattern, naming the concrete params', async () => {
    // grow writes c.k_<n+1> from n; count monitors every c.k_* and writes n: no fixed point
    const grow = defineApp({ name: 'grow', input: { p: ['n'] }, output: { c: ['k_a', 'k_b'] }, transform: (i) => ({ c: i.p.n === 1 ? { k_a: 1, k_b: undefined } : { k_a: undefined, k_b: 1 } }) })
    const count = defineApp({ name: 'count', input: { c: ['k_*'] }, output: { p: ['n'] }, transform: (i) => ({ p: { n: 'k_a' in i.c ? 2 : 1 } }) })
    const engine = new SessionEngine({ apps: [grow, count], writableNamespaces: ['p'] })
    const error = await rejection(engine.runTransform({}, { p: { n: 1 } }), TransformLoopError, 'TRANSFORM_LOOP')
    expect(error.reason).toBe('repeat')
    expect([...error.apps].sort()).toEqual(['count', 'grow'])
    expect(error.params).toEqual(['c.k_a', 'c.k_b', 'p.n'])
  })

  it('a pattern app converging is not a loop', async () => {
    const mirror = defineApp({ name: 'mirror', input: { c: ['k_*'] }, output: { c: ['k_count'] }, transform: (i) => ({ c: { k_count: Object.keys(i.c).filter((k) => k !== 'k_count').length } }) })
    const { namespaces, report } = await new SessionEngine({ apps: [mirror] }).runTransform({}, { c: { k_a: 1, k_b: 2 } })
    expect(namespaces.c).toEqual({ k_a: 1, k_b: 2, k_count: 2 })
    expect(appsPerWave(report)).toEqual([['mirror'], ['mirror']])
  })
})
