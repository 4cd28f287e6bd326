/**
 * The loop detector, against a reference implementation of the wave semantics that has no early
 * detection at all. On graphs whose values are bounded (params take one of a few values), the
 * number of (session state, changed params) pairs is finite, so the reference decides exactly
 * whether a cycle ends: run it for more waves than there are pairs — a run that long must have
 * repeated a pair and, transforms being deterministic, would go round forever.
 *
 *   - the detector never stops a cycle that would have ended (same final namespaces as the reference);
 *   - it always stops one that would not (`TransformLoopError`, reason `repeat` when `maxWaves` is big);
 *   - the error names the apps and params of the waves going round;
 *   - with a small `maxWaves`, the budget applies exactly as documented.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type App, type Namespaces, SessionEngine, TransformLoopError, defineApp } from '../../src/index'
import { fcParams } from '../support/fc'

const PARAMS = ['a', 'b', 'c', 'd'] as const
type Param = (typeof PARAMS)[number]
/** Each param is absent, 0 or 1. */
type Value = 0 | 1
type State = Partial<Record<Param, Value>>
/** What an app writes to one output param: a value, a delete, or nothing. */
type Write = Value | 'delete' | 'skip'

interface AppSpec {
  readonly inputs: Param[]
  readonly outputs: Param[]
  /** Deterministic: output writes as a function of the app's input. */
  readonly f: (input: string, output: Param) => Write
}

/** (3 values)^4 states × 2^4 trigger sets: a run longer than this has repeated a pair. */
const PAIRS = 3 ** PARAMS.length * 2 ** PARAMS.length

function inputOf(spec: AppSpec, state: State): State {
  const input: State = {}
  for (const p of spec.inputs) if (state[p] !== undefined) input[p] = state[p]
  return input
}

function outputOf(spec: AppSpec, state: State): Array<[Param, Write]> {
  const key = JSON.stringify(inputOf(spec, state))
  return spec.outputs.map((o) => [o, spec.f(key, o)])
}

interface WaveLog {
  /** Bitmask of the monitored params whose change triggered the wave. */
  readonly trigger: number
  /** The state at the start of the wave (base-3 code). */
  readonly start: number
  readonly apps: number[]
  readonly changed: Param[]
}

type Reference = { ended: true; state: State; waves: number; log: WaveLog[] } | { ended: false; log: WaveLog[] }

/**
 * The wave semantics, straight from the spec, with no loop detection: it stops after `bound`
 * waves. States are small integers (one base-3 digit per param) and trigger sets bitmasks, so a
 * thousand waves cost next to nothing.
 */
function reference(specs: readonly AppSpec[], initial: State, writes: State & Record<string, Value | undefined>, bound: number): Reference {
  const digit = (v: Value | undefined) => (v === undefined ? 0 : v + 1)
  const decode = (code: number): State => {
    const state: State = {}
    PARAMS.forEach((p, i) => {
      const d = Math.floor(code / 3 ** i) % 3
      if (d > 0) state[p] = (d - 1) as Value
    })
    return state
  }
  const encode = (state: State) => PARAMS.reduce((code, p, i) => code + digit(state[p]) * 3 ** i, 0)
  const maskOf = (params: readonly Param[]) => params.reduce((m, p) => m | (1 << PARAMS.indexOf(p)), 0)
  const inputMasks = specs.map((s) => maskOf(s.inputs))
  const monitored = inputMasks.reduce((a, b) => a | b, 0)
  // what an app does to a state: (app, state) -> state after applying its writes alone, memoized
  const memo = specs.map(() => new Map<number, Array<[number, number]>>())
  const writesOf = (app: number, code: number) => {
    let out = memo[app]!.get(code)
    if (out === undefined) {
      out = outputOf(specs[app]!, decode(code)).flatMap(([p, w]): Array<[number, number]> =>
        w === 'skip' ? [] : [[PARAMS.indexOf(p), w === 'delete' ? 0 : w + 1]],
      )
      memo[app]!.set(code, out)
    }
    return out
  }
  let code = encode(initial)
  let pending = 0
  for (const [i, p] of PARAMS.entries()) {
    if (!(p in writes)) continue
    const next = encode({ ...decode(code), [p]: writes[p] })
    if (next !== code) pending |= 1 << i
    code = next
  }
  const log: WaveLog[] = []
  for (let wave = 0; ; wave++) {
    const trigger = pending & monitored
    const apps: number[] = []
    for (let i = 0; i < specs.length; i++) if ((inputMasks[i]! & trigger) !== 0) apps.push(i)
    if (apps.length === 0) return { ended: true, state: decode(code), waves: wave, log }
    if (wave >= bound) return { ended: false, log }
    // every app reads the snapshot; outputs merge in apps order, the later app winning
    const digits = PARAMS.map((_, i) => Math.floor(code / 3 ** i) % 3)
    const merged = [...digits]
    for (const app of apps) for (const [i, d] of writesOf(app, code)) merged[i] = d
    const next = merged.reduce((c, d, i) => c + d * 3 ** i, 0)
    let changed = 0
    for (let i = 0; i < PARAMS.length; i++) if (merged[i] !== digits[i]) changed |= 1 << i
    log.push({ trigger, start: code, apps, changed: PARAMS.filter((_, i) => (changed & (1 << i)) !== 0) })
    code = next
    pending = changed
  }
}

