import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, SessionEngine, defineApp } from '../../src/index'
import { stronglyConnected } from '../../src/features/graph-analysis'
import { commerceApps, consentBannerApp, consentDefaultApp } from '../support/commerce'
import { fcParams } from '../support/fc'

const banner = consentBannerApp
const consent = consentDefaultApp

describe('engine.graph', () => {
  it('the commerce graph has no cycle; cookie.authToken is an input only the host can write', () => {
    const engine = new SessionEngine({ apps: commerceApps })
    expect(engine.graph.cycles).toEqual([])
    expect(engine.graph.orphanInputs).toEqual(['cookie.authToken'])
    expect(engine.graph.apps.map((a) => a.name)).toEqual(['store', 'authentication', 'profile', 'checkout', 'campaigns'])
    expect(engine.graph.apps[0]).toEqual({ name: 'store', inputs: ['public.country'], outputs: ['store.channel', 'store.currencyCode'], runOnCreate: true })
    expect(engine.graph.params).toContain('checkout.regionId')
    // made client-writable, it is no longer an orphan
    expect(new SessionEngine({ apps: commerceApps, writableNamespaces: ['public', 'cookie'] }).graph.orphanInputs).toEqual([])
  })

  it('finds the cycle of two apps feeding each other, and only that', () => {
    const engine = new SessionEngine({ apps: [...commerceApps, banner, consent] })
    expect(engine.graph.cycles).toEqual([{ params: ['public.bannerShown', 'public.consent'], apps: ['consent-banner', 'consent-default'] }])
  })

  it('an app monitoring a param it writes is a cycle on its own', () => {
    const counter = defineApp({ name: 'counter', input: { a: ['n'] }, output: { a: ['n'] }, transform: () => undefined })
    expect(new SessionEngine({ apps: [counter] }).graph.cycles).toEqual([{ params: ['a.n'], apps: ['counter'] }])
  })

  it("cycles: 'refuse' makes a cyclic graph a ConfigError naming apps and params", () => {
    expect(() => new SessionEngine({ apps: commerceApps, cycles: 'refuse' })).not.toThrow()
    const error = (() => {
      try {
        new SessionEngine({ apps: [banner, consent], cycles: 'refuse' })
      } catch (e) {
        return e
      }
    })() as ConfigError
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toContain('consent-banner')
    expect(error.message).toContain('public.bannerShown')
    expect(() => new SessionEngine({ cycles: 'nope' as never })).toThrow(ConfigError)
  })

  it('toMermaid draws apps, params by namespace, edges, and highlights the cycle', () => {
    const mermaid = new SessionEngine({ apps: [...commerceApps, banner, consent] }).graph.toMermaid()
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
    const graph = new SessionEngine({ apps: [quoted] }).graph
    expect(graph.toMermaid()).not.toContain('cycle')
    expect(graph.toMermaid()).toContain('a0(["say #quot;hi#quot;"])')
    expect(graph.toDot()).toContain('label="say \\"hi\\""')
  })

  it('toDot is a digraph with clusters per namespace and red cycle nodes and edges', () => {
    const dot = new SessionEngine({ apps: [banner, consent] }).graph.toDot()
    expect(dot.startsWith('digraph sessionflow {')).toBe(true)
    expect(dot).toContain('subgraph cluster_0')
    expect(dot.match(/color="#dd3333" penwidth=2\]/g)).toHaveLength(4) // 4 edges in the cycle
    expect(dot).toContain('a0 [label="consent-banner" shape=box style="rounded,filled" fillcolor="#eeeeff" color="#dd3333"')
    expect(dot.trim().endsWith('}')).toBe(true)
  })

  it('an empty engine has an empty graph', () => {
    const graph = new SessionEngine().graph
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

describe('engine.graph with pattern inputs', () => {
  const login = defineApp({ name: 'login', input: { public: ['user'] }, output: { cookie: ['auth_acme'] }, transform: () => undefined })
  const auth = defineApp({ name: 'auth', input: { cookie: ['auth_*'] }, output: { profile: ['email'] }, transform: () => undefined })
  const relogin = defineApp({ name: 'relogin', input: { profile: ['email'] }, output: { public: ['user'] }, transform: () => undefined })

  it('a pattern is a node fed by the params it matches; cycles through it are found', () => {
    const graph = new SessionEngine({ apps: [login, auth, relogin] }).graph
    expect(graph.apps[1]!.inputs).toEqual(['cookie.auth_*'])
    expect(graph.params).toEqual(['cookie.auth_*', 'cookie.auth_acme', 'profile.email', 'public.user'])
    expect(graph.cycles).toEqual([{ params: ['cookie.auth_*', 'cookie.auth_acme', 'profile.email', 'public.user'], apps: ['login', 'auth', 'relogin'] }])
    expect(graph.orphanInputs).toEqual([])
  })

  it('without a writer of a matching param, the pattern is an orphan input and there is no cycle', () => {
    const graph = new SessionEngine({ apps: [auth, relogin] }).graph
    expect(graph.cycles).toEqual([])
    expect(graph.orphanInputs).toEqual(['cookie.auth_*'])
    // a param of another namespace, or one not starting with the prefix, does not feed it
    const other = defineApp({ name: 'other', input: {}, output: { cookie: ['session'], public: ['auth_x'] }, transform: () => undefined })
    expect(new SessionEngine({ apps: [auth, other] }).graph.orphanInputs).toEqual(['cookie.auth_*'])
  })

  it('draws the match dotted (Mermaid) and dashed (DOT), in red inside a cycle', () => {
    const acyclic = new SessionEngine({ apps: [login, auth] }).graph
    const mermaid = acyclic.toMermaid()
    expect(mermaid).toContain(`${mermaidId(mermaid, 'auth_acme')} -.-> ${mermaidId(mermaid, 'auth_\\*')}`)
    expect(acyclic.toDot()).toMatch(/p\d+ -> p\d+ \[style=dashed\];/)
    const cyclic = new SessionEngine({ apps: [login, auth, relogin] }).graph
    expect(cyclic.toDot()).toMatch(/p\d+ -> p\d+ \[color="#dd3333" penwidth=2 style=dashed\];/)
    expect(cyclic.toMermaid()).toContain('linkStyle 0,1,2,3,4,5,6 stroke:#d33') // all 7 edges, the match too
  })
})
