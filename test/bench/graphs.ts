/**
 * The dependency graphs of the benchmark, each written four ways: as sessionflow apps, as
 * @preact/signals-core computeds with one effect, as MobX computeds with one reaction, and as the
 * naive fixpoint loop users write without an engine (run every app each pass, `structuredClone`
 * the session, compare). All four produce the same final values, which `check*` functions assert.
 */
import { computed as pComputed, effect as pEffect, signal as pSignal } from '@preact/signals-core'
import { computed as mComputed, observable, reaction, runInAction } from 'mobx'
import { type App, type AppConfig, type JsonValue, MemoryStore, type Namespaces, SessionEngine, defineApp } from '../../src/index'

/** A graph as plain functions, shared by the four implementations. */
export interface PlainApp {
  readonly name: string
  readonly input: readonly (readonly [ns: string, key: string])[]
  readonly output: readonly [ns: string, key: string]
  /** The app's logic as a JavaScript expression over its inputs `v0`, `v1`, ... (numbers). */
  readonly expr: string
  /** The same logic as a function, for checks. */
  readonly fn: (values: readonly number[]) => number
}

/**
 * Compiles one function per app from source, the way hand-written apps look: literal property
 * names and a literal output shape, so every implementation runs monomorphic code of its own
 * (a loop-generated closure with computed keys would measure V8's slow paths, not the engine).
 */
function compile<F>(params: readonly string[], body: string): F {
  return new Function(...params, body) as F
}

/** A graph: its apps, the param the benchmark writes, and the engine limits it needs. */
export interface Graph {
  readonly apps: readonly PlainApp[]
  readonly source: readonly [ns: string, key: string]
  /** Params present in the session besides the apps' inputs and outputs. */
  readonly filler: Namespaces
}

/** One wave of `n` sync apps, all monitoring `in.x`; app i writes `out.k<i> = x + i`. */
export function wideGraph(n: number): Graph {
  const apps: PlainApp[] = []
  for (let i = 0; i < n; i++) {
    apps.push({ name: `w${i}`, input: [['in', 'x']], output: ['out', `k${i}`], expr: `v0 + ${i}`, fn: (v) => v[0]! + i })
  }
  return { apps, source: ['in', 'x'], filler: {} }
}

/** A chain of `n` apps, one wave each: app i monitors `chain.p<i>` and writes `chain.p<i+1> = p<i> + 1`. */
export function chainGraph(n: number): Graph {
  const apps: PlainApp[] = []
  for (let i = 0; i < n; i++) {
    apps.push({ name: `c${i}`, input: [['chain', `p${i}`]], output: ['chain', `p${i + 1}`], expr: 'v0 + 1', fn: (v) => v[0]! + 1 })
  }
  return { apps, source: ['chain', 'p0'], filler: {} }
}

/**
 * `apps` apps over `params` params, in namespaces of 100 params (`s<j>`): each app monitors one
 * param and writes another of its namespace; the rest is filler. A patch of `s0.in0` triggers
 * exactly one app. `extraNamespace` adds an untouched namespace of that many params.
 */
export function scaleGraph(apps: number, params: number, extraNamespace = 0): Graph {
  const list: PlainApp[] = []
  const perNs = 100
  const filler: Record<string, Record<string, JsonValue>> = {}
  for (let p = 0; p < params; p++) {
    const ns = `s${Math.floor(p / perNs)}`
    ;(filler[ns] ??= {})[`f${p % perNs}`] = p
  }
  for (let i = 0; i < apps; i++) {
    // two params per app (one input, one output) replace two filler params of its namespace
    const ns = `s${Math.floor((i * 2) / perNs)}`
    const j = i % (perNs / 2)
    delete filler[ns]![`f${2 * j}`]
    delete filler[ns]![`f${2 * j + 1}`]
    filler[ns]![`in${j}`] = 0
    filler[ns]![`out${j}`] = 0
    list.push({ name: `a${i}`, input: [[ns, `in${j}`]], output: [ns, `out${j}`], expr: 'v0 * 2', fn: (v) => v[0]! * 2 })
  }
  if (extraNamespace > 0) {
    const big: Record<string, JsonValue> = {}
    for (let p = 0; p < extraNamespace; p++) big[`b${p}`] = `value ${p}`
    filler.big = big
  }
  return { apps: list, source: ['s0', 'in0'], filler }
}

