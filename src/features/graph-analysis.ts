/**
 * Static analysis of the app graph, by `describeGraph`: which apps can trigger each
 * other round and round (strongly connected components), which monitored params nothing can
 * write, and drawings of the graph (Mermaid, Graphviz DOT) with the cycles highlighted.
 */
import { ConfigError } from '../model/errors'

/** Apps that can trigger each other round and round, and the params that carry it. */
export interface GraphCycle {
  /** Params in the cycle (`ns.key`), sorted. */
  readonly params: readonly string[]
  /** Apps in the cycle, in engine `apps` order. */
  readonly apps: readonly string[]
}

/** One app as the graph sees it. */
export interface GraphApp {
  readonly name: string
  /** Monitored params (`ns.key`, or a pattern `ns.prefix*`), in declaration order. */
  readonly inputs: readonly string[]
  /** Params it may write (`ns.key`), in declaration order. */
  readonly outputs: readonly string[]
  readonly runOnCreate: boolean
}

/** The analysed app graph, as `describeGraph(options)` returns it. */
export interface GraphInfo {
  /** The apps, in engine order. */
  readonly apps: readonly GraphApp[]
  /** Every param (or input pattern) some app monitors or writes, sorted. */
  readonly params: readonly string[]
  /**
   * Strongly connected components with more than one node over params and apps (param -> app that
   * monitors it -> param it writes). A cycle may end (apps converge) or loop (caught at runtime);
   * an app that monitors a param it writes forms a cycle on its own. A written param matching an
   * input pattern (`cookie.auth_x` for `cookie.auth_*`) feeds the pattern's apps.
   */
  readonly cycles: readonly GraphCycle[]
  /**
   * Monitored params that no app writes and clients may not write (outside `writableNamespaces`):
   * only the host can set them (`create(initial)`, `patch(..., { allow })`). Often a typo.
   */
  readonly orphanInputs: readonly string[]
  /**
   * Likely mistakes in the configuration, found from the declarations: params written by several apps,
   * monitored params only the host can set, apps that never run. `describeGraph(options, { strict: true })`
   * turns them into a `ConfigError`.
   */
  readonly warnings: readonly GraphWarning[]
  /** The graph as a Mermaid flowchart; params grouped by namespace, cycles drawn in red, pattern matches dotted. */
  toMermaid(): string
  /** The graph in Graphviz DOT; params clustered by namespace, cycles drawn in red, pattern matches dashed. */
  toDot(): string
}

/**
 * A likely mistake in the app graph (`describeGraph(options).warnings`):
 * - `'shared-output'`: several apps declare `param` as output; when two of them write it in the
 *   same wave, `winner` (the last of `apps` in engine order) lands.
 * - `'orphan-input'`: `apps` monitor `param`, but no app writes it and clients may not write it
 *   (its namespace is not in `writableNamespaces`): only host code can set it. Often a typo.
 * - `'never-runs'`: `apps[0]` monitors no param and does not run on create, so it never runs.
 */
export interface GraphWarning {
  readonly kind: 'shared-output' | 'orphan-input' | 'never-runs'
  /** The param concerned (`ns.key`); absent for `'never-runs'`. */
  readonly param?: string
  /** The apps concerned, in engine order. */
  readonly apps: readonly string[]
  /** `'shared-output'`: the app whose value wins when several write in one wave. */
  readonly winner?: string
  /** One line saying what is wrong, naming the apps and params. */
  readonly message: string
}

/** What the analysis needs of each app: its name and declarations, as the engine compiled them. */
export interface AnalysedApp {
  readonly name: string
  readonly inputs: ReadonlyArray<readonly [namespace: string, key: string]>
  readonly outputs: ReadonlyMap<string, ReadonlySet<string>>
  readonly runOnCreate: boolean
}

