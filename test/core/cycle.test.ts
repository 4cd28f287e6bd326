import { describe, expect, it } from 'vitest'
import { ManualClock, SessionEngine, defineApp } from '../../src/index'
import type { JsonValue } from '../../src/index'
import { appsPerWave, deferred, isDeepFrozen } from '../support/helpers'

describe('seed scenario: X -> A -> Y -> (B, C); B -> Z -> C', () => {
  function seedApps(seen: Array<{ wave: number; input: unknown }>) {
    return [
      defineApp({
        name: 'A',
        input: { p: ['x'] },
        output: { p: ['y'] },
        transform: (input) => ({ p: { y: `y(${String(input.p.x)})` } }),
      }),
      defineApp({
        name: 'B',
        input: { p: ['y'] },
        output: { p: ['z'] },
        transform: (input) => ({ p: { z: `z(${String(input.p.y)})` } }),
      }),
      defineApp({
        name: 'C',
        input: { p: ['y', 'z'] },
        output: { out: ['c'] },
        transform: (input, ctx) => {
          seen.push({ wave: ctx.wave, input })
          return { out: { c: `${String(input.p.y)}|${String(input.p.z ?? '-')}` } }
        },
      }),
    ]
  }

  it('runs C in two consecutive waves; its first run cannot see Z', async () => {
    const seen: Array<{ wave: number; input: unknown }> = []
    const engine = new SessionEngine({ apps: seedApps(seen), writableNamespaces: ['p'] })
    const { session } = await engine.create()
    const { session: after, report } = await engine.patch(session.id, { p: { x: 1 } })
    expect(appsPerWave(report)).toEqual([['A'], ['B', 'C'], ['C']])
    expect(report.waves.map((w) => w.trigger)).toEqual([['p.x'], ['p.y'], ['p.z']])
    expect(seen).toEqual([
      { wave: 2, input: { p: { y: 'y(1)' } } },
      { wave: 3, input: { p: { y: 'y(1)', z: 'z(y(1))' } } },
    ])
    expect(after.namespaces).toEqual({ p: { x: 1, y: 'y(1)', z: 'z(y(1))' }, out: { c: 'y(1)|z(y(1))' } })
    expect(after.version).toBe(2)
    expect(report.trigger).toEqual(['p.x'])
    expect([...report.changed].sort()).toEqual(['out.c', 'p.x', 'p.y', 'p.z'])
  })

  it('re-runs the whole chain when X changes again', async () => {
    const seen: Array<{ wave: number; input: unknown }> = []
    const engine = new SessionEngine({ apps: seedApps(seen), writableNamespaces: ['p'] })
    const { session } = await engine.create({ p: { x: 1 } })
    seen.length = 0
    const { session: after, report } = await engine.patch(session.id, { p: { x: 2 } })
    expect(appsPerWave(report)).toEqual([['A'], ['B', 'C'], ['C']])
    expect(seen[0]!.input).toEqual({ p: { y: 'y(2)', z: 'z(y(1))' } }) // the old z: B has not run yet
    expect(after.namespaces.out).toEqual({ c: 'y(2)|z(y(2))' })
  })

  it('gives the same result through the pure API', async () => {
    const engine = new SessionEngine({ apps: seedApps([]) })
    const { namespaces, report } = await engine.runTransform({}, { p: { x: 1 } })
    expect(appsPerWave(report)).toEqual([['A'], ['B', 'C'], ['C']])
    expect(namespaces).toEqual({ p: { x: 1, y: 'y(1)', z: 'z(y(1))' }, out: { c: 'y(1)|z(y(1))' } })
  })
})

