/**
 * A call's report builds its waves when first read: the same content, in the same key order, as
 * a report built eagerly; the same objects on every read; assignable like a data property; and
 * intact through JSON and structured cloning.
 */
import { describe, expect, it } from 'vitest'
import { SessionEngine, defineApp } from '../../src/index'

const double = defineApp({
  name: 'double',
  input: { in: ['x'] },
  output: { out: ['y'] },
  transform: (input) => ({ out: { y: Number(input.in.x ?? 0) * 2 } }),
})
const sloppy = defineApp({
  name: 'sloppy',
  input: { out: ['y'] },
  output: { out: ['z'] },
  transform: (input) => ({ out: { z: input.out.y, nope: 1 } }) as never,
})

describe('cycle reports', () => {
  it('build their waves on first read, the same objects afterwards, with the eager content and key order', async () => {
    const engine = new SessionEngine({ apps: [double, sloppy] })
    const { report } = await engine.runTransform({}, { in: { x: 2 } })
    expect(Object.keys(report)).toEqual(['kind', 'trigger', 'waves', 'changed', 'durationMs', 'attempts', 'segmentChanged'])
    const waves = report.waves
    expect(report.waves).toBe(waves)
    expect(waves.map((w) => Object.keys(w))).toEqual([
      ['wave', 'kind', 'trigger', 'apps', 'changed', 'conflicts', 'durationMs'],
      ['wave', 'kind', 'trigger', 'apps', 'changed', 'conflicts', 'durationMs'],
    ])
    expect(waves.map((w) => ({ ...w, durationMs: 0, apps: w.apps.map((a) => ({ ...a, durationMs: 0 })) }))).toEqual([
      { wave: 1, kind: 'changes', trigger: ['in.x'], apps: [{ app: 'double', status: 'ok', durationMs: 0, changed: ['out.y'] }], changed: ['out.y'], conflicts: [], durationMs: 0 },
      {
        wave: 2,
        kind: 'changes',
        trigger: ['out.y'],
        apps: [{ app: 'sloppy', status: 'ok', durationMs: 0, changed: ['out.z'], undeclared: ['out.nope'] }],
        changed: ['out.z'],
        conflicts: [],
        durationMs: 0,
      },
    ])
    for (const wave of waves) {
      expect(wave.durationMs).toBeGreaterThanOrEqual(0)
      for (const app of wave.apps) expect(app.durationMs).toBeGreaterThanOrEqual(0)
    }
    expect(JSON.parse(JSON.stringify(report)).waves).toEqual(JSON.parse(JSON.stringify(waves)))
    expect(structuredClone(report).waves).toEqual(waves)
  })

  it('take an assigned `waves` like a data property', async () => {
    const engine = new SessionEngine({ apps: [double] })
    const { report } = await engine.runTransform({}, { in: { x: 1 } })
    ;(report as { waves: unknown }).waves = []
    expect(report.waves).toEqual([])
    expect(Object.keys(report)).toContain('waves')
  })

  it('share one `waves` accessor and hold nothing else a reflection could see (a getter per report kept each cycle alive past scavenges)', async () => {
    const engine = new SessionEngine({ apps: [double] })
    const a = await engine.runTransform({}, { in: { x: 1 } })
    const b = await engine.runTransform({}, { in: { x: 2 } })
    const c = await engine.create({ in: { x: 3 } })
    const getters = [a, b, c].map(({ report }) => Object.getOwnPropertyDescriptor(report, 'waves')?.get)
    expect(typeof getters[0]).toBe('function')
    expect(new Set(getters).size).toBe(1)
    for (const { report } of [a, b, c]) {
      expect(Reflect.ownKeys(report)).toEqual(['kind', 'trigger', 'waves', 'changed', 'durationMs', 'attempts', 'segmentChanged'])
      expect(report.waves[0]!.apps[0]!.app).toBe('double')
    }
    // the accessor reads only the report it was defined on
    expect(() => getters[0]!.call({})).toThrow(TypeError)
  })
})
