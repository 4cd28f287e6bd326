/**
 * Property tests of the core engine on small random app graphs (DAG or cyclic) over a few params
 * with bounded value domains and deterministic transforms. The main oracle is a naive reference
 * model of the SPEC's cycle semantics, written for clarity, not speed.
 */
import fc from 'fast-check'
import jsonpatch from 'fast-json-patch'
import { describe, expect, it } from 'vitest'
import { SessionEngine, SessionflowError, TransformLoopError, defineApp, jsonPatch, recipe } from '../../src/index'
import type { App, Changes, CycleReport, JsonValue, Namespaces, NamespacesDraft } from '../../src/index'
import { fcParams } from '../support/fc'
import { SpyStore, isDeepFrozen, plain, snapshot } from '../support/helpers'

// ---------------------------------------------------------------------------------------------
// the random graph model

/** The params apps may monitor and write; two keys need RFC 6901 escaping. */
const PARAMS: ReadonlyArray<readonly [string, string]> = [
  ['p', 'a'],
  ['p', 'b'],
  ['p', 'c'],
  ['q', 'x/y'],
  ['q', '~k'],
]
const MAX_WAVES = 25

type Mode = 'ok' | 'undeclaredKey' | 'undeclaredNs' | 'throwsSometimes'

interface AppSpec {
  inputs: number[]
  outputs: number[]
  runOnCreate: boolean
  async: boolean
  critical: boolean
  seed: number
  mode: Mode
}

/** A state: one value (0..2) or absent (undefined) per param of PARAMS. */
type State = Array<number | undefined>

const valueArb = fc.constantFrom<number | undefined>(0, 1, 2, undefined)
const stateArb: fc.Arbitrary<State> = fc.array(valueArb, { minLength: PARAMS.length, maxLength: PARAMS.length })
/** Caller changes: per param, no change (null) or a value / deletion. */
const changesArb = fc.array(fc.option(valueArb, { nil: null }), { minLength: PARAMS.length, maxLength: PARAMS.length })
const indexes = PARAMS.map((_, i) => i)

const appSpecArb = (allowCritical: boolean): fc.Arbitrary<AppSpec> =>
  fc.record({
    inputs: fc.subarray(indexes, { minLength: 1 }),
    outputs: fc.subarray(indexes),
    runOnCreate: fc.boolean(),
    async: fc.boolean(),
    critical: allowCritical ? fc.integer({ min: 0, max: 4 }).map((n) => n === 0) : fc.constant(false),
    seed: fc.nat(),
    mode: fc.constantFrom<Mode>('ok', 'ok', 'ok', 'undeclaredKey', 'undeclaredNs', 'throwsSometimes'),
  })
const graphArb = (allowCritical = false) => fc.array(appSpecArb(allowCritical), { minLength: 1, maxLength: 4 })

function hash(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return h >>> 0
}

function declaration(params: number[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const i of params) (out[PARAMS[i]![0]] ??= []).push(PARAMS[i]![1])
  return out
}

/**
 * The transform of a spec, as a pure function of its input. Returns the output object, or
 * throws. Values: 0..2, `undefined` (delete) or no write, chosen by a hash of seed and input.
 */
function compute(spec: AppSpec, input: Record<string, Record<string, JsonValue>>): Record<string, Record<string, unknown>> | undefined {
  const sig = JSON.stringify(spec.inputs.map((i) => input[PARAMS[i]![0]]?.[PARAMS[i]![1]] ?? null))
  if (spec.mode === 'throwsSometimes' && hash(`${spec.seed}!${sig}`) % 3 === 0) throw new Error(`app failed on ${sig}`)
  const out: Record<string, Record<string, unknown>> = {}
  spec.outputs.forEach((o, j) => {
    const r = hash(`${spec.seed}/${j}/${sig}`) % 5
    if (r === 4) return
    const [ns, key] = PARAMS[o]!
    ;(out[ns] ??= {})[key] = r === 3 ? undefined : r
  })
  if (spec.mode === 'undeclaredKey') (out.p ??= {}).zz = 1
  if (spec.mode === 'undeclaredNs') out.zz = { k: 1 }
  return Object.keys(out).length === 0 && hash(sig) % 2 === 0 ? undefined : out
}