/** The sessionflow apps of a graph. */
export function engineApps(graph: Graph): App[] {
  return graph.apps.map((a) => {
    const input: Record<string, string[]> = {}
    for (const [ns, key] of a.input) (input[ns] ??= []).push(key)
    const [ons, okey] = a.output
    return defineApp({
      name: a.name,
      input,
      output: { [ons]: [okey] },
      // e.g. (input) => { const v0 = input.in.x ?? 0; return { out: { k7: v0 + 7 } } }
      transform: compile<AppConfig['transform']>(
        ['input'],
        `${a.input.map(([ns, key], i) => `const v${i} = input.${ns}.${key} ?? 0;`).join(' ')} return { ${ons}: { ${okey}: ${a.expr} } }`,
      ),
    }) as App
  })
}

/** A `SessionEngine` for a graph, with limits raised so the big graphs fit. */
export function engineFor(graph: Graph): SessionEngine {
  return new SessionEngine({
    apps: engineApps(graph),
    maxWaves: graph.apps.length + 10,
    limits: { maxSessionBytes: 1e9, maxNamespaces: 10_000, maxKeysPerNamespace: 200_000 },
  })
}

/**
 * A runner over one graph: `run(v)` sets the source param to `v`, runs to the fixpoint and
 * returns the final value of every app output (for equality checks across implementations).
 */
export interface Runner {
  run(v: number): unknown
  values(): Record<string, number>
}

/** sessionflow through the pure API; `prepare` runs once to get a checked, trusted base. */
export async function engineRunner(graph: Graph): Promise<Runner & { run(v: number): Promise<unknown> }> {
  const engine = engineFor(graph)
  const [sns, skey] = graph.source
  const { namespaces: base } = await engine.runTransform(graph.filler, { [sns]: { [skey]: -1 } })
  let last: Namespaces = base
  return {
    run: async (v) => {
      const result = await engine.runTransform(base, { [sns]: { [skey]: v } })
      last = result.namespaces
      return result
    },
    values: () => outputsOf(graph, (ns, key) => last[ns]?.[key] as number),
  }
}

function outputsOf(graph: Graph, read: (ns: string, key: string) => number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const a of graph.apps) out[`${a.output[0]}.${a.output[1]}`] = read(a.output[0], a.output[1])
  return out
}

/** @preact/signals-core: one signal per param read, one computed per app, one effect reading every output. */
export function signalsRunner(graph: Graph): Runner {
  const signals = new Map<string, { value: number }>()
  const param = (ns: string, key: string) => {
    const name = `${ns}.${key}`
    let s = signals.get(name)
    if (s === undefined) {
      s = pSignal(0)
      signals.set(name, s)
    }
    return s
  }
  const outs: Array<{ readonly value: number }> = []
  for (const a of graph.apps) {
    const inputs = a.input.map(([ns, key]) => param(ns, key))
    const c = pComputed(compile<(...s: unknown[]) => () => number>(inputs.map((_, i) => `s${i}`), `return () => { ${inputs.map((_, i) => `const v${i} = s${i}.value;`).join(' ')} return ${a.expr} }`)(...inputs))
    signals.set(`${a.output[0]}.${a.output[1]}`, c as { value: number })
    outs.push(c)
  }
  let sum = 0
  pEffect(() => {
    let s = 0
    for (const c of outs) s += c.value
    sum = s
  })
  const source = param(...graph.source)
  return {
    run: (v) => {
      source.value = v
      return sum
    },
    values: () => outputsOf(graph, (ns, key) => signals.get(`${ns}.${key}`)!.value),
  }
}