describe('create wave', () => {
  it('gives runOnCreate apps an empty input (declared namespaces present, no params)', async () => {
    const inputs: unknown[] = []
    const app = defineApp({
      name: 'onCreate',
      runOnCreate: true,
      input: { public: ['country'], cookie: ['token'] },
      output: { store: ['seen'] },
      transform: (input, ctx) => {
        inputs.push({ input, wave: ctx.wave })
        return { store: { seen: Object.keys(input.public).length } }
      },
    })
    const engine = new SessionEngine({ apps: [app] })
    const { session, report } = await engine.create({ public: { country: 'FR' } })
    // wave 1 (create): empty input even though public.country is set; wave 2: triggered by the initial param
    expect(inputs).toEqual([
      { input: { public: {}, cookie: {} }, wave: 1 },
      { input: { public: { country: 'FR' }, cookie: {} }, wave: 2 },
    ])
    expect(report.waves.map((w) => [w.kind, w.trigger])).toEqual([
      ['create', []],
      ['changes', ['public.country']],
    ])
    expect(session.namespaces.store).toEqual({ seen: 1 })
  })

  it('triggers the next wave with the initial params plus what the create wave changed', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({ name: 'init', runOnCreate: true, output: { s: ['a'] }, transform: () => ({ s: { a: 1 } }) }),
        defineApp({
          name: 'fromCreate',
          input: { s: ['a'] },
          output: { d: ['fromA'] },
          transform: (i) => ({ d: { fromA: i.s.a ?? null } }),
        }),
        defineApp({
          name: 'fromInitial',
          input: { public: ['q'] },
          output: { d: ['fromQ'] },
          transform: (i) => ({ d: { fromQ: i.public.q ?? null } }),
        }),
      ],
    })
    const { session, report } = await engine.create({ public: { q: 'hi' } })
    expect(appsPerWave(report)).toEqual([['init'], ['fromCreate', 'fromInitial']])
    expect(report.waves[1]!.trigger).toEqual(['public.q', 's.a'])
    expect(session.namespaces.d).toEqual({ fromA: 1, fromQ: 'hi' })
  })

  it('with no runOnCreate app, the initial params trigger wave 1', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'echo',
          input: { public: ['q'] },
          output: { d: ['q'] },
          transform: (i, ctx) => ({ d: { q: `${String(i.public.q)}@${ctx.wave}` } }),
        }),
      ],
    })
    const { session, report } = await engine.create({ public: { q: 'x' } })
    expect(report.waves.map((w) => [w.wave, w.kind, w.trigger])).toEqual([[1, 'changes', ['public.q']]])
    expect(session.namespaces.d).toEqual({ q: 'x@1' })
  })

  it('runs no wave for an empty create without runOnCreate apps', async () => {
    const engine = new SessionEngine({
      apps: [defineApp({ name: 'a', input: { public: ['q'] }, output: { d: ['q'] }, transform: () => ({ d: { q: 1 } }) })],
    })
    const { session, report, patch } = await engine.create()
    expect(report.waves).toEqual([])
    expect(session.namespaces).toEqual({})
    expect(patch).toEqual([])
  })

  it('lists a param in the next trigger once even when both the initial params and the create wave changed it', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({ name: 'store', runOnCreate: true, output: { store: ['channel'] }, transform: () => ({ store: { channel: 'web' } }) }),
        defineApp({
          name: 'watch',
          input: { store: ['channel'] },
          output: { d: ['channel'] },
          transform: (i) => ({ d: { channel: i.store.channel ?? null } }),
        }),
      ],
    })
    const { session, report } = await engine.create({ store: { channel: 'app' } })
    expect(report.waves.map((w) => w.trigger)).toEqual([[], ['store.channel']])
    expect(session.namespaces).toEqual({ store: { channel: 'web' }, d: { channel: 'web' } })
  })
})