/** The first wave whose (trigger, state) pair was already seen, and the wave that saw it. */
function firstRepeat(log: readonly WaveLog[]): { from: number; at: number } | undefined {
  const seen = new Map<string, number>()
  for (const [at, w] of log.entries()) {
    const key = `${w.trigger}|${w.start}`
    const from = seen.get(key)
    if (from !== undefined) return { from, at }
    seen.set(key, at)
  }
  return undefined
}

function toApps(specs: readonly AppSpec[]): App[] {
  return specs.map((spec, i) =>
    defineApp({
      name: `app${i}`,
      input: { p: spec.inputs },
      output: { p: spec.outputs },
      transform: (input) => {
        const out: Record<string, Value | undefined> = {}
        for (const [p, w] of outputOf(spec, input.p as State)) {
          if (w === 'skip') continue
          out[p] = w === 'delete' ? undefined : w
        }
        return { p: out }
      },
    }),
  )
}

function toNamespaces(state: State): Namespaces {
  return Object.keys(state).length === 0 ? {} : { p: { ...state } }
}

const paramSet = fc.subarray([...PARAMS], { minLength: 1 })
const specArb: fc.Arbitrary<AppSpec> = fc
  .record({
    inputs: paramSet,
    outputs: paramSet,
    f: fc.func<[string, Param], Write>(fc.constantFrom<Write>(0, 1, 0, 1, 'delete', 'skip')),
  })
  .map(({ inputs, outputs, f }) => {
    // memoized: the reference may run a thousand waves, and fc.func hashes its arguments on every call
    const memo = new Map<string, Write>()
    const cached = (input: string, output: Param): Write => {
      const key = `${input}${output}`
      let w = memo.get(key)
      if (w === undefined) memo.set(key, (w = f(input, output)))
      return w
    }
    return { inputs, outputs, f: cached, toString: () => `{inputs:${inputs},outputs:${outputs},f:${String(f)}}` }
  })
const stateArb: fc.Arbitrary<State> = fc.record(
  { a: fc.constantFrom<Value>(0, 1), b: fc.constantFrom<Value>(0, 1), c: fc.constantFrom<Value>(0, 1), d: fc.constantFrom<Value>(0, 1) },
  { requiredKeys: [] },
)
const writesArb = fc.dictionary(fc.constantFrom(...PARAMS), fc.constantFrom<Value | undefined>(0, 1, undefined), { minKeys: 1 })
const graphArb = fc.record({ specs: fc.array(specArb, { minLength: 1, maxLength: 4 }), initial: stateArb, writes: writesArb })

describe('loop detection against a reference without early detection', () => {
  it('property: a cycle that ends is never stopped; one that does not end is stopped, naming the apps and params going round', async () => {
    let ended = 0
    let looped = 0
    let longest = 0
    await fc.assert(
      fc.asyncProperty(graphArb, async ({ specs, initial, writes }) => {
        const ref = reference(specs, initial, writes, PAIRS + 1)
        // maxWaves beyond the pigeonhole bound: only the repeat detector can stop the cycle
        const engine = new SessionEngine({ apps: toApps(specs), maxWaves: PAIRS + 10 })
        const run = engine.runTransform(toNamespaces(initial), { p: writes }).then(
          (r) => r,
          (e: unknown) => e,
        )
        const result = await run
        if (ref.ended) {
          ended++
          longest = Math.max(longest, ref.waves)
          expect(result).not.toBeInstanceOf(Error)
          expect((result as { namespaces: Namespaces }).namespaces).toEqual(toNamespaces(ref.state))
          expect((result as { report: { waves: unknown[] } }).report.waves).toHaveLength(ref.waves)
          return
        }
        looped++
        expect(result).toBeInstanceOf(TransformLoopError)
        const error = result as TransformLoopError
        expect(error.reason).toBe('repeat')
        const repeat = firstRepeat(ref.log)!
        expect(repeat).toBeDefined()
        expect(error.waves).toBe(repeat.at)
        const round = ref.log.slice(repeat.from, repeat.at)
        const apps = [...new Set(round.flatMap((w) => w.apps))].sort((x, y) => x - y).map((i) => `app${i}`)
        const params = [...new Set(round.flatMap((w) => w.changed))].map((p) => `p.${p}`).sort()
        expect([...error.apps].sort()).toEqual(apps.sort())
        expect(error.params).toEqual(params)
        expect(error.message).toContain(apps[0]!)
        expect(error.message).toContain(params[0]!)
      }),
      fcParams(300),
    )
    // both outcomes must be well represented, and some cycles long, or the property says little
    expect(ended).toBeGreaterThan(30)
    expect(looped).toBeGreaterThan(30)
    expect(longest).toBeGreaterThan(3)
  })

  it('property: with a small maxWaves, a cycle is stopped exactly when the reference ends later than the budget or never', async () => {
    await fc.assert(
      fc.asyncProperty(graphArb, fc.integer({ min: 1, max: 8 }), async ({ specs, initial, writes }, maxWaves) => {
        const ref = reference(specs, initial, writes, PAIRS + 1)
        const engine = new SessionEngine({ apps: toApps(specs), maxWaves })
        const result = await engine.runTransform(toNamespaces(initial), { p: writes }).then(
          (r) => r,
          (e: unknown) => e,
        )
        if (ref.ended && ref.waves <= maxWaves) {
          expect((result as { namespaces: Namespaces }).namespaces).toEqual(toNamespaces(ref.state))
          return
        }
        expect(result).toBeInstanceOf(TransformLoopError)
        const error = result as TransformLoopError
        const repeat = ref.ended ? undefined : firstRepeat(ref.log)
        if (repeat !== undefined && repeat.at <= maxWaves) {
          expect(error.reason).toBe('repeat')
          expect(error.waves).toBe(repeat.at)
        } else {
          expect(error.reason).toBe('maxWaves')
          expect(error.waves).toBe(maxWaves)
        }
        expect(error.apps.length).toBeGreaterThan(0)
      }),
      fcParams(300),
    )
  })
})