/** Analyses the app graph; `writable` are the client-writable namespaces. */
export function analyseGraph(graph: { readonly apps: readonly AnalysedApp[] }, writable: ReadonlySet<string>): GraphInfo {
  const paramIndex = new Map<string, number>()
  const params: string[] = []
  const node = (ns: string, key: string): number => {
    const param = `${ns}.${key}`
    let i = paramIndex.get(param)
    if (i === undefined) {
      paramIndex.set(param, (i = params.length))
      params.push(param)
    }
    return i
  }
  const apps: GraphApp[] = []
  const appInputs: number[][] = []
  const appOutputs: number[][] = []
  const written = new Set<number>()
  for (const app of graph.apps) {
    const inputs = app.inputs.map(([ns, key]) => node(ns, key))
    const outputs: number[] = []
    for (const [ns, keys] of app.outputs) for (const key of keys) outputs.push(node(ns, key))
    for (const p of outputs) written.add(p)
    appInputs.push(inputs)
    appOutputs.push(outputs)
    apps.push({ name: app.name, inputs: inputs.map((p) => params[p]!), outputs: outputs.map((p) => params[p]!), runOnCreate: app.runOnCreate })
  }
  // bipartite graph: nodes 0..P-1 are params, P..P+A-1 apps; linear in the declarations, plus an
  // edge from each param to each input pattern it matches
  const P = params.length
  const next: number[][] = params.map(() => [])
  const matches = patternEdges(params)
  for (const [p, q] of matches) next[p]!.push(q)
  appInputs.forEach((inputs, a) => inputs.forEach((p) => next[p]!.push(P + a)))
  appOutputs.forEach((outputs) => next.push(outputs))
  const component = stronglyConnected(next)
  const members = new Map<number, number[]>()
  component.forEach((c, n) => {
    let list = members.get(c)
    if (list === undefined) members.set(c, (list = []))
    list.push(n)
  })
  const cycles: GraphCycle[] = []
  const inCycle = new Set<number>()
  for (const list of members.values()) {
    if (list.length < 2) continue
    for (const n of list) inCycle.add(n)
    cycles.push({
      params: list.filter((n) => n < P).map((n) => params[n]!).sort(),
      apps: list.filter((n) => n >= P).sort((x, y) => x - y).map((n) => apps[n - P]!.name),
    })
  }
  cycles.sort((x, y) => (x.params[0]! < y.params[0]! ? -1 : 1))
  // a pattern is written when a param it matches is
  for (const [p, q] of matches) if (written.has(p)) written.add(q)
  const orphans = new Set<string>()
  for (const inputs of appInputs) {
    for (const p of inputs) {
      const param = params[p]!
      if (!written.has(p) && !writable.has(param.slice(0, param.indexOf('.')))) orphans.add(param)
    }
  }
  const warnings = graphWarnings(apps, params, appInputs, appOutputs, orphans)
  const sameCycle = (from: number, to: number) => inCycle.has(from) && component[from] === component[to]
  const drawing: Drawing = { params, apps, appInputs, appOutputs, matches, inCycle, sameCycle, orphans }
  return Object.freeze({
    apps: Object.freeze(apps),
    params: Object.freeze([...params].sort()),
    cycles: Object.freeze(cycles),
    orphanInputs: Object.freeze([...orphans].sort()),
    warnings: Object.freeze(warnings),
    toMermaid: () => mermaid(drawing),
    toDot: () => dot(drawing),
  })
}

/** `[param, pattern]` node pairs: each input pattern (`ns.prefix*`) and the other params of its namespace it matches. */
function patternEdges(params: readonly string[]): Array<[param: number, pattern: number]> {
  const edges: Array<[number, number]> = []
  params.forEach((pattern, q) => {
    if (!pattern.endsWith('*')) return
    const prefix = pattern.slice(0, -1)
    params.forEach((param, p) => {
      if (p !== q && param.startsWith(prefix) && !param.endsWith('*')) edges.push([p, q])
    })
  })
  return edges
}

/** Throws `ConfigError` naming the cycles (`describeGraph(options, { cycles: 'refuse' })`). */
export function refuseCycles(info: GraphInfo): void {
  if (info.cycles.length === 0) return
  const list = info.cycles.map((c) => `[apps ${c.apps.join(', ')}; params ${c.params.join(', ')}]`).join(' ')
  throw new ConfigError(`the app graph has ${info.cycles.length} cycle(s) and cycles: 'refuse' is set: ${list}`)
}