describe('waves', () => {
  it('starts the async transforms of one wave together (all start before any finishes)', async () => {
    const events: string[] = []
    const gates = [deferred(), deferred(), deferred()]
    const apps = ['a1', 'a2', 'a3'].map((name, i) =>
      defineApp({
        name,
        input: { public: ['go'] },
        output: { out: [name] },
        transform: async () => {
          events.push(`start ${name}`)
          await gates[i]!.promise
          events.push(`finish ${name}`)
          return { out: { [name]: i } }
        },
      }),
    )
    const engine = new SessionEngine({ apps })
    const running = engine.runTransform({}, { public: { go: true } })
    // let the wave start; no transform can finish before the test opens its gate
    await new Promise((r) => setTimeout(r, 0))
    expect(events).toEqual(['start a1', 'start a2', 'start a3'])
    gates[2]!.resolve()
    gates[0]!.resolve()
    gates[1]!.resolve()
    const { namespaces } = await running
    expect(events.slice(3).sort()).toEqual(['finish a1', 'finish a2', 'finish a3'])
    expect(namespaces.out).toEqual({ a1: 0, a2: 1, a3: 2 })
  })

  it('reads a snapshot taken at the start of the wave (no app sees a same-wave write)', async () => {
    const seen: Record<string, unknown> = {}
    const apps = [
      defineApp({
        name: 'writer',
        input: { public: ['go'] },
        output: { p: ['v'] },
        transform: () => ({ p: { v: 'new' } }),
      }),
      defineApp({
        name: 'asyncWriter',
        input: { public: ['go'] },
        output: { p: ['w'] },
        transform: async () => ({ p: { w: 'new' } }),
      }),
      defineApp({
        name: 'reader',
        input: { public: ['go'], p: ['v', 'w'] },
        output: {},
        transform: async (input, ctx) => {
          await Promise.resolve()
          await Promise.resolve()
          seen[`wave${ctx.wave}`] = input.p
          return undefined
        },
      }),
    ]
    const engine = new SessionEngine({ apps })
    const { report } = await engine.runTransform({ p: { v: 'old', w: 'old' } }, { public: { go: 1 } })
    expect(seen.wave1).toEqual({ v: 'old', w: 'old' })
    expect(seen.wave2).toEqual({ v: 'new', w: 'new' })
    expect(appsPerWave(report)).toEqual([['writer', 'asyncWriter', 'reader'], ['reader']])
  })

  it('gives every declared input param (not only the changed ones) and never an undeclared one', async () => {
    let seen: unknown
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'reader',
          input: { public: ['a', 'b', 'missing'], store: ['x'] },
          transform: (input) => {
            seen = input
          },
        }),
      ],
    })
    await engine.runTransform({ public: { a: 1, b: 2, hidden: 3 }, store: { x: 'x', y: 'y' }, other: { z: 1 } }, { public: { a: 5 } })
    expect(seen).toEqual({ public: { a: 5, b: 2 }, store: { x: 'x' } })
    expect(isDeepFrozen(seen)).toBe(true)
  })

  it('gives a declared input namespace even when it lists no keys (create wave and later waves)', async () => {
    const seen: unknown[] = []
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'empty-ns',
          runOnCreate: true,
          input: { public: ['go'], store: [] },
          transform: (input) => void seen.push(input),
        }),
      ],
    })
    await engine.create({ public: { go: 1 }, store: { x: 1 } })
    expect(seen).toEqual([
      { public: {}, store: {} },
      { public: { go: 1 }, store: {} },
    ])
  })

  it('runs an app once per wave even when several of its inputs changed', async () => {
    let runs = 0
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'both',
          input: { public: ['a', 'b'] },
          transform: () => {
            runs++
          },
        }),
      ],
    })
    const { report } = await engine.runTransform({}, { public: { a: 1, b: 2 } })
    expect(runs).toBe(1)
    expect(report.waves[0]!.trigger).toEqual(['public.a', 'public.b'])
  })

  it('does not run apps whose inputs did not change; non-monitored changes trigger nothing', async () => {
    let runs = 0
    const engine = new SessionEngine({
      apps: [defineApp({ name: 'a', input: { public: ['a'] }, transform: () => void runs++ })],
    })
    const { report, namespaces } = await engine.runTransform({}, { public: { other: 1 } })
    expect(runs).toBe(0)
    expect(report.waves).toEqual([])
    expect(namespaces).toEqual({ public: { other: 1 } })
  })

  it('merges same-wave writes of one param in apps order: the later app wins, and the conflict is reported', async () => {
    const make = (name: string, value: JsonValue, delay: number) =>
      defineApp({
        name,
        input: { public: ['go'] },
        output: { p: ['v'] },
        transform: async () => {
          for (let i = 0; i < delay; i++) await Promise.resolve()
          return { p: { v: value } }
        },
      })
    // 'late' settles first, 'early' last: settle order must not matter
    const engine = new SessionEngine({ apps: [make('early', 'E', 10), make('middle', 'M', 5), make('late', 'L', 0)] })
    const { namespaces, report } = await engine.runTransform({}, { public: { go: 1 } })
    expect(namespaces.p).toEqual({ v: 'L' })
    expect(report.waves[0]!.conflicts).toEqual([{ param: 'p.v', apps: ['early', 'middle', 'late'], winner: 'late' }])
    expect(report.waves[0]!.changed).toEqual(['p.v'])
  })

  it('a later app deleting a param wins over an earlier app writing it', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({ name: 'set', input: { public: ['go'] }, output: { p: ['v'] }, transform: () => ({ p: { v: 1 } }) }),
        defineApp({ name: 'unset', input: { public: ['go'] }, output: { p: ['v'] }, transform: () => ({ p: { v: undefined } }) }),
      ],
    })
    const { namespaces, report } = await engine.runTransform({ p: { v: 0 } }, { public: { go: 1 } })
    expect(namespaces.p).toBeUndefined()
    expect(report.waves[0]!.conflicts).toEqual([{ param: 'p.v', apps: ['set', 'unset'], winner: 'unset' }])
  })

  it('does not report a conflict when two apps write the same value', async () => {
    const make = (name: string) =>
      defineApp({ name, input: { public: ['go'] }, output: { p: ['v'] }, transform: () => ({ p: { v: 1 } }) })
    const engine = new SessionEngine({ apps: [make('a'), make('b')] })
    const { report } = await engine.runTransform({}, { public: { go: 1 } })
    expect(report.waves[0]!.conflicts).toEqual([])
  })

  it('a later app writing the snapshot value back wins over an earlier change: nothing changes', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({ name: 'a', input: { public: ['go'] }, output: { p: ['v'] }, transform: () => ({ p: { v: 'changed' } }) }),
        defineApp({ name: 'b', input: { public: ['go'] }, output: { p: ['v'] }, transform: () => ({ p: { v: 'same' } }) }),
        defineApp({ name: 'watch', input: { p: ['v'] }, transform: () => undefined }),
      ],
    })
    const { namespaces, report } = await engine.runTransform({ p: { v: 'same' } }, { public: { go: 1 } })
    expect(namespaces.p).toEqual({ v: 'same' })
    expect(report.waves).toHaveLength(1) // p.v did not change, so 'watch' does not run
    expect(report.waves[0]!.changed).toEqual([])
    expect(report.waves[0]!.conflicts).toEqual([{ param: 'p.v', apps: ['a', 'b'], winner: 'b' }])
  })
})

