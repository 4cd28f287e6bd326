/**
 * Model-based test: fast-check `commands` drive random sequences of create / patch (changes
 * object and recipe) / applyJsonPatch / get / delete / touch / clock advance against the engine
 * over a fault-injecting store, and against a trivial model (a map of records). Faults are part
 * of each command, so the model predicts every outcome exactly:
 *   - every call that succeeded is visible afterwards (in the store and through `get`);
 *   - every call that failed left no trace (the store is byte-for-byte what the model holds);
 *   - versions grow by exactly one per saved change, and not at all when nothing changed;
 *   - `ConflictError` exactly when the compare-and-set failed `maxConflictRetries + 1` times.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConflictError, InvalidValueError, type JsonValue, ManualClock, type Namespaces, type Session, SessionEngine, SessionNotFoundError, StoreError, defineApp, recipe, jsonPatch } from '../../src/index'
import { fcParams } from '../support/fc'
import { type Fault, FaultStore, counterIds, expectPrototypesUntouched } from '../support/faults'

const TTL = 1_000
const RETRIES = 2

// ---- the apps, and their trivial model -------------------------------------------------------

const double = defineApp({
  name: 'double',
  input: { public: ['n'] },
  output: { derived: ['n2'] },
  transform: (input) => ({ derived: { n2: typeof input.public.n === 'number' ? input.public.n * 2 : undefined } }),
})

const tagger = defineApp({
  name: 'tagger',
  input: { public: ['tag'] },
  output: { derived: ['tagLen'] },
  transform: async (input) => {
    await null
    return { derived: { tagLen: typeof input.public.tag === 'string' ? input.public.tag.length : undefined } }
  },
})

/** Fails (isolated) on odd numbers, so the model also covers "a failed app keeps the old value". */
const flaky = defineApp({
  name: 'flaky',
  input: { public: ['n'] },
  output: { derived: ['half'] },
  transform: (input) => {
    const n = input.public.n
    if (typeof n === 'number' && n % 2 === 1) throw new Error('odd')
    return { derived: { half: typeof n === 'number' ? n / 2 : undefined } }
  },
})

type Public = Record<string, JsonValue>

/** What the cycle does to `before` when the public params become `pub`. */
function modelCycle(before: Namespaces, pub: Public): Namespaces {
  const oldPub = (before.public ?? {}) as Public
  const derived: Record<string, JsonValue> = { ...(before.derived ?? {}) }
  const set = (key: string, value: JsonValue | undefined) => {
    if (value === undefined) delete derived[key]
    else derived[key] = value
  }
  const n = pub.n
  if (!sameJson(oldPub.n, n)) {
    set('n2', typeof n === 'number' ? n * 2 : undefined)
    if (!(typeof n === 'number' && n % 2 === 1)) set('half', typeof n === 'number' ? n / 2 : undefined)
  }
  if (!sameJson(oldPub.tag, pub.tag)) set('tagLen', typeof pub.tag === 'string' ? pub.tag.length : undefined)
  const out: Record<string, Record<string, JsonValue>> = {}
  for (const [ns, params] of Object.entries(before)) if (ns !== 'public' && ns !== 'derived') out[ns] = { ...params }
  if (Object.keys(pub).length > 0) out.public = pub
  if (Object.keys(derived).length > 0) out.derived = derived
  return out
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function sameNamespaces(a: Namespaces, b: Namespaces): boolean {
  const norm = (n: Namespaces) =>
    JSON.stringify(
      Object.keys(n)
        .sort()
        .map((ns) => [ns, Object.keys(n[ns]!).sort().map((k) => [k, n[ns]![k]])]),
    )
  return norm(a) === norm(b)
}

// ---- model and system -----------------------------------------------------------------------

interface Rec {
  version: number
  createdAt: number
  updatedAt: number
  expiresAt: number
  namespaces: Namespaces
}

interface Model {
  now: number
  ids: string[]
  stored: Map<string, Rec>
  nextId: number
}

interface Real {
  engine: SessionEngine
  store: FaultStore
  clock: ManualClock
}

interface Faults {
  get: Fault[]
  put: Fault[]
  delete: Fault[]
}

type Outcome = { ok: true } | { ok: false; error: new (...args: never[]) => Error; operation?: string }

const GET_FAULTS: Fault[] = ['none', 'none', 'slow', 'throw', 'reject']
const PUT_FAULTS: Fault[] = ['none', 'slow', 'throw', 'reject', 'stale', 'stale', 'stale', 'conflict', 'garbage']
const faultsArb: fc.Arbitrary<Faults> = fc.record({
  get: fc.array(fc.constantFrom(...GET_FAULTS), { maxLength: 3 }),
  put: fc.array(fc.constantFrom(...PUT_FAULTS), { maxLength: 4 }),
  delete: fc.array(fc.constantFrom(...GET_FAULTS), { maxLength: 1 }),
})
/** No faults at all in roughly half of the commands, so long fault-free histories happen too. */
const maybeFaults = fc.oneof(fc.constant<Faults>({ get: [], put: [], delete: [] }), faultsArb)

const valueArb = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('x', ''), fc.constant(null), fc.constant([1, { a: 2 }]))
const pubKey = fc.constantFrom('n', 'tag', 'c')
const changeValue = fc.option(valueArb, { nil: undefined })
const changesArb = fc.dictionary(pubKey, changeValue, { maxKeys: 3 })

