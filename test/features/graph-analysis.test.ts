import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SessionEngine, defineApp, describeGraph } from '../../src/index'
import { stronglyConnected } from '../../src/features/graph-analysis'
import { commerceApps, consentBannerApp, consentDefaultApp } from '../support/commerce'
import { fcParams } from '../support/fc'

const banner = consentBannerApp
const consent = consentDefaultApp

describe('describeGraph', () => {
  it('the commerce graph has no cycle; cookie.authToken is an input only the host can write', () => {
    const graph = describeGraph({ apps: commerceApps })
    expect(graph.cycles).toEqual([])
    expect(graph.orphanInputs).toEqual(['cookie.authToken'])
    expect(graph.apps.map((a) => a.name)).toEqual(['store', 'authentication', 'profile', 'checkout', 'campaigns'])
    expect(graph.apps[0]).toEqual({ name: 'store', inputs: ['public.country'], outputs: ['store.channel', 'store.currencyCode'], runOnCreate: true })
    expect(graph.params).toContain('checkout.regionId')
    // made client-writable, it is no longer an orphan
    expect(describeGraph({ apps: commerceApps, writableNamespaces: ['public', 'cookie'] }).orphanInputs).toEqual([])
  })

  it('finds the cycle of two apps feeding each other, and only that', () => {
    expect(describeGraph({ apps: [...commerceApps, banner, consent] }).cycles).toEqual([{ params: ['public.bannerShown', 'public.consent'], apps: ['consent-banner', 'consent-default'] }])
  })

  it('an app monitoring a param it writes is a cycle on its own', () => {
    const counter = defineApp({ name: 'counter', input: { a: ['n'] }, output: { a: ['n'] }, transform: () => undefined })
    expect(describeGraph({ apps: [counter] }).cycles).toEqual([{ params: ['a.n'], apps: ['counter'] }])
  })

  it('toMermaid draws apps, params by namespace, edges, and highlights the cycle', () => {
    const mermaid = describeGraph({ apps: [...commerceApps, banner, consent] }).toMermaid()
    expect(mermaid.startsWith('flowchart LR\n')).toBe(true)
    expect(mermaid).toContain('subgraph ns0["public"]')
    expect(mermaid).toContain('a0(["store (on create)"])')
    expect(mermaid).toMatch(/p\d+\["bannerShown"\]/)
    expect(mermaid).toContain('classDef cycle')
    const cycleClass = mermaid.split('\n').find((l) => l.trim().startsWith('class ') && l.trim().endsWith(' cycle'))!
    expect(cycleClass.trim().split(' ')[1]!.split(',').sort()).toEqual(['a5', 'a6', mermaidId(mermaid, 'bannerShown'), mermaidId(mermaid, 'consent')].sort())
    // the two cycle edges of each app are styled
    expect(mermaid).toMatch(/linkStyle \d+,\d+,\d+,\d+ stroke:#d33/)
    expect(mermaid).toContain(`class ${mermaidId(mermaid, 'authToken')} orphan`) // cookie.authToken
  })

  it('an acyclic graph has no cycle styling; labels are escaped', () => {
    const quoted = defineApp({ name: 'say "hi"', input: { a: ['x'] }, output: { b: ['y'] }, transform: () => undefined })
    const graph = describeGraph({ apps: [quoted] })
    expect(graph.toMermaid()).not.toContain('cycle')
    expect(graph.toMermaid()).toContain('a0(["say #quot;hi#quot;"])')
    expect(graph.toDot()).toContain('label="say \\"hi\\""')
  })

  it('toDot is a digraph with clusters per namespace and red cycle nodes and edges', () => {
    const dot = describeGraph({ apps: [banner, consent] }).toDot()
    expect(dot.startsWith('digraph sessionflow {')).toBe(true)
    expect(dot).toContain('subgraph cluster_0')
    expect(dot.match(/color="#dd3333" penwidth=2\]/g)).toHaveLength(4) // 4 edges in the cycle
    expect(dot).toContain('a0 [label="consent-banner" shape=box style="rounded,filled" fillcolor="#eeeeff" color="#dd3333"')
    expect(dot.trim().endsWith('}')).toBe(true)
  })

  it('an empty engine has an empty graph', () => {
    const graph = describeGraph({})
    expect(graph).toMatchObject({ apps: [], params: [], cycles: [], orphanInputs: [] })
    expect(graph.toMermaid()).toBe('flowchart LR\n')
  })
})