/** Throws `ConfigError` listing every warning (`describeGraph(options, { strict: true })`). */
export function refuseWarnings(info: GraphInfo): void {
  if (info.warnings.length === 0) return
  const list = info.warnings.map((w) => `- ${w.message}`).join('\n')
  throw new ConfigError(`the app graph has ${info.warnings.length} warning(s) and strict is set:\n${list}`)
}

function graphWarnings(
  apps: readonly GraphApp[],
  params: readonly string[],
  appInputs: readonly (readonly number[])[],
  appOutputs: readonly (readonly number[])[],
  orphans: ReadonlySet<string>,
): GraphWarning[] {
  const warnings: GraphWarning[] = []
  const writers = params.map((): string[] => [])
  const readers = params.map((): string[] => [])
  appOutputs.forEach((outputs, a) => outputs.forEach((p) => writers[p]!.push(apps[a]!.name)))
  appInputs.forEach((inputs, a) => inputs.forEach((p) => readers[p]!.push(apps[a]!.name)))
  const sorted = params.map((param, p) => [param, p] as const).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
  for (const [param, p] of sorted) {
    const list = writers[p]!
    if (list.length < 2) continue
    const winner = list[list.length - 1]!
    warnings.push({
      kind: 'shared-output',
      param,
      apps: list,
      winner,
      message: `${param} is an output of ${list.join(', ')}: when several write it in one wave, ${winner} (the last in apps order) wins`,
    })
  }
  for (const [param, p] of sorted) {
    if (!orphans.has(param)) continue
    const list = readers[p]!
    warnings.push({
      kind: 'orphan-input',
      param,
      apps: list,
      message: `${param} is monitored by ${list.join(', ')} but no app writes it and clients may not write it (a typo?)`,
    })
  }
  apps.forEach((app) => {
    if (app.inputs.length > 0 || app.runOnCreate) return
    warnings.push({ kind: 'never-runs', apps: [app.name], message: `app ${app.name} monitors no param and does not run on create: it never runs` })
  })
  return warnings
}

/**
 * Tarjan's strongly connected components, iterative (an explicit stack instead of recursion, so
 * graphs of any depth cannot overflow the call stack). Returns the component id of each node.
 */
export function stronglyConnected(next: readonly (readonly number[])[]): number[] {
  const n = next.length
  const index = new Array<number>(n).fill(-1)
  const low = new Array<number>(n).fill(0)
  const onStack = new Array<boolean>(n).fill(false)
  const component = new Array<number>(n).fill(-1)
  const stack: number[] = []
  const work: Array<[node: number, edge: number]> = []
  let counter = 0
  let components = 0
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue
    work.push([root, 0])
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const v = frame[0]
      if (frame[1] === 0 && index[v] === -1) {
        index[v] = low[v] = counter++
        stack.push(v)
        onStack[v] = true
      }
      const edges = next[v]!
      if (frame[1] < edges.length) {
        const w = edges[frame[1]++]!
        if (index[w] === -1) work.push([w, 0])
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!)
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1]![0]
        low[parent] = Math.min(low[parent]!, low[v]!)
      }
      if (low[v] === index[v]) {
        let w: number
        do {
          w = stack.pop()!
          onStack[w] = false
          component[w] = components
        } while (w !== v)
        components++
      }
    }
  }
  return component
}

interface Drawing {
  readonly params: readonly string[]
  readonly apps: readonly GraphApp[]
  readonly appInputs: readonly (readonly number[])[]
  readonly appOutputs: readonly (readonly number[])[]
  /** Param -> input pattern it matches. */
  readonly matches: ReadonlyArray<readonly [number, number]>
  readonly inCycle: ReadonlySet<number>
  readonly sameCycle: (from: number, to: number) => boolean
  readonly orphans: ReadonlySet<string>
}

/** Params grouped by namespace, namespaces in first-seen order. */
function byNamespace(params: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>()
  params.forEach((param, p) => {
    const ns = param.slice(0, param.indexOf('.'))
    let list = groups.get(ns)
    if (list === undefined) groups.set(ns, (list = []))
    list.push(p)
  })
  return groups
}