/** Mostly sessions created earlier (the most recent ones more often); sometimes an id never created. */
function resolveId(model: Model, ref: number): string {
  if (ref === 0 || model.ids.length === 0) return 'never-created'
  return model.ids[model.ids.length - 1 - ((ref - 1) % model.ids.length)]!
}

function live(model: Model, id: string): Rec | undefined {
  const rec = model.stored.get(id)
  return rec !== undefined && rec.expiresAt > model.now ? rec : undefined
}

/** The retry protocol of patch / applyJsonPatch / touch, as the model sees it. */
function simulateWrite(model: Model, id: string, faults: Faults, next: (rec: Rec) => Namespaces | Error, touch = false): Outcome {
  const gets = [...faults.get]
  const puts = [...faults.put]
  for (let attempt = 1; ; attempt++) {
    const g = gets.shift() ?? 'none'
    if (g === 'throw' || g === 'reject') return { ok: false, error: StoreError, operation: 'get' }
    const rec = live(model, id)
    if (rec === undefined) return { ok: false, error: SessionNotFoundError }
    const namespaces = next(rec)
    if (namespaces instanceof Error) return { ok: false, error: InvalidValueError }
    if (!touch && sameNamespaces(namespaces, rec.namespaces)) return { ok: true }
    const p = puts.shift() ?? 'none'
    if (p === 'throw' || p === 'reject' || p === 'garbage') return { ok: false, error: StoreError, operation: 'put' }
    if (p === 'stale' || p === 'conflict') {
      if (attempt > RETRIES) return { ok: false, error: ConflictError }
      continue
    }
    model.stored.set(id, {
      version: touch ? rec.version : rec.version + 1,
      createdAt: rec.createdAt,
      updatedAt: model.now,
      expiresAt: model.now + TTL,
      namespaces: touch ? rec.namespaces : namespaces,
    })
    return { ok: true }
  }
}

async function expectOutcome(outcome: Outcome, run: () => Promise<unknown>): Promise<unknown> {
  let result: unknown
  let error: unknown
  try {
    result = await run()
  } catch (e) {
    error = e
  }
  if (outcome.ok) {
    if (error !== undefined) throw new Error(`expected success, got ${String((error as Error)?.stack ?? error)}`)
    return result
  }
  expect(error).toBeInstanceOf(outcome.error)
  if (outcome.operation !== undefined) expect((error as StoreError).operation).toBe(outcome.operation)
  return undefined
}

/** The store holds exactly what the model holds. */
function expectStoreMatches(model: Model, real: Real): void {
  expect(real.store.inner.size).toBe(model.stored.size)
  for (const [id, rec] of model.stored) {
    const stored = real.store.inner.get(id)
    expect(stored, id).toBeDefined()
    expect({ ...stored!, namespaces: undefined }).toEqual({ id, ...rec, namespaces: undefined })
    expect(sameNamespaces(stored!.namespaces, rec.namespaces), `${id}: ${JSON.stringify(stored!.namespaces)} vs ${JSON.stringify(rec.namespaces)}`).toBe(true)
  }
  expectPrototypesUntouched()
}

function withFaults<T>(real: Real, faults: Faults, run: () => Promise<T>): Promise<T> {
  real.store.plan = { get: [...faults.get], put: [...faults.put], delete: [...faults.delete] }
  return run().finally(() => {
    real.store.plan = {}
  })
}