type Hooks = {
  /** Called with every input a transform receives (before it computes). */
  onInput?: (input: unknown) => void
  /** Wraps async results (e.g. in `scheduler.schedule`). */
  schedule?: <T>(value: T, label: string) => Promise<T>
}

function buildApps(specs: AppSpec[], hooks: Hooks = {}): App[] {
  return specs.map((spec, i) =>
    defineApp({
      name: `app${i}`,
      input: declaration(spec.inputs),
      output: declaration(spec.outputs),
      runOnCreate: spec.runOnCreate,
      critical: spec.critical,
      transform: ((input: Record<string, Record<string, JsonValue>>) => {
        hooks.onInput?.(input)
        if (!spec.async) return compute(spec, input)
        const schedule = hooks.schedule ?? (<T>(v: T) => Promise.resolve(v))
        return schedule(null, `app${i}`).then(() => compute(spec, input))
      }) as never,
    }),
  )
}

// ---------------------------------------------------------------------------------------------
// the reference model: the SPEC's cycle, naively

type RefOutcome =
  | { ok: true; state: State; waves: string[][] }
  | { ok: false; reason: 'repeat' | 'maxWaves'; waves: number }
  | { ok: false; reason: 'critical'; app: string }

const keyOf = (ns: string, key: string) => PARAMS.findIndex(([n, k]) => n === ns && k === key)

function inputFor(spec: AppSpec, state: State, empty: boolean): Record<string, Record<string, JsonValue>> {
  const input: Record<string, Record<string, JsonValue>> = {}
  for (const i of spec.inputs) {
    const [ns, key] = PARAMS[i]!
    input[ns] ??= {}
    if (!empty && state[i] !== undefined) input[ns]![key] = state[i]!
  }
  return input
}

/** Writes of one app run per the SPEC, or `undefined` when its output is dropped. */
function refWrites(spec: AppSpec, input: Record<string, Record<string, JsonValue>>): Array<[number, number | undefined]> | undefined {
  let out: Record<string, Record<string, unknown>> | undefined
  try {
    out = compute(spec, input)
  } catch {
    return undefined
  }
  if (out === undefined) return []
  const declared = declaration(spec.outputs)
  const writes: Array<[number, number | undefined]> = []
  for (const [ns, params] of Object.entries(out)) {
    if (declared[ns] === undefined) return undefined // undeclared namespace: whole output dropped
    for (const [key, value] of Object.entries(params)) {
      if (!declared[ns]!.includes(key)) continue // undeclared key: that write dropped
      writes.push([keyOf(ns, key), value as number | undefined])
    }
  }
  return writes
}

function reference(specs: AppSpec[], base: State, changes: Array<number | undefined | null>, create: boolean): RefOutcome {
  let state = [...base]
  let pending = new Set<number>()
  changes.forEach((v, i) => {
    if (v !== null && state[i] !== v) {
      state[i] = v
      pending.add(i)
    }
  })
  const waves: string[][] = []
  const runWave = (apps: number[], empty: boolean): RefOutcome | undefined => {
    const next = [...state]
    const outputs = apps.map((a) => refWrites(specs[a]!, inputFor(specs[a]!, state, empty)))
    const failed = apps.find((a, j) => outputs[j] === undefined && specs[a]!.critical)
    if (failed !== undefined) return { ok: false, reason: 'critical', app: `app${failed}` }
    for (const writes of outputs) for (const [i, v] of writes ?? []) next[i] = v
    const changed = new Set(indexes.filter((i) => next[i] !== state[i]))
    waves.push(apps.map((a) => `app${a}`))
    state = next
    return changed as never
  }
  const onCreate = specs.flatMap((s, a) => (s.runOnCreate ? [a] : []))
  if (create && onCreate.length > 0) {
    const r = runWave(onCreate, true)
    if (!(r instanceof Set)) return r!
    for (const i of r) pending.add(i)
  }
  const seen = new Set<string>()
  let counted = 0
  for (;;) {
    const monitored = [...pending].filter((i) => specs.some((s) => s.inputs.includes(i))).sort()
    if (monitored.length === 0) return { ok: true, state, waves }
    const key = JSON.stringify([state.map((v) => v ?? null), monitored])
    if (seen.has(key)) return { ok: false, reason: 'repeat', waves: counted }
    if (counted >= MAX_WAVES) return { ok: false, reason: 'maxWaves', waves: counted }
    seen.add(key)
    const apps = specs.flatMap((s, a) => (s.inputs.some((i) => monitored.includes(i)) ? [a] : []))
    const r = runWave(apps, false)
    if (!(r instanceof Set)) return r!
    counted++
    pending = r
  }
}

