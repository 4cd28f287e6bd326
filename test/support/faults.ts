/**
 * Shared helpers of the reliability suite: a fault-injecting store, prototype-pollution checks,
 * and small assertions about "refused, typed, nothing saved".
 */
import { expect } from 'vitest'
import { ConflictError, MemoryStore, type Session, type SessionEngine, type SessionStore } from '../../src/index'

/**
 * What one store call does: pass through, fail synchronously (`throw`), fail asynchronously
 * (`reject`), pass through after a macrotask (`slow`), or — `put` only — refuse as if another
 * process had written first (`stale`: returns `false`; `conflict`: throws `ConflictError`), or
 * answer garbage (`garbage`: returns a non-boolean, without writing).
 */
export type Fault = 'none' | 'throw' | 'reject' | 'slow' | 'stale' | 'conflict' | 'garbage'

/** Faults consumed one per call, per operation; an empty queue means `none`. */
export interface FaultPlan {
  get?: Fault[]
  put?: Fault[]
  delete?: Fault[]
}

/** One store call as the fault store saw it. */
export interface StoreCall {
  readonly op: 'get' | 'put' | 'delete'
  readonly id: string
  readonly fault: Fault
  /** For `put`: the version written and the version expected. */
  readonly version?: number
  readonly expected?: number | undefined
  /** For `put`: whether the session was written. */
  readonly written?: boolean
}

/** Error thrown by injected faults, so tests can tell them from real bugs. */
export class InjectedFault extends Error {
  constructor(op: string, id: string) {
    super(`injected ${op} fault for ${id}`)
  }
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/**
 * A store wrapper that injects faults. Faults happen *before* the wrapped store is touched, so a
 * failed call never changes the underlying store (a store that fails after committing is outside
 * the engine's promise; see the README "Guarantees"). Faults come from an explicit plan (queues
 * per operation) or, with `random`, from a seeded source at `rate`.
 */
export class FaultStore implements SessionStore {
  readonly inner: MemoryStore
  plan: FaultPlan = {}
  /** Random faults: a function in [0, 1) and the probability of a fault per call. */
  random: { next: () => number; rate: number; faults: Record<'get' | 'put' | 'delete', Fault[]> } | undefined
  readonly calls: StoreCall[] = []

  constructor(inner: MemoryStore = new MemoryStore()) {
    this.inner = inner
  }

  #fault(op: 'get' | 'put' | 'delete'): Fault {
    const queued = this.plan[op]?.shift()
    if (queued !== undefined) return queued
    if (this.random !== undefined && this.random.next() < this.random.rate) {
      const options = this.random.faults[op]
      return options[Math.floor(this.random.next() * options.length)] ?? 'none'
    }
    return 'none'
  }

  get(id: string): Session | undefined | Promise<Session | undefined> {
    const fault = this.#fault('get')
    this.calls.push({ op: 'get', id, fault })
    if (fault === 'throw') throw new InjectedFault('get', id)
    if (fault === 'reject') return Promise.reject(new InjectedFault('get', id))
    if (fault === 'slow') return macrotask().then(() => this.inner.get(id))
    return this.inner.get(id)
  }

  put(session: Session, expected: number | undefined): boolean | Promise<boolean> {
    const fault = this.#fault('put')
    const record = (written: boolean) => {
      this.calls.push({ op: 'put', id: session.id, fault, version: session.version, expected, written })
      return written
    }
    switch (fault) {
      case 'throw':
        record(false)
        throw new InjectedFault('put', session.id)
      case 'reject':
        record(false)
        return Promise.reject(new InjectedFault('put', session.id))
      case 'stale':
        return record(false)
      case 'conflict':
        record(false)
        throw new ConflictError(session.id, 0)
      case 'garbage':
        record(false)
        return 'yes' as unknown as boolean
      case 'slow':
        return macrotask().then(() => record(this.inner.put(session, expected)))
      default:
        return record(this.inner.put(session, expected))
    }
  }

  delete(id: string): void | Promise<void> {
    const fault = this.#fault('delete')
    this.calls.push({ op: 'delete', id, fault })
    if (fault === 'throw') throw new InjectedFault('delete', id)
    if (fault === 'reject') return Promise.reject(new InjectedFault('delete', id))
    if (fault === 'slow') return macrotask().then(() => this.inner.delete(id))
    this.inner.delete(id)
  }
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), for seeded random faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Everything observable about the built-in prototypes that a pollution attack would change. */
export function prototypeSnapshot(): string {
  const describe = (proto: object) =>
    Reflect.ownKeys(proto)
      .map((key) => {
        const d = Object.getOwnPropertyDescriptor(proto, key)!
        return `${String(key)}:${typeof d.value}:${typeof d.get}:${String(d.writable)}`
      })
      .join(',')
  return [Object.prototype, Array.prototype, Function.prototype].map(describe).join('|')
}

const initialPrototypes = prototypeSnapshot()

/** Fails when any built-in prototype gained, lost or changed a property since the suite loaded. */
export function expectPrototypesUntouched(): void {
  expect(prototypeSnapshot()).toBe(initialPrototypes)
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined()
  expect(Object.getPrototypeOf({})).toBe(Object.prototype)
}

/**
 * A refused call changed nothing: the store holds only `session` (the same object, so not even an
 * equal rewrite happened), `get` still returns it, and no built-in prototype was touched.
 */
export async function expectUnchanged(engine: SessionEngine, store: MemoryStore, session: Session): Promise<void> {
  expect(store.size).toBe(1)
  expect(store.get(session.id)).toBe(session)
  expect(await engine.get(session.id)).toEqual(session)
  expectPrototypesUntouched()
}

export { expectRejects } from './errors'

/** Ids `s1`, `s2`, … so failures are readable and replays deterministic. */
export function counterIds(prefix = 's'): () => string {
  let n = 0
  return () => `${prefix}${++n}`
}