function mermaidId(mermaid: string, label: string): string {
  return new RegExp(`(p\\d+)\\["${label}"\\]`).exec(mermaid)![1]!
}

describe('stronglyConnected (iterative Tarjan)', () => {
  it('agrees with mutual reachability on random graphs', () => {
    const graphArb = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }),
    )
    fc.assert(
      fc.property(graphArb, (next) => {
        const component = stronglyConnected(next)
        const reach = next.map((_, s) => {
          const seen = new Set([s])
          const todo = [s]
          while (todo.length > 0) for (const w of next[todo.pop()!]!) if (!seen.has(w)) (seen.add(w), todo.push(w))
          return seen
        })
        for (let a = 0; a < next.length; a++) {
          for (let b = 0; b < next.length; b++) {
            expect(component[a] === component[b]).toBe(reach[a]!.has(b) && reach[b]!.has(a))
          }
        }
      }),
      fcParams(200),
    )
  })

  it('handles a 100,000-node chain closing into one cycle without overflowing the stack', () => {
    const n = 100_000
    const next = Array.from({ length: n }, (_, i) => [(i + 1) % n])
    const component = stronglyConnected(next)
    expect(new Set(component).size).toBe(1)
  })
})

describe('describeGraph: warnings', () => {
  const noop = () => undefined

  it('the commerce graph warns only about cookie.authToken, which only the host sets', () => {
    const { warnings } = describeGraph({ apps: commerceApps })
    expect(warnings).toEqual([
      {
        kind: 'orphan-input',
        param: 'cookie.authToken',
        apps: ['authentication'],
        message: 'cookie.authToken is monitored by authentication but no app writes it and clients may not write it (a typo?)',
      },
    ])
    expect(describeGraph({ apps: commerceApps, writableNamespaces: ['public', 'cookie'] }).warnings).toEqual([])
  })

  it('a param written by two apps names both and the later one in apps order as the winner', () => {
    const a = defineApp({ name: 'a', input: { public: ['x'] }, output: { out: ['v', 'w'] }, transform: noop })
    const b = defineApp({ name: 'b', input: { public: ['x'] }, output: { out: ['v'] }, transform: noop })
    for (const [apps, winner] of [[[a, b], 'b'], [[b, a], 'a']] as const) {
      const warnings = describeGraph({ apps }).warnings
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatchObject({ kind: 'shared-output', param: 'out.v', apps: apps.map((x) => x.name), winner })
      expect(warnings[0]!.message).toContain(`${winner} (the last in apps order) wins`)
    }
  })

  it('the warned winner is the app whose value lands when both write in one wave', async () => {
    const a = defineApp({ name: 'a', input: { public: ['x'] }, output: { out: ['v'] }, transform: () => ({ out: { v: 'a' } }) })
    const b = defineApp({ name: 'b', input: { public: ['x'] }, output: { out: ['v'] }, transform: () => ({ out: { v: 'b' } }) })
    const engine = new SessionEngine({ apps: [b, a] })
    const { namespaces } = await engine.runCreate({ public: { x: 1 } })
    expect(namespaces.out!.v).toBe(describeGraph({ apps: [b, a] }).warnings[0]!.winner)
  })

  it('a misspelled monitored param (nothing writes it, clients cannot) is flagged with its app', () => {
    const writer = defineApp({ name: 'writer', input: { public: ['x'] }, output: { store: ['channel'] }, transform: noop })
    const typo = defineApp({ name: 'reader', input: { store: ['chanel'] }, output: { out: ['y'] }, transform: noop })
    const warnings = describeGraph({ apps: [writer, typo] }).warnings
    expect(warnings).toEqual([expect.objectContaining({ kind: 'orphan-input', param: 'store.chanel', apps: ['reader'] })])
  })

  it('an app that monitors nothing and does not run on create never runs', () => {
    const idle = defineApp({ name: 'idle', output: { out: ['y'] }, transform: noop })
    const onCreate = defineApp({ name: 'boot', runOnCreate: true, output: { out: ['z'] }, transform: noop })
    const warnings = describeGraph({ apps: [idle, onCreate] }).warnings
    expect(warnings).toEqual([{ kind: 'never-runs', apps: ['idle'], message: 'app idle monitors no param and does not run on create: it never runs' }])
  })

  it('every warning names existing apps and params (random graphs)', () => {
    const names = ['a', 'b', 'c']
    const decl = fc.dictionary(fc.constantFrom('n', 'm'), fc.uniqueArray(fc.constantFrom(...names)), { maxKeys: 2 })
    const appArb = fc.record({ input: decl, output: decl, runOnCreate: fc.boolean() })
    fc.assert(
      fc.property(fc.array(appArb, { maxLength: 5 }), (configs) => {
        const apps = configs.map((c, i) => defineApp({ name: `app${i}`, ...c, transform: noop }))
        const graph = describeGraph({ apps })
        const writers = new Map<string, string[]>()
        for (const app of graph.apps) for (const p of app.outputs) writers.set(p, [...(writers.get(p) ?? []), app.name])
        const shared = graph.warnings.filter((w) => w.kind === 'shared-output')
        expect(shared.map((w) => w.param)).toEqual([...writers].filter(([, list]) => list.length > 1).map(([p]) => p).sort())
        for (const w of shared) expect(w.winner).toBe(writers.get(w.param!)!.at(-1))
        expect(graph.warnings.filter((w) => w.kind === 'orphan-input').map((w) => w.param)).toEqual(graph.orphanInputs)
        const idle = graph.apps.filter((a) => a.inputs.length === 0 && !a.runOnCreate).map((a) => a.name)
        expect(graph.warnings.filter((w) => w.kind === 'never-runs').map((w) => w.apps[0])).toEqual(idle)
      }),
      fcParams(200),
    )
  })
})