// ---- commands -----------------------------------------------------------------------------

class CreateCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly initial: Public,
    readonly faults: Faults,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = `s${++model.nextId}`
    const p = this.faults.put[0] ?? 'none'
    const outcome: Outcome =
      p === 'throw' || p === 'reject' || p === 'garbage'
        ? { ok: false, error: StoreError, operation: 'put' }
        : p === 'stale' || p === 'conflict'
          ? { ok: false, error: ConflictError }
          : { ok: true }
    const result = (await expectOutcome(outcome, () => withFaults(real, this.faults, () => real.engine.create({ public: this.initial })))) as
      | { session: Session }
      | undefined
    if (outcome.ok) {
      expect(result!.session.id).toBe(id)
      model.ids.push(id)
      model.stored.set(id, { version: 1, createdAt: model.now, updatedAt: model.now, expiresAt: model.now + TTL, namespaces: modelCycle({}, { ...this.initial }) })
    }
    expectStoreMatches(model, real)
  }
  toString(): string {
    return `create(${JSON.stringify(this.initial)}, ${JSON.stringify(this.faults)})`
  }
}

class PatchCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: number,
    readonly changes: Record<string, JsonValue | undefined>,
    readonly recipe: boolean,
    readonly faults: Faults,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = resolveId(model, this.ref)
    const outcome = simulateWrite(model, id, this.faults, (rec) => {
      const pub: Public = { ...(rec.namespaces.public ?? {}) }
      for (const [k, v] of Object.entries(this.changes)) {
        if (v === undefined) delete pub[k]
        else pub[k] = v
      }
      return modelCycle(rec.namespaces, pub)
    })
    const changes = this.changes
    await expectOutcome(outcome, () =>
      withFaults(real, this.faults, () =>
        this.recipe
          ? real.engine.patch(id, recipe((draft) => {
              for (const [k, v] of Object.entries(changes)) {
                if (v === undefined) delete draft.public![k]
                else draft.public![k] = v as never
              }
            }))
          : real.engine.patch(id, { public: changes }),
      ),
    )
    expectStoreMatches(model, real)
  }
  toString(): string {
    return `patch(#${this.ref}, ${JSON.stringify(this.changes)}${this.recipe ? ', recipe' : ''}, ${JSON.stringify(this.faults)})`
  }
}

type Op = { op: 'add'; key: string; value: JsonValue } | { op: 'remove'; key: string } | { op: 'test'; key: string; value: JsonValue }

class JsonPatchCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: number,
    readonly ops: Op[],
    readonly faults: Faults,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = resolveId(model, this.ref)
    const outcome = simulateWrite(model, id, this.faults, (rec) => {
      const pub: Public = { ...(rec.namespaces.public ?? {}) }
      for (const op of this.ops) {
        if (op.op === 'add') pub[op.key] = op.value
        else if (op.op === 'remove') {
          if (!Object.hasOwn(pub, op.key)) return new Error('remove of a missing param')
          delete pub[op.key]
        } else if (!sameJson(pub[op.key], op.value)) return new Error('test failed')
      }
      return modelCycle(rec.namespaces, pub)
    })
    const ops = this.ops.map((op) => ({ ...op, path: `/public/${op.key}`, key: undefined }))
    await expectOutcome(outcome, () => withFaults(real, this.faults, () => real.engine.patch(id, jsonPatch(ops))))
    expectStoreMatches(model, real)
  }
  toString(): string {
    return `applyJsonPatch(#${this.ref}, ${JSON.stringify(this.ops)}, ${JSON.stringify(this.faults)})`
  }
}

class GetCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: number,
    readonly items: string[] | undefined,
    readonly faults: Faults,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = resolveId(model, this.ref)
    const g = this.faults.get[0] ?? 'none'
    const outcome: Outcome = g === 'throw' || g === 'reject' ? { ok: false, error: StoreError, operation: 'get' } : { ok: true }
    const options = this.items === undefined ? undefined : { items: this.items }
    const session = (await expectOutcome(outcome, () => withFaults(real, this.faults, () => real.engine.get(id, options)))) as Session | undefined
    if (outcome.ok) {
      const rec = live(model, id)
      if (rec === undefined) expect(session).toBeUndefined()
      else {
        expect(session).toMatchObject({ id, version: rec.version, createdAt: rec.createdAt, updatedAt: rec.updatedAt, expiresAt: rec.expiresAt })
        const expected: Record<string, Record<string, JsonValue>> = {}
        for (const [ns, params] of Object.entries(rec.namespaces)) {
          for (const [k, v] of Object.entries(params)) {
            if (this.items === undefined || this.items.includes('*') || this.items.includes(`${ns}.*`) || this.items.includes(`${ns}.${k}`)) {
              ;(expected[ns] ??= {})[k] = v
            }
          }
        }
        expect(sameNamespaces(session!.namespaces, expected)).toBe(true)
        expect(Object.isFrozen(session)).toBe(true)
      }
    }
    expectStoreMatches(model, real)
  }
  toString(): string {
    return `get(#${this.ref}, ${JSON.stringify(this.items)}, ${JSON.stringify(this.faults)})`
  }
}

class DeleteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: number,
    readonly faults: Faults,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = resolveId(model, this.ref)
    const d = this.faults.delete[0] ?? 'none'
    const outcome: Outcome = d === 'throw' || d === 'reject' ? { ok: false, error: StoreError, operation: 'delete' } : { ok: true }
    await expectOutcome(outcome, () => withFaults(real, this.faults, () => real.engine.delete(id)))
    if (outcome.ok) model.stored.delete(id)
    expectStoreMatches(model, real)
  }
  toString(): string {
    return `delete(#${this.ref}, ${JSON.stringify(this.faults)})`
  }
}

class TouchCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ref: number,
    readonly faults: Faults,
  ) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = resolveId(model, this.ref)
    const outcome = simulateWrite(model, id, this.faults, (rec) => rec.namespaces, true)
    await expectOutcome(outcome, () => withFaults(real, this.faults, () => real.engine.touch(id)))
    expectStoreMatches(model, real)
  }
  toString(): string {
    return `touch(#${this.ref}, ${JSON.stringify(this.faults)})`
  }
}

class AdvanceCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    model.now += this.ms
    real.clock.advance(this.ms)
    expectStoreMatches(model, real)
  }
  toString(): string {
    return `advance(${this.ms})`
  }
}

const ref = fc.nat({ max: 12 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), key: pubKey, value: valueArb }),
  fc.record({ op: fc.constant('remove' as const), key: pubKey }),
  fc.record({ op: fc.constant('test' as const), key: pubKey, value: valueArb }),
)
const itemsArb = fc.option(fc.subarray(['*', 'public.*', 'derived.*', 'public.n', 'derived.n2', 'derived.half']), { nil: undefined })

const create = fc.tuple(fc.dictionary(pubKey, valueArb, { maxKeys: 3 }), maybeFaults).map(([initial, f]) => new CreateCommand(initial, f))
const commands = [
  create,
  create,
  fc.tuple(ref, changesArb, fc.boolean(), maybeFaults).map(([r, c, recipe, f]) => new PatchCommand(r, c, recipe, f)),
  fc.tuple(ref, fc.array(opArb, { minLength: 1, maxLength: 4 }), maybeFaults).map(([r, ops, f]) => new JsonPatchCommand(r, ops, f)),
  fc.tuple(ref, itemsArb, maybeFaults).map(([r, items, f]) => new GetCommand(r, items, f)),
  fc.tuple(ref, maybeFaults).map(([r, f]) => new DeleteCommand(r, f)),
  fc.tuple(ref, maybeFaults).map(([r, f]) => new TouchCommand(r, f)),
  fc.integer({ min: 0, max: 700 }).map((ms) => new AdvanceCommand(ms)),
]

describe('model-based: the engine over a faulty store agrees with a trivial model', () => {
  it('random command sequences with faults on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'max' }), async (cmds) => {
        const setup = () => {
          const clock = new ManualClock(10_000)
          const store = new FaultStore()
          const engine = new SessionEngine({
            apps: [double, tagger, flaky],
            store,
            clock,
            ttlMs: TTL,
            maxConflictRetries: RETRIES,
            generateId: counterIds(),
          })
          return { model: { now: 10_000, ids: [], stored: new Map(), nextId: 0 } as Model, real: { engine, store, clock } }
        }
        await fc.asyncModelRun(setup, cmds)
      }),
      fcParams(60),
    )
  })
})