describe('change detection and deletion', () => {
  const counter = () => {
    const runs = { n: 0 }
    const app = defineApp({
      name: 'watch',
      input: { public: ['v'] },
      output: { d: ['copy'] },
      transform: (i) => {
        runs.n++
        return { d: { copy: i.public.v ?? null } }
      },
    })
    return { runs, app }
  }

  it('treats writing an equal value (deep) as no change: no wave, no version bump, no expiry renewal', async () => {
    const clock = new ManualClock(1_000)
    const { runs, app } = counter()
    const engine = new SessionEngine({ apps: [app], clock, ttlMs: 10_000 })
    const { session } = await engine.create({ public: { v: { list: [1, { a: 'b' }] } } })
    expect(runs.n).toBe(1)
    clock.advance(500)
    const { session: same, report, patch } = await engine.patch(session.id, { public: { v: { list: [1, { a: 'b' }] } } })
    expect(runs.n).toBe(1)
    expect(same).toBe(session)
    expect(same.version).toBe(1)
    expect(same.expiresAt).toBe(11_000)
    expect(patch).toEqual([])
    expect(report.waves).toEqual([])
    expect(report.changed).toEqual([])
  })

  it('does not re-trigger when an app writes the value the param already has', async () => {
    const { runs, app } = counter()
    const engine = new SessionEngine({ apps: [app] })
    const { report } = await engine.runTransform({ public: { v: 1 }, d: { copy: 0 } }, { public: { v: 2 } })
    const { report: again } = await engine.runTransform({ public: { v: 2 }, d: { copy: 2 } }, { public: { v: 2 } })
    expect(runs.n).toBe(1)
    expect(report.waves[0]!.changed).toEqual(['d.copy'])
    expect(again.waves).toEqual([])
  })

  it('deletes a param set to undefined (by the caller or by an app); emptied namespaces vanish', async () => {
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'cleaner',
          input: { public: ['logout'] },
          output: { auth: ['user', 'email'] },
          transform: (i) => (i.public.logout === true ? { auth: { user: undefined, email: undefined } } : undefined),
        }),
      ],
    })
    const { session } = await engine.create({ auth: { user: 'u', email: 'e' }, public: { keep: 1, gone: 2 } })
    const r1 = await engine.patch(session.id, { public: { gone: undefined } })
    expect(r1.session.namespaces).toEqual({ auth: { user: 'u', email: 'e' }, public: { keep: 1 } })
    expect(r1.patch).toEqual([{ op: 'remove', path: '/public/gone' }])
    const r2 = await engine.patch(session.id, { public: { logout: true } })
    expect(r2.session.namespaces).toEqual({ public: { keep: 1, logout: true } })
    expect('auth' in r2.session.namespaces).toBe(false)
    const r3 = await engine.patch(session.id, { public: { keep: undefined, logout: undefined } })
    expect(r3.session.namespaces).toEqual({})
    expect(r3.patch).toEqual([{ op: 'remove', path: '/public' }])
    expect(r3.session.version).toBe(4)
  })

  it('deleting an absent param is not a change', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({ public: { a: 1 } })
    const r = await engine.patch(session.id, { public: { nope: undefined } })
    expect(r.session).toBe(session)
    expect(r.report.changed).toEqual([])
  })

  it('stores -0 as 0 (as JSON would) and treats it as equal to 0', async () => {
    const engine = new SessionEngine({
      apps: [defineApp({ name: 'neg', input: { public: ['go'] }, output: { d: ['z', 'arr'] }, transform: () => ({ d: { z: -0, arr: [-0, { n: -0 }] } }) })],
    })
    const { session } = await engine.create({ public: { a: -0 } })
    expect(Object.is(session.namespaces.public!.a, 0)).toBe(true)
    const r = await engine.patch(session.id, { public: { go: 1 } })
    expect(Object.is(r.session.namespaces.d!.z, 0)).toBe(true)
    const arr = r.session.namespaces.d!.arr as [number, { n: number }]
    expect(Object.is(arr[0], 0)).toBe(true)
    expect(Object.is(arr[1].n, 0)).toBe(true)
    const same = await engine.patch(session.id, { public: { a: 0 } })
    expect(same.report.changed).toEqual([])
  })
})