describe('describeGraph with pattern inputs', () => {
  const login = defineApp({ name: 'login', input: { public: ['user'] }, output: { cookie: ['auth_acme'] }, transform: () => undefined })
  const auth = defineApp({ name: 'auth', input: { cookie: ['auth_*'] }, output: { profile: ['email'] }, transform: () => undefined })
  const relogin = defineApp({ name: 'relogin', input: { profile: ['email'] }, output: { public: ['user'] }, transform: () => undefined })

  it('a pattern is a node fed by the params it matches; cycles through it are found', () => {
    const graph = describeGraph({ apps: [login, auth, relogin] })
    expect(graph.apps[1]!.inputs).toEqual(['cookie.auth_*'])
    expect(graph.params).toEqual(['cookie.auth_*', 'cookie.auth_acme', 'profile.email', 'public.user'])
    expect(graph.cycles).toEqual([{ params: ['cookie.auth_*', 'cookie.auth_acme', 'profile.email', 'public.user'], apps: ['login', 'auth', 'relogin'] }])
    expect(graph.orphanInputs).toEqual([])
  })

  it('without a writer of a matching param, the pattern is an orphan input and there is no cycle', () => {
    const graph = describeGraph({ apps: [auth, relogin] })
    expect(graph.cycles).toEqual([])
    expect(graph.orphanInputs).toEqual(['cookie.auth_*'])
    // a param of another namespace, or one not starting with the prefix, does not feed it
    const other = defineApp({ name: 'other', input: {}, output: { cookie: ['session'], public: ['auth_x'] }, transform: () => undefined })
    expect(describeGraph({ apps: [auth, other] }).orphanInputs).toEqual(['cookie.auth_*'])
  })

  it('draws the match dotted (Mermaid) and dashed (DOT), in red inside a cycle', () => {
    const acyclic = describeGraph({ apps: [login, auth] })
    const mermaid = acyclic.toMermaid()
    expect(mermaid).toContain(`${mermaidId(mermaid, 'auth_acme')} -.-> ${mermaidId(mermaid, 'auth_\\*')}`)
    expect(acyclic.toDot()).toMatch(/p\d+ -> p\d+ \[style=dashed\];/)
    const cyclic = describeGraph({ apps: [login, auth, relogin] })
    expect(cyclic.toDot()).toMatch(/p\d+ -> p\d+ \[color="#dd3333" penwidth=2 style=dashed\];/)
    expect(cyclic.toMermaid()).toContain('linkStyle 0,1,2,3,4,5,6 stroke:#d33') // all 7 edges, the match too
  })
})
