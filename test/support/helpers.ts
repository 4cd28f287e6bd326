/** Small helpers shared by the core tests. */
import { expectRejects } from './errors'
import type { CycleReport, Namespaces, Session, SessionStore } from '../../src/index'
import { MemoryStore, type SessionflowError } from '../../src/index'

/** Names of the apps that ran, per wave. */
export function appsPerWave(report: CycleReport): string[][] {
  return report.waves.map((w) => w.apps.map((a) => a.app))
}

/** Whether every object reachable from `value` is frozen. */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  if (!Object.isFrozen(value)) return false
  return Object.values(value).every(isDeepFrozen)
}

/** Deep, plain copy (for snapshots taken before a call). */
export function snapshot<T>(value: T): T {
  return structuredClone(value)
}

/** Awaits a rejection and checks its class and code; returns the error for more checks. */
export const rejection = <E extends SessionflowError>(
  promise: Promise<unknown>,
  cls: abstract new (...args: never[]) => E,
  code: string,
): Promise<E> => expectRejects(promise, cls, code)

/** A store that records calls and can be told to misbehave; wraps a MemoryStore. */
export class SpyStore implements SessionStore {
  readonly inner = new MemoryStore()
  readonly calls: string[] = []
  failGet = false
  failPut = false
  failDelete = false
  /** Puts still to fail (on top of `failPut`). */
  failPuts = 0

  get(id: string): Session | undefined {
    this.calls.push('get')
    if (this.failGet) throw new Error('get is down')
    return this.inner.get(id)
  }

  put(session: Session, expectedVersion: number | undefined): boolean {
    this.calls.push('put')
    if (this.failPut || this.failPuts-- > 0) throw new Error('put is down')
    return this.inner.put(session, expectedVersion)
  }

  delete(id: string): void {
    this.calls.push('delete')
    if (this.failDelete) throw new Error('delete is down')
    this.inner.delete(id)
  }
}

/** A deferred promise whose settlement the test controls. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** `{ ns: { key: value } }` as a plain mutable copy. */
export function plain(namespaces: Namespaces): Record<string, Record<string, unknown>> {
  return JSON.parse(JSON.stringify(namespaces))
}

/** The same store without the optional `rotate`: the engine then rotates ids with two compare-and-set puts. */
export function withoutRotate(store: SessionStore): SessionStore {
  return { get: (id) => store.get(id), put: (s, e) => store.put(s, e), delete: (id) => store.delete(id) }
}

/** What `fn` throws (fails the test when it returns). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}