/** MobX: one observable box per source param, one computed per app, one reaction over every output. */
export function mobxRunner(graph: Graph): Runner {
  const boxes = new Map<string, { get(): number }>()
  const sources = new Map<string, ReturnType<typeof observable.box<number>>>()
  const param = (ns: string, key: string) => {
    const name = `${ns}.${key}`
    let b = boxes.get(name)
    if (b === undefined) {
      const box = observable.box(0)
      sources.set(name, box)
      boxes.set(name, (b = box))
    }
    return b
  }
  const outs: Array<{ get(): number }> = []
  for (const a of graph.apps) {
    const inputs = a.input.map(([ns, key]) => param(ns, key))
    const c = mComputed(compile<(...b: unknown[]) => () => number>(inputs.map((_, i) => `b${i}`), `return () => { ${inputs.map((_, i) => `const v${i} = b${i}.get();`).join(' ')} return ${a.expr} }`)(...inputs))
    boxes.set(`${a.output[0]}.${a.output[1]}`, c)
    outs.push(c)
  }
  let sum = 0
  reaction(
    () => {
      let s = 0
      for (const c of outs) s += c.get()
      return s
    },
    (s) => {
      sum = s
    },
    { fireImmediately: true },
  )
  const source = param(...graph.source) as ReturnType<typeof observable.box<number>>
  return {
    run: (v) => {
      runInAction(() => source.set(v))
      return sum
    },
    values: () => outputsOf(graph, (ns, key) => boxes.get(`${ns}.${key}`)!.get()),
  }
}

type Session = Record<string, Record<string, JsonValue>>

/**
 * The loop users write without an engine: each pass clones the session once, runs every app on
 * the session (in declaration order, writing as it goes), and stops when a pass changed nothing.
 */
export function naiveRunner(graph: Graph): Runner {
  let session: Session = structuredClone(graph.filler) as Session
  ;(session[graph.source[0]] ??= {})[graph.source[1]] = -1
  const [sns, skey] = graph.source
  // e.g. (s) => { const v0 = s.in?.x ?? 0; (s.out ??= {}).k7 = v0 + 7 }
  const apps = graph.apps.map((a) =>
    compile<(s: Session) => void>(
      ['s'],
      `${a.input.map(([ns, key], i) => `const v${i} = s.${ns}?.${key} ?? 0;`).join(' ')} (s.${a.output[0]} ??= {}).${a.output[1]} = ${a.expr}`,
    ),
  )
  const run = (v: number) => {
    const next = session // mutated in place, as such loops usually do
    ;(next[sns] ??= {})[skey] = v
    for (let pass = 0; pass < 10_000; pass++) {
      const before = structuredClone(next)
      for (const app of apps) app(next)
      if (deepEqual(before, next)) break
    }
    session = next
    return session
  }
  return { run, values: () => outputsOf(graph, (ns, key) => session[ns]?.[key] as number) }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (!deepEqual((a as Session)[k], (b as Session)[k])) return false
  return true
}

/**
 * sessionflow through the stored API: one session in a {@link MemoryStore}, created with the
 * graph's filler; `run(v)` is a `patch` of the source param (load, cycle, save).
 */
export async function storedRunner(graph: Graph): Promise<Runner & { run(v: number): Promise<unknown> }> {
  const store = new MemoryStore()
  const engine = new SessionEngine({
    apps: engineApps(graph),
    store,
    maxWaves: graph.apps.length + 10,
    limits: { maxSessionBytes: 1e9, maxNamespaces: 10_000, maxKeysPerNamespace: 200_000 },
  })
  const [sns, skey] = graph.source
  const { session } = await engine.create({ ...graph.filler, [sns]: { ...graph.filler[sns], [skey]: -1 } })
  const id = session.id
  let last: Namespaces = session.namespaces
  return {
    run: async (v) => {
      const result = await engine.patch(id, { [sns]: { [skey]: v } }, { allow: [sns] })
      last = result.session.namespaces
      return result
    },
    values: () => outputsOf(graph, (ns, key) => last[ns]?.[key] as number),
  }
}
