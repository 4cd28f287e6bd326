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
})
