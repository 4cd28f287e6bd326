/**
 * Benchmarks are not timed tests: this only checks that the benchmark code runs at a tiny size,
 * that every implementation computes the same values (and our snapshot and patch agree), and
 * that the core stays within its size budget.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import jsonpatch from 'fast-json-patch'
import { describe, expect, it } from 'vitest'
import type { Namespaces } from '../../src/index'
import { chainGraph, engineFor, mobxRunner, naiveRunner, scaleGraph, signalsRunner, wideGraph } from './graphs'
import { coreSize, sizeBudget } from './size'
import { SMOKE, baselineSpeedUp, runSuite, storedMemory } from './suite'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('benchmark suite (smoke size)', () => {
  it('runs every benchmark and reports a finite figure for each', async () => {
    const rows = await runSuite(SMOKE)
    const sections = new Set(rows.map((r) => r.section))
    expect([...sections]).toEqual(['overhead', 'peers', 'scale', 'parallelism', 'stored'])
    for (const row of rows) {
      expect(Number.isFinite(row.value), row.name).toBe(true)
      expect(row.value, row.name).toBeGreaterThan(0)
    }
    expect(rows.filter((r) => r.section === 'peers' && r.unit === 'x')).toHaveLength(6)
  })

  it('npm run bench assembles one table from a child process per part (run at the smoke size)', () => {
    // this build as its own baseline: the comparison's two orders and their mean are assembled too
    const env = { ...process.env, BENCH_BASELINE: 'dist/index.js' }
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/run.ts', '--smoke', '--quiet'], { cwd: root, encoding: 'utf8', env })
    expect(child.status, child.stderr).toBe(0)
    const lines = child.stdout.split('\n').filter((l) => l.startsWith('| '))
    const sections = lines.map((l) => l.split('|')[1]!.trim()).filter((s) => s !== '')
    expect(sections).toEqual(['overhead', 'peers', 'overhead', 'peers', 'scale', 'parallelism', 'stored', 'bundle', 'cache'])
    // the scale ratio (size 2 timed side by side with size 1) is there, with its target
    expect(lines.filter((l) => l.includes('ratio to 10 apps / 100 params'))).toHaveLength(1)
    for (const row of ['speed-up of this build, set up first', 'speed-up of this build, set up second', 'speed-up of this build, both orders']) {
      expect(lines.filter((l) => l.includes(row))).toHaveLength(1)
    }
    expect(child.stdout).toContain('each part of the suite in a fresh process')
  }, 120_000)

  it('combines the two set-up orders of the baseline comparison by their geometric mean, only when both ran', () => {
    const row = (order: string, value: number) => ({ section: 'stored', name: `  speed-up of this build, set up ${order}, side by side`, value, unit: 'x' })
    const [mean] = baselineSpeedUp([row('first', 2.5), row('second', 1.6)])
    expect(mean!.value).toBeCloseTo(Math.sqrt(2.5 * 1.6), 12)
    expect(mean!.ok).toBe(true)
    expect(baselineSpeedUp([row('first', 1.8), row('second', 1.8)])[0]!.ok).toBe(false)
    expect(baselineSpeedUp([row('first', 2.5)])).toEqual([])
  })

  it('measures stored memory (without gc here, so only the mechanics are checked)', async () => {
    const { heapPerSession, jsonPerSession } = await storedMemory(SMOKE.memorySessions, () => {})
    expect(Number.isFinite(heapPerSession)).toBe(true)
    expect(jsonPerSession).toBeGreaterThan(100)
  })

  for (const [name, graph] of [
    ['wide wave', wideGraph(30)],
    ['chain', chainGraph(12)],
    ['scale', scaleGraph(60, 300, 50)],
  ] as const) {
    it(`${name}: peers compute sessionflow's values, and its patch turns the old namespaces into the new`, async () => {
      const engine = engineFor(graph)
      const [ns, key] = graph.source
      const { namespaces: base } = await engine.runTransform(graph.filler, { [ns]: { [key]: -1 } })
      const peers = [signalsRunner(graph), mobxRunner(graph), naiveRunner(graph)]
      for (const v of [3, 4, 3]) {
        const { namespaces, patch } = await engine.runTransform(base, { [ns]: { [key]: v } })
        const applied = jsonpatch.applyPatch(structuredClone(base) as object, structuredClone(patch) as never).newDocument
        expect(applied).toEqual(namespaces)
        const ours: Record<string, unknown> = {}
        for (const a of graph.apps) ours[`${a.output[0]}.${a.output[1]}`] = (namespaces as Namespaces)[a.output[0]]?.[a.output[1]]
        for (const peer of peers) {
          peer.run(v)
          expect(peer.values()).toEqual(ours)
        }
      }
    })
  }

  it('keeps the core within its size budget (minified + brotli, without dependencies)', async () => {
    // a regression guard at the measured size plus a little headroom. Segments, schemas, graph
    // analysis, recipes and JSON Patch are values or functions the application imports, so an
    // engine that does not use them carries none of their code
    const { limitBytes } = await sizeBudget(root)
    expect(limitBytes).toBeLessThanOrEqual(16_900)
    const bytes = await coreSize(root)
    expect(bytes).toBeGreaterThan(1_000)
    expect(bytes, `core is ${bytes} B, budget ${limitBytes} B`).toBeLessThanOrEqual(limitBytes)
  }, 60_000)
})