describe('pattern inputs', () => {
  function authApp(seen: unknown[]) {
    return defineApp({
      name: 'auth',
      input: { cookie: ['VtexIdclientAutCookie_*'], public: ['country'] },
      output: { profile: ['accounts'] },
      transform: (input) => {
        seen.push(input)
        return { profile: { accounts: Object.keys(input.cookie).map((k) => k.slice('VtexIdclientAutCookie_'.length)).sort() } }
      },
    })
  }

  it('runs when any matching param changes, and receives every matching param that is set (and only those)', async () => {
    const seen: unknown[] = []
    const engine = new SessionEngine({ apps: [authApp(seen)] })
    const { session } = await engine.create({ cookie: { VtexIdclientAutCookie_acme: 't1', other: 'x' }, public: { country: 'BR' } })
    expect(seen).toEqual([{ cookie: { VtexIdclientAutCookie_acme: 't1' }, public: { country: 'BR' } }])
    expect(session.namespaces.profile).toEqual({ accounts: ['acme'] })
    expect(isDeepFrozen(seen[0])).toBe(true)

    const added = await engine.patch(session.id, { cookie: { VtexIdclientAutCookie_beta: 't2' } }, { allow: ['cookie'] })
    expect(appsPerWave(added.report)).toEqual([['auth']])
    expect(added.report.waves[0]!.trigger).toEqual(['cookie.VtexIdclientAutCookie_beta'])
    expect(seen[1]).toEqual({ cookie: { VtexIdclientAutCookie_acme: 't1', VtexIdclientAutCookie_beta: 't2' }, public: { country: 'BR' } })
    expect(added.session.namespaces.profile).toEqual({ accounts: ['acme', 'beta'] })

    // params the pattern does not match (one is the prefix without its last character) trigger nothing
    const other = await engine.patch(session.id, { cookie: { other: 'y', VtexIdclientAutCookie: 'z' } }, { allow: ['cookie'] })
    expect(other.report.waves).toEqual([])

    const removed = await engine.patch(session.id, { cookie: { VtexIdclientAutCookie_acme: undefined } }, { allow: ['cookie'] })
    expect(seen[2]).toEqual({ cookie: { VtexIdclientAutCookie_beta: 't2' }, public: { country: 'BR' } })
    expect(removed.session.namespaces.profile).toEqual({ accounts: ['beta'] })
  })

  it("sees the wave's snapshot: params written earlier in the cycle, new ones and deleted ones", async () => {
    const seen: unknown[] = []
    const writer = defineApp({
      name: 'writer',
      input: { public: ['go'] },
      output: { cookie: ['auth_new', 'auth_old'] },
      transform: () => ({ cookie: { auth_new: 'n', auth_old: undefined } }),
    })
    const reader = defineApp({
      name: 'reader',
      input: { cookie: ['auth_*'] },
      transform: (input) => void seen.push(input),
    })
    const engine = new SessionEngine({ apps: [writer, reader] })
    const base = { cookie: { auth_old: 'o', auth_kept: 'k', unrelated: 'u' } }
    const { report } = await engine.runTransform(base, { public: { go: true } })
    expect(appsPerWave(report)).toEqual([['writer'], ['reader']])
    expect(report.waves[1]!.trigger).toEqual(['cookie.auth_new', 'cookie.auth_old'])
    expect(seen).toEqual([{ cookie: { auth_kept: 'k', auth_new: 'n' } }])
  })

  it("'*' monitors the whole namespace", async () => {
    const seen: unknown[] = []
    const all = defineApp({ name: 'all', input: { public: ['*'] }, transform: (input) => void seen.push(input) })
    const engine = new SessionEngine({ apps: [all] })
    await engine.runTransform({ public: { a: 1 }, store: { b: 2 } }, { public: { c: 3 } })
    expect(seen).toEqual([{ public: { a: 1, c: 3 } }])
  })

  it('an app declaring an exact name and a pattern over it runs once per wave and gets the param once', async () => {
    const seen: unknown[] = []
    const app = defineApp({ name: 'both', input: { c: ['k1', 'k*'] }, transform: (input) => void seen.push(input) })
    const { report } = await new SessionEngine({ apps: [app] }).runTransform({}, { c: { k1: 1, k2: 2 } })
    expect(appsPerWave(report)).toEqual([['both']])
    expect(seen).toEqual([{ c: { k1: 1, k2: 2 } }])
  })

  it('patterns are for inputs only; a bad prefix is a ConfigError naming the app', () => {
    const transform = () => undefined
    expect(() => defineApp({ name: 'w', output: { c: ['k*'] }, transform })).toThrow(/app "w".*output key/)
    expect(() => defineApp({ name: 'p', input: { c: ['a.b*'] }, transform })).toThrow(/app "p".*input key/)
    expect(() => defineApp({ name: 'q', input: { c: ['a**'] }, transform })).toThrow(/app "q".*input key/)
    expect(() => defineApp({ name: 'r', input: { c: ['k*', 'k*'] }, transform })).toThrow(/app "r".*twice/)
  })
})