/** Every edge to draw; `match`: a param feeding an input pattern it matches (drawn dotted). */
function edges(d: Drawing): Array<[from: number, to: number, match: boolean]> {
  const P = d.params.length
  const list: Array<[number, number, boolean]> = []
  d.appInputs.forEach((inputs, a) => inputs.forEach((p) => list.push([p, P + a, false])))
  d.appOutputs.forEach((outputs, a) => outputs.forEach((p) => list.push([P + a, p, false])))
  for (const [p, q] of d.matches) list.push([p, q, true])
  return list
}

function mermaidLabel(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`
}

function mermaid(d: Drawing): string {
  const P = d.params.length
  const id = (n: number) => (n < P ? `p${n}` : `a${n - P}`)
  const lines = ['flowchart LR']
  let g = 0
  for (const [ns, list] of byNamespace(d.params)) {
    lines.push(`  subgraph ns${g++}[${mermaidLabel(ns)}]`)
    for (const p of list) lines.push(`    ${id(p)}[${mermaidLabel(d.params[p]!.slice(ns.length + 1))}]`)
    lines.push('  end')
  }
  d.apps.forEach((app, a) => lines.push(`  ${id(P + a)}([${mermaidLabel(app.runOnCreate ? `${app.name} (on create)` : app.name)}])`))
  const all = edges(d)
  const hot: number[] = []
  all.forEach(([from, to, match], i) => {
    lines.push(`  ${id(from)} ${match ? '-.->' : '-->'} ${id(to)}`)
    if (d.sameCycle(from, to)) hot.push(i)
  })
  if (d.apps.length > 0) {
    lines.push('  classDef app fill:#eef,stroke:#557')
    lines.push(`  class ${d.apps.map((_, a) => id(P + a)).join(',')} app`)
  }
  if (d.inCycle.size > 0) {
    lines.push('  classDef cycle stroke:#d33,stroke-width:2px,color:#b00')
    lines.push(`  class ${[...d.inCycle].sort((x, y) => x - y).map(id).join(',')} cycle`)
    lines.push(`  linkStyle ${hot.join(',')} stroke:#d33,stroke-width:2px`)
  }
  const orphans = d.params.flatMap((param, p) => (d.orphans.has(param) ? [id(p)] : []))
  if (orphans.length > 0) {
    lines.push('  classDef orphan stroke-dasharray:4 3')
    lines.push(`  class ${orphans.join(',')} orphan`)
  }
  return lines.join('\n') + '\n'
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function dot(d: Drawing): string {
  const P = d.params.length
  const red = (n: number) => (d.inCycle.has(n) ? ' color="#dd3333" fontcolor="#bb0000" penwidth=2' : '')
  const lines = ['digraph sessionflow {', '  rankdir=LR;', '  node [fontname="Helvetica" fontsize=11];']
  let g = 0
  for (const [ns, list] of byNamespace(d.params)) {
    lines.push(`  subgraph cluster_${g++} {`, `    label=${dotString(ns)}; style=rounded; color="#999999";`)
    for (const p of list) {
      const dashed = d.orphans.has(d.params[p]!) ? ' style=dashed' : ''
      lines.push(`    p${p} [label=${dotString(d.params[p]!.slice(ns.length + 1))} shape=ellipse${dashed}${red(p)}];`)
    }
    lines.push('  }')
  }
  d.apps.forEach((app, a) => {
    const label = app.runOnCreate ? `${app.name} (on create)` : app.name
    lines.push(`  a${a} [label=${dotString(label)} shape=box style="rounded,filled" fillcolor="#eeeeff"${red(P + a)}];`)
  })
  for (const [from, to, match] of edges(d)) {
    const style = match ? ' style=dashed' : ''
    const attrs = d.sameCycle(from, to) ? ` [color="#dd3333" penwidth=2${style}]` : match ? ` [${style.trim()}]` : ''
    lines.push(`  ${from < P ? `p${from}` : `a${from - P}`} -> ${to < P ? `p${to}` : `a${to - P}`}${attrs};`)
  }
  lines.push('}')
  return lines.join('\n') + '\n'
}