describe('loop examples', () => {
  const setter = (name: string, value: number) =>
    defineApp({ name, input: { p: ['x'] }, output: { p: ['x'] }, transform: () => ({ p: { x: value } }) })

  it('A sets x=1 while B sets x=2 (same wave, later app wins): ends, since the state stops changing', async () => {
    const engine = new SessionEngine({ apps: [setter('A', 1), setter('B', 2)] })
    const { namespaces } = await engine.runTransform({}, { p: { x: 0 } })
    expect(namespaces).toEqual({ p: { x: 2 } })
  })

  it('a toggle never ends: stopped on the repeat, naming the app and the param', async () => {
    const toggle = defineApp({
      name: 'toggle',
      input: { p: ['x'] },
      output: { p: ['x'] },
      transform: (input) => ({ p: { x: input.p.x === 1 ? 0 : 1 } }),
    })
    const error = await new SessionEngine({ apps: [toggle] }).runTransform({}, { p: { x: 0 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TransformLoopError)
    expect(error).toMatchObject({ reason: 'repeat', apps: ['toggle'], params: ['p.x'] })
  })

  it('two apps chasing each other through two params are both named', async () => {
    const ping = defineApp({ name: 'ping', input: { p: ['a'] }, output: { p: ['b'] }, transform: (i) => ({ p: { b: i.p.a === 1 ? 0 : 1 } }) })
    const pong = defineApp({ name: 'pong', input: { p: ['b'] }, output: { p: ['a'] }, transform: (i) => ({ p: { a: i.p.b } }) })
    const error = (await new SessionEngine({ apps: [ping, pong] }).runTransform({}, { p: { a: 1 } }).catch((e: unknown) => e)) as TransformLoopError
    expect(error).toBeInstanceOf(TransformLoopError)
    expect([...error.apps].sort()).toEqual(['ping', 'pong'])
    expect(error.params).toEqual(['p.a', 'p.b'])
  })

  it('growth without end is stopped by maxWaves; the state never repeats', async () => {
    const grow = defineApp({ name: 'grow', input: { p: ['n'] }, output: { p: ['n'] }, transform: (i) => ({ p: { n: Number(i.p.n ?? 0) + 1 } }) })
    const error = (await new SessionEngine({ apps: [grow], maxWaves: 50 }).runTransform({}, { p: { n: 0 } }).catch((e: unknown) => e)) as TransformLoopError
    expect(error).toMatchObject({ reason: 'maxWaves', waves: 50, apps: ['grow'], params: ['p.n'] })
  })

  it('the state coming back with other changed params is not a loop: such a cycle runs on and ends', async () => {
    // wave 1 starts from {t:1, x:0} triggered by t; wave 3 starts from the same state triggered by x, and ends
    const up = defineApp({ name: 'up', input: { p: ['t'] }, output: { p: ['x'] }, transform: () => ({ p: { x: 1 } }) })
    const down = defineApp({ name: 'down', input: { p: ['x'] }, output: { p: ['x'] }, transform: (i) => (i.p.x === 1 ? { p: { x: 0 } } : undefined) })
    const { namespaces, report } = await new SessionEngine({ apps: [up, down] }).runTransform({ p: { x: 0 } }, { p: { t: 1 } })
    expect(namespaces).toEqual({ p: { x: 0, t: 1 } })
    expect(report.waves.map((w) => w.trigger)).toEqual([['p.t'], ['p.x'], ['p.x']])
  })
})