function toNamespaces(state: State): Namespaces {
  const out: Record<string, Record<string, JsonValue>> = {}
  state.forEach((v, i) => {
    if (v !== undefined) (out[PARAMS[i]![0]] ??= {})[PARAMS[i]![1]] = v
  })
  return out
}

function toChanges(changes: Array<number | undefined | null>): Changes {
  const out: Record<string, Record<string, JsonValue | undefined>> = {}
  changes.forEach((v, i) => {
    if (v !== null) (out[PARAMS[i]![0]] ??= {})[PARAMS[i]![1]] = v
  })
  return out
}

/** Runs the engine and describes the outcome in the reference model's terms. */
async function engineOutcome(run: Promise<{ namespaces: Namespaces; report: CycleReport }>): Promise<unknown> {
  try {
    const { namespaces, report } = await run
    return { ok: true, namespaces, waves: report.waves.map((w) => w.apps.map((a) => a.app)) }
  } catch (error) {
    if (error instanceof TransformLoopError) return { ok: false, reason: error.reason, waves: error.waves }
    if (error instanceof SessionflowError && error.code === 'TRANSFORM_FAILED') {
      return { ok: false, reason: 'critical', app: (error as unknown as { app: string }).app }
    }
    throw error
  }
}

function expected(ref: RefOutcome): unknown {
  return ref.ok ? { ok: true, namespaces: toNamespaces(ref.state), waves: ref.waves } : ref
}

// ---------------------------------------------------------------------------------------------