describe('app durations (the timing option)', () => {
  const busy = (ms: number) => {
    const until = performance.now() + ms
    while (performance.now() < until) {
      // a synchronous transform that takes `ms`
    }
  }
  const apps = [
    defineApp({ name: 'slow', input: { in: ['x'] }, output: { out: ['a'] }, transform: (i) => (busy(3), { out: { a: i.in.x } }) }),
    defineApp({ name: 'fast', input: { in: ['x'] }, output: { out: ['b'] }, transform: (i) => ({ out: { b: i.in.x } }) }),
    defineApp({ name: 'async', input: { in: ['x'] }, output: { out: ['c'] }, transform: async (i) => ({ out: { c: i.in.x } }) }),
  ]

  it("by default the sync apps of a wave share its time equally; async apps are timed on their own", async () => {
    const { report } = await new SessionEngine({ apps }).runTransform({}, { in: { x: 1 } })
    const [slow, fast, async] = report.waves[0]!.apps
    expect(slow!.durationMs).toBe(fast!.durationMs)
    // the slow app's 3 ms are shared: each of the two sync apps gets at least half
    expect(slow!.durationMs).toBeGreaterThanOrEqual(1.5)
    expect(async!.durationMs).toBeGreaterThanOrEqual(0)
    expect(slow!.durationMs + fast!.durationMs).toBeLessThanOrEqual(report.waves[0]!.durationMs)
  })

  it('sync apps after an async one in the wave share the time up to the last start, not the async wait', async () => {
    const waiting = defineApp({ name: 'waiting', input: { in: ['x'] }, output: { out: ['w'] }, transform: async (i) => (await new Promise((r) => setTimeout(r, 50)), { out: { w: i.in.x } }) })
    const { report } = await new SessionEngine({ apps: [waiting, apps[0]!, apps[1]!] }).runTransform({}, { in: { x: 1 } })
    const [wait, slow, fast] = report.waves[0]!.apps
    expect(slow!.durationMs).toBe(fast!.durationMs)
    expect(slow!.durationMs).toBeGreaterThanOrEqual(1.5)
    expect(wait!.durationMs).toBeGreaterThanOrEqual(49)
    expect(slow!.durationMs + fast!.durationMs).toBeLessThan(wait!.durationMs)
  })

  it("timing: 'app' (or an inspector) times each sync app on its own", async () => {
    for (const options of [{ timing: 'app' as const }, { inspect: () => {} }]) {
      const { report } = await new SessionEngine({ apps, ...options }).runTransform({}, { in: { x: 1 } })
      const [slow, fast] = report.waves[0]!.apps
      expect(slow!.durationMs).toBeGreaterThanOrEqual(3)
      expect(fast!.durationMs).toBeGreaterThanOrEqual(0)
      expect(slow!.durationMs + fast!.durationMs).toBeLessThanOrEqual(report.waves[0]!.durationMs)
    }
  })

  it('refuses any other timing', () => {
    expect(() => new SessionEngine({ timing: 'exact' as never })).toThrow("timing must be 'wave' or 'app'")
  })
})

