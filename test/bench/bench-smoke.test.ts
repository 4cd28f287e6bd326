/**
 * Benchmarks are not timed tests: this only checks that the benchmark code runs at a tiny size,
 * that every implementation computes the same values (and our snapshot and patch agree), and
 * that the core stays within its size budget.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import jsonpatch from 'fast-json-patch'
import { describe, expect, it } from 'vitest'
import { MemoryStore, type Namespaces, SessionEngine, type SessionResult } from '../../src/index'
import { chainGraph, engineFor, mobxRunner, naiveRunner, scaleGraph, signalsRunner, wideGraph } from './graphs'
import { coreSize, sizeBudget } from './size'
import { storedSkeleton } from './stored-floor'
import { POSTAL_CODE, REALISTIC_PATCHES, SIGN_IN, SMOKE, baselineSpeedUp, realisticInitial, realisticPatcher, runSuite, storedMemory } from './suite'
import { commerceApps } from '../support/commerce'

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
    // both realistic patches, each with its floor and the ratio to it (checked to answer alike first)
    const stored = rows.filter((r) => r.section === 'stored').map((r) => r.name)
    const signIn = stored.findIndex((name) => name.startsWith('sign-in patch (cookie.authToken'))
    expect(stored.filter((name) => name.startsWith('sign-in patch'))).toHaveLength(1)
    expect(stored.slice(signIn + 1, signIn + 3)).toEqual(['  the same sign-in hand-written with only what the contract needs (floor)', '  engine / floor, side by side'])
    expect(stored.filter((name) => name === '  engine / floor, side by side')).toHaveLength(2)
  })

  it('times what each realistic patch names: every call changes its session, in 1 wave (postal code) or 3 apps in 3 waves (sign-in)', async () => {
    const library = { SessionEngine, MemoryStore }
    for (const [patch, waves] of [
      [POSTAL_CODE, [['checkout']]],
      [SIGN_IN, [['authentication'], ['profile'], ['campaigns']]],
    ] as const) {
      const send = await realisticPatcher(library, patch)
      // twice round the 200 sessions and one more: each call writes a value its session never had
      for (let i = 0; i < 401; i++) {
        const { patch: ops, report } = (await send()) as SessionResult
        expect(report.waves.map((w) => w.apps.map((a) => a.app))).toEqual(waves)
        expect(report.waves.every((w) => w.apps.every((a) => a.status === 'ok'))).toBe(true)
        expect(ops.length).toBeGreaterThanOrEqual(patch === SIGN_IN ? 4 : 1)
      }
    }
  })

  it("the floor keeps each session's exact JSON size, as maxSessionBytes needs, through both patches", async () => {
    const engine = new SessionEngine({ apps: commerceApps, store: new MemoryStore() })
    const skeleton = storedSkeleton(commerceApps)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const { session } = await engine.create(realisticInitial(i))
      skeleton.adopt(session)
      ids.push(session.id)
    }
    const bytes = (namespaces: Namespaces) => new TextEncoder().encode(JSON.stringify(namespaces)).length
    for (let n = 0; n < 12; n++) {
      const id = ids[n % ids.length]!
      // a sign-in with a longer, non-ASCII name grows the session; the postal code changes its length
      const { session } = n % 2 === 0 ? await skeleton.signIn(id, `user:${n}:visitör${'x'.repeat(n)}@example.com`) : await skeleton.postalCode(id, `${10 ** (n % 6)}`)
      expect(skeleton.size(id)).toBe(bytes(session.namespaces))
    }
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
    const names = lines.map((l) => l.split('|')[2]!.trim())
    for (const { name } of REALISTIC_PATCHES) {
      for (const row of [`${name}, this build (dist/), set up first`, `${name}, this build (dist/), set up second`, `${name}: speed-up of this build, set up first, side by side`, `${name}: speed-up of this build, set up second, side by side`, `${name}: speed-up of this build, both orders (geometric mean)`]) {
        expect(names.filter((n) => n === row), row).toHaveLength(1)
      }
    }
    expect(lines.filter((l) => l.includes('speed-up of this build'))).toHaveLength(3 * REALISTIC_PATCHES.length)
    // and each patch's floor against the same build, both orders and their mean
    for (const { name } of REALISTIC_PATCHES) {
      for (const row of [`${name}, its floor (hand-written), set up first`, `${name}, its floor (hand-written), set up second`, `${name}: speed-up of its hand-written floor, set up first, side by side`, `${name}: speed-up of its hand-written floor, set up second, side by side`, `${name}: speed-up of its hand-written floor, both orders (geometric mean)`]) {
        expect(names.filter((n) => n === row), row).toHaveLength(1)
      }
    }
    expect(child.stdout).toContain('each part of the suite in a fresh process')
  }, 120_000)

  it('npm run bench -- --only <parts> prints a table of those parts alone', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/run.ts', '--smoke', '--quiet', '--only', 'stored'], { cwd: root, encoding: 'utf8', env: { ...process.env, BENCH_BASELINE: '' } })
    expect(child.status, child.stderr).toBe(0)
    const sections = child.stdout.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.split('|')[1]!.trim())
    expect(sections.filter((s) => s !== '')).toEqual(['stored'])
    expect(child.stdout).toContain('sign-in patch (cookie.authToken')
    const wrong = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/run.ts', '--smoke', '--quiet', '--only', 'stored,nope'], { cwd: root, encoding: 'utf8' })
    expect(wrong.status).not.toBe(0)
    expect(wrong.stderr).toContain('--only: no part nope')
  }, 60_000)

  it("combines each patch's two set-up orders of the baseline comparison by their geometric mean, only when both ran", () => {
    const row = (patch: string, order: string, value: number) => ({ section: 'stored', name: `  ${patch}: speed-up of this build, set up ${order}, side by side`, value, unit: 'x' })
    const [postal, signIn] = [POSTAL_CODE.name, SIGN_IN.name]
    // in the order the two parts print them: each part times both patches
    const means = baselineSpeedUp([row(postal, 'first', 2.5), row(signIn, 'first', 1.2), row(postal, 'second', 1.6), row(signIn, 'second', 3)])
    expect(means.map((m) => m.name)).toEqual([`  ${postal}: speed-up of this build, both orders (geometric mean)`, `  ${signIn}: speed-up of this build, both orders (geometric mean)`])
    expect(means[0]!.value).toBeCloseTo(Math.sqrt(2.5 * 1.6), 12)
    expect(means[0]!.ok).toBe(true)
    expect(means[1]!.value).toBeCloseTo(Math.sqrt(1.2 * 3), 12)
    expect(means[1]!.ok).toBe(false)
    expect(means.every((m) => m.target === '≥ 2')).toBe(true)
    expect(baselineSpeedUp([row(postal, 'first', 1.8), row(postal, 'second', 1.8)])[0]!.ok).toBe(false)
    // a patch timed in one order only gets no mean; the other patch still does
    expect(baselineSpeedUp([row(postal, 'first', 2.5)])).toEqual([])
    expect(baselineSpeedUp([row(postal, 'first', 2.5), row(signIn, 'first', 4), row(signIn, 'second', 1)]).map((m) => [m.name.includes(signIn), m.value])).toEqual([[true, 2]])
    // a floor's speed-up is combined on its own, and carries no target: the target is this build's
    const floorRow = (order: string, value: number) => ({ section: 'stored', name: `  ${signIn}: speed-up of its hand-written floor, set up ${order}, side by side`, value, unit: 'x' })
    const withFloor = baselineSpeedUp([row(signIn, 'first', 1.2), floorRow('first', 2), row(signIn, 'second', 3), floorRow('second', 8)])
    expect(withFloor.map((m) => [m.name, m.value, m.target])).toEqual([
      [`  ${signIn}: speed-up of this build, both orders (geometric mean)`, Math.sqrt(1.2 * 3), '≥ 2'],
      [`  ${signIn}: speed-up of its hand-written floor, both orders (geometric mean)`, 4, undefined],
    ])
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