describe('properties on random app graphs', () => {
  it('every cycle ends or raises TransformLoopError, exactly as the reference model says', async () => {
    await fc.assert(
      fc.asyncProperty(graphArb(true), stateArb, changesArb, fc.boolean(), async (specs, base, changes, create) => {
        const engine = new SessionEngine({ apps: buildApps(specs), maxWaves: MAX_WAVES })
        const run = create ? engine.runCreate(toChanges(changes)) : engine.runTransform(toNamespaces(base), toChanges(changes))
        const ref = reference(specs, create ? PARAMS.map(() => undefined) : base, changes, create)
        expect(await engineOutcome(run)).toEqual(expected(ref))
      }),
      fcParams(300),
    )
  })

  it('the result does not depend on the order in which async transforms settle', async () => {
    await fc.assert(
      fc.asyncProperty(
        graphArb(),
        stateArb,
        changesArb,
        fc.scheduler(),
        async (graph, base, changes, s) => {
          const specs = graph.map((spec) => ({ ...spec, async: true }))
          const engine = new SessionEngine({
            apps: buildApps(specs, { schedule: (v, label) => s.schedule(Promise.resolve(v), label) }),
            maxWaves: MAX_WAVES,
          })
          const outcome = await s.waitFor(engineOutcome(engine.runTransform(toNamespaces(base), toChanges(changes))))
          // the reference is order-free by construction; the sync engine is a second witness
          const sync = new SessionEngine({ apps: buildApps(graph.map((spec) => ({ ...spec, async: false }))), maxWaves: MAX_WAVES })
          expect(outcome).toEqual(expected(reference(specs, base, changes, false)))
          expect(outcome).toEqual(await engineOutcome(sync.runTransform(toNamespaces(base), toChanges(changes))))
        },
      ),
      fcParams(100),
    )
  })

  it('the returned patch applied to the old namespaces gives the new ones', async () => {
    await fc.assert(
      fc.asyncProperty(graphArb(), stateArb, changesArb, async (specs, base, changes) => {
        const engine = new SessionEngine({ apps: buildApps(specs), maxWaves: MAX_WAVES })
        const before = toNamespaces(base)
        let result
        try {
          result = await engine.runTransform(before, toChanges(changes))
        } catch (error) {
          if (error instanceof TransformLoopError) return
          throw error
        }
        const applied = jsonpatch.applyPatch(plain(before), jsonpatch.deepClone(result.patch), true).newDocument
        expect(applied).toEqual(plain(result.namespaces))
        // and the report's changed list is exactly the params that differ
        const differ = indexes.filter((i) => {
          const [ns, key] = PARAMS[i]!
          return before[ns]?.[key] !== result.namespaces[ns]?.[key]
        })
        expect([...result.report.changed].sort()).toEqual(differ.map((i) => PARAMS[i]!.join('.')).sort())
      }),
      fcParams(200),
    )
  })

  it('no undeclared write lands', async () => {
    await fc.assert(
      fc.asyncProperty(graphArb(), stateArb, changesArb, async (specs, base, changes) => {
        const engine = new SessionEngine({ apps: buildApps(specs), maxWaves: MAX_WAVES })
        const start = toNamespaces(base)
        const afterChanges = await new SessionEngine().runTransform(start, toChanges(changes))
        let result
        try {
          result = await engine.runTransform(start, toChanges(changes))
        } catch (error) {
          if (error instanceof TransformLoopError) return
          throw error
        }
        const declared = new Set(specs.flatMap((s) => s.outputs.map((o) => PARAMS[o]!.join('.'))))
        const namespaces = new Set([...Object.keys(afterChanges.namespaces), ...specs.flatMap((s) => s.outputs.map((o) => PARAMS[o]![0]))])
        for (const ns of Object.keys(result.namespaces)) expect(namespaces.has(ns)).toBe(true)
        for (const [ns, params] of Object.entries(result.namespaces)) {
          for (const [key, value] of Object.entries(params)) {
            if (afterChanges.namespaces[ns]?.[key] !== value) expect(declared.has(`${ns}.${key}`)).toBe(true)
          }
        }
        for (const [ns, params] of Object.entries(afterChanges.namespaces)) {
          for (const key of Object.keys(params)) {
            if (!(key in (result.namespaces[ns] ?? {}))) expect(declared.has(`${ns}.${key}`)).toBe(true)
          }
        }
      }),
      fcParams(200),
    )
  })

  it('inputs and older sessions never change', async () => {
    await fc.assert(
      fc.asyncProperty(graphArb(), fc.array(changesArb, { minLength: 1, maxLength: 5 }), async (specs, steps) => {
        const inputs: Array<[unknown, unknown]> = []
        const engine = new SessionEngine({
          apps: buildApps(specs, { onInput: (input) => inputs.push([input, snapshot(input)]) }),
          maxWaves: MAX_WAVES,
          writableNamespaces: ['p', 'q'],
        })
        const sessions: Array<[unknown, unknown]> = []
        let id: string
        try {
          const { session } = await engine.create()
          sessions.push([session, snapshot(session)])
          id = session.id
        } catch (error) {
          if (error instanceof TransformLoopError) return
          throw error
        }
        for (const changes of steps) {
          try {
            const { session } = await engine.patch(id, toChanges(changes))
            sessions.push([session, snapshot(session)])
          } catch (error) {
            if (!(error instanceof TransformLoopError)) throw error
          }
        }
        for (const [value, copy] of [...inputs, ...sessions]) {
          expect(isDeepFrozen(value)).toBe(true)
          expect(value).toEqual(copy)
        }
      }),
      fcParams(100),
    )
  })

  it('a failed call leaves the store unchanged', async () => {
    const badChange = fc.constantFrom<Changes>(
      { cookie: { token: 'forged' } },
      { p: { a: Number.NaN } },
      { p: { a: [undefined] as never } },
      { 'p.x': { a: 1 } },
    )
    const call = fc.oneof(
      changesArb.map((c) => ({ kind: 'patch' as const, changes: toChanges(c) })),
      badChange.map((changes) => ({ kind: 'patch' as const, changes })),
      changesArb.map((c) => ({ kind: 'recipe' as const, changes: toChanges(c) })),
      changesArb.map((c) => ({ kind: 'jsonPatch' as const, changes: toChanges(c) })),
      badChange.map((changes) => ({ kind: 'jsonPatch' as const, changes })),
    )
    const escape = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1')
    // add for a value, remove for undefined (which fails when the param is absent: RFC 6902)
    const opsOf = (changes: Changes) =>
      Object.entries(changes).flatMap(([ns, params]) =>
        Object.entries(params).map(([key, value]) =>
          value === undefined
            ? { op: 'remove', path: `/${escape(ns)}/${escape(key)}` }
            : { op: 'add', path: `/${escape(ns)}/${escape(key)}`, value },
        ),
      )
    await fc.assert(
      fc.asyncProperty(graphArb(true), fc.array(call, { minLength: 1, maxLength: 6 }), async (specs, calls) => {
        const store = new SpyStore()
        const engine = new SessionEngine({ apps: buildApps(specs), store, maxWaves: MAX_WAVES, writableNamespaces: ['p', 'q'] })
        let id: string
        try {
          id = (await engine.create()).session.id
        } catch (error) {
          expect(error).toBeInstanceOf(SessionflowError)
          expect(store.inner.size).toBe(0)
          return
        }
        for (const { kind, changes } of calls) {
          const before = store.inner.get(id)!
          const mutate = (draft: NamespacesDraft) => {
            for (const [ns, params] of Object.entries(changes)) {
              for (const [key, value] of Object.entries(params)) {
                if (value === undefined) delete draft[ns]![key]
                else draft[ns]![key] = value
              }
            }
          }
          const run =
            kind === 'patch'
              ? engine.patch(id, changes)
              : kind === 'jsonPatch'
                ? engine.patch(id, jsonPatch(opsOf(changes)))
                : engine.patch(id, recipe(mutate))
          try {
            const { session, patch } = await run
            const stored = store.inner.get(id)!
            expect(stored).toBe(session)
            expect(jsonpatch.applyPatch(plain(before.namespaces), jsonpatch.deepClone(patch), true).newDocument).toEqual(
              plain(session.namespaces),
            )
            expect(stored.version === before.version ? stored === before : stored.version === before.version + 1).toBe(true)
          } catch (error) {
            expect(error).toBeInstanceOf(SessionflowError)
            expect(store.inner.get(id)).toBe(before)
          }
        }
      }),
      fcParams(100),
    )
  })

  it('concurrent patches from random writers lose nothing', async () => {
    const writerArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant('inc' as const)), { minLength: 1, maxLength: 5 })
    await fc.assert(
      fc.asyncProperty(fc.array(writerArb, { minLength: 1, maxLength: 4 }), fc.scheduler(), async (writers, s) => {
        const total = defineApp({
          name: 'total',
          input: { w: ['w0', 'w1', 'w2', 'w3', 'n'] },
          output: { d: ['total'] },
          transform: async (input) => {
            await s.schedule(Promise.resolve(), 'total')
            return { d: { total: Object.values(input.w).reduce<number>((a, b) => a + Number(b), 0) } }
          },
        })
        const engine = new SessionEngine({ apps: [total], writableNamespaces: ['w'] })
        const { session } = await s.waitFor(engine.create({ w: { n: 0 } }))
        // interleave the writers' calls in a random-but-fixed order, all started before any settles
        const calls: Array<Promise<unknown>> = []
        const last: Record<string, number> = {}
        let increments = 0
        const queues = writers.map((ops, i) => ops.map((op) => [i, op] as const))
        while (queues.some((q) => q.length > 0)) {
          for (const q of queues) {
            const next = q.shift()
            if (next === undefined) continue
            const [i, op] = next
            if (op === 'inc') {
              increments++
              calls.push(engine.patch(session.id, recipe((d) => void (d.w!.n = Number(d.w!.n) + 1))))
            } else {
              last[`w${i}`] = op
              calls.push(engine.patch(session.id, { w: { [`w${i}`]: op } }))
            }
          }
        }
        await s.waitFor(Promise.all(calls))
        const final = (await engine.get(session.id))!
        expect(final.namespaces.w).toEqual({ ...last, n: increments })
        expect(final.namespaces.d).toEqual({ total: Object.values(final.namespaces.w!).reduce<number>((a, b) => a + Number(b), 0) })
        expect(final.version).toBeGreaterThanOrEqual(1 + increments)
        expect(final.version).toBeLessThanOrEqual(1 + calls.length)
      }),
      fcParams(50),
    )
  })
})