describe('pattern inputs, as a property', () => {
  it('an app with patterns behaves exactly like the same app declaring every key its patterns match', async () => {
    const { default: fc } = await import('fast-check')
    const { fcParams } = await import('../support/fc')
    const KEYS = ['a', 'ab', 'abc', 'b', 'ba']
    const declared = fc.constantFrom(...KEYS, 'a*', 'ab*', 'b*', '*')
    const spec = fc.record({ input: fc.uniqueArray(declared, { minLength: 1, maxLength: 3 }), output: fc.constantFrom(...KEYS), salt: fc.integer({ min: 0, max: 2 }) })
    const expand = (keys: string[]) => [...new Set(keys.flatMap((k) => (k.endsWith('*') ? KEYS.filter((x) => x.startsWith(k.slice(0, -1))) : [k])))]
    const build = (specs: Array<{ input: string[]; output: string; salt: number }>, expanded: boolean) =>
      specs.map((s, i) =>
        defineApp({
          name: `app${i}`,
          input: { n: expanded ? expand(s.input) : s.input },
          output: { n: [s.output] },
          // deterministic, depends on every key and value received: any difference in inputs shows
          transform: (input) => ({ n: { [s.output]: (JSON.stringify(Object.entries(input.n).sort()).length + s.salt) % 3 } }),
        }),
      )
    const outcome = async (engine: SessionEngine, changes: Record<string, number>) => {
      try {
        const { namespaces, report } = await engine.runTransform({}, { n: changes })
        return { namespaces, waves: appsPerWave(report), triggers: report.waves.map((w) => w.trigger) }
      } catch (error) {
        return { error: (error as Error).constructor.name, message: (error as Error).message }
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 4 }), fc.dictionary(fc.constantFrom(...KEYS), fc.integer({ min: 0, max: 2 }), { minKeys: 1 }), async (specs, changes) => {
        const withPatterns = new SessionEngine({ apps: build(specs, false), maxWaves: 20 })
        const expanded = new SessionEngine({ apps: build(specs, true), maxWaves: 20 })
        expect(await outcome(withPatterns, changes)).toEqual(await outcome(expanded, changes))
      }),
      fcParams(200),
    )
  })
})

describe('inputs are ordinary plain objects', () => {
  it('every input and input namespace: Object.prototype, no own constructor, frozen, only the declared params, equal to its JSON', async () => {
    const seen: Array<[string, Record<string, Record<string, JsonValue>>]> = []
    const spy = (name: string) => (input: object) => void seen.push([name, input as Record<string, Record<string, JsonValue>>])
    const apps = [
      // two apps of one input shape (one shared object per wave), one of another, one with a pattern
      defineApp({ name: 'a', input: { public: ['x', 'y'], cookie: ['t'] }, output: {}, transform: spy('a') }),
      defineApp({ name: 'b', input: { public: ['x', 'y'], cookie: ['t'] }, output: {}, transform: spy('b') }),
      defineApp({ name: 'c', input: { public: ['y'] }, output: {}, transform: spy('c') }),
      defineApp({ name: 'd', input: { cookie: ['t*'] }, output: {}, transform: spy('d') }),
    ]
    const engine = new SessionEngine({ apps })
    const initials = [
      { public: { x: 1, y: { deep: [1] } }, cookie: { t: 't', tz: 'z', other: 'o' } },
      { public: { y: 2 }, cookie: { t: 'u' } },
    ]
    for (const initial of initials) {
      seen.length = 0
      await engine.create(initial)
      expect(seen.map(([name]) => name)).toEqual(['a', 'b', 'c', 'd'])
      for (const [, input] of seen) {
        for (const object of [input, ...Object.values(input)]) {
          expect(Object.getPrototypeOf(object)).toBe(Object.prototype)
          expect(object.constructor).toBe(Object)
          expect(Object.getOwnPropertyNames(object)).toEqual(Object.keys(object))
          expect(Object.getOwnPropertySymbols(object)).toEqual([])
          expect(Object.isFrozen(object)).toBe(true)
          expect(structuredClone(object)).toEqual(JSON.parse(JSON.stringify(object)))
        }
        expect(isDeepFrozen(input)).toBe(true)
      }
      const inputs = Object.fromEntries(seen.map(([name, input]) => [name, JSON.parse(JSON.stringify(input))]))
      const { t, tz } = initial.cookie as Record<string, JsonValue>
      expect(inputs).toEqual({
        a: { public: initial.public, cookie: { t } },
        b: { public: initial.public, cookie: { t } },
        c: { public: { y: initial.public.y } },
        d: { cookie: tz === undefined ? { t } : { t, tz } },
      })
      // apps declaring the same inputs get the same object in a wave
      expect(seen[0]![1]).toBe(seen[1]![1])
    }
  })
})

describe('drafts kept for reuse', () => {
  // the pool is internal: reached through the graph a cycle runs on
  async function setup() {
    const { buildGraph } = await import('../../src/core/graph')
    const { runCycle } = await import('../../src/core/cycle')
    const { DEFAULT_LIMITS } = await import('../../src/util/json')
    const { realTimers } = await import('../../src/core/clock')
    const gates: Array<() => void> = []
    const graph = buildGraph([
      defineApp({
        name: 'slow',
        input: { in: ['x'] },
        output: { out: ['y'] },
        transform: async (input) => {
          await new Promise<void>((resolve) => gates.push(resolve))
          return { out: { y: input.in.x } }
        },
      }),
    ])
    const settings = { graph, limits: { ...DEFAULT_LIMITS, maxKeysPerNamespace: 5_000, maxSessionBytes: 1 << 22 }, maxWaves: 10, timers: realTimers }
    const write = (namespace: string, key: string, value: JsonValue) => ({ namespace, key, value })
    return { graph, settings, runCycle, gates, write }
  }

  it('keeps at most 16 after a burst of concurrent cycles, and each gives the same result as alone', async () => {
    const { graph, settings, runCycle, gates, write } = await setup()
    const base = Object.freeze({ keep: Object.freeze({ a: 1 }) })
    const cycles = Array.from({ length: 40 }, (_, i) => runCycle(settings, base, [write('in', 'x', i)], 'transform', undefined))
    // every cycle waits on its app: 40 drafts in use at once
    while (gates.length < 40) await Promise.resolve()
    for (const open of gates.splice(0)) open()
    const outcomes = await Promise.all(cycles)
    expect(outcomes.map((o) => o.namespaces)).toEqual(outcomes.map((_, i) => ({ keep: { a: 1 }, in: { x: i }, out: { y: i } })))
    expect(graph.params.pool).toHaveLength(16)
    // a pooled draft does not hold the whole session its cycle started from
    for (const draft of graph.params.pool) expect(draft.base).not.toBe(base)
  })

  it('does not keep a draft a client grew with more than 1,024 params of its own', async () => {
    const { graph, settings, runCycle, write } = await setup()
    const small = await runCycle(settings, {}, [write('free', 'k', 1)], 'transform', undefined)
    expect(small.namespaces).toEqual({ free: { k: 1 } })
    expect(graph.params.pool).toHaveLength(1)
    const pooled = graph.params.pool[0]
    const many = Array.from({ length: 1_100 }, (_, i) => write('free', `k${i}`, i))
    const big = await runCycle(settings, {}, many, 'transform', undefined)
    expect(Object.keys(big.namespaces['free']!)).toHaveLength(1_100)
    // the grown draft (the pooled one, taken by this cycle) is dropped; the next cycle makes a new one
    expect(graph.params.pool).toHaveLength(0)
    const again = await runCycle(settings, big.namespaces, [write('free', 'k0', -1)], 'transform', undefined)
    expect(again.namespaces['free']!['k0']).toBe(-1)
    expect(graph.params.pool).toHaveLength(1)
    expect(graph.params.pool[0]).not.toBe(pooled)
  })
})
