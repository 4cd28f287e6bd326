import type { Session } from '../model/session'

/** A value or a promise of it: stores may be synchronous or asynchronous. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Where sessions live. Each method may return a value or a promise. The engine never mutates a
 * session it reads or writes; sessions are frozen.
 */
export interface SessionStore {
  /** The stored session, or `undefined`. Expired sessions may be returned; the engine checks `expiresAt`. */
  get(id: string): MaybePromise<Session | undefined>
  /**
   * Compare-and-set. Writes `session` only if the stored version equals `expectedVersion`
   * (`undefined`: only if no session with this id is stored). Returns `false` (or throws a
   * `ConflictError`) when the stored version is another; anything else thrown is a store failure.
   */
  put(session: Session, expectedVersion: number | undefined): MaybePromise<boolean>
  /** Removes the session; no error when it is absent. */
  delete(id: string): MaybePromise<void>
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Time source used to drop expired sessions on read and in {@link MemoryStore.sweep}. Without it
   * the store never drops anything by itself (the engine still treats expired sessions as absent).
   * The engine's default store uses the engine's clock.
   */
  now?: () => number
}

/** The default in-process store: a `Map` of frozen sessions, synchronous, with compare-and-set. */
export class MemoryStore implements SessionStore {
  readonly #sessions = new Map<string, Session>()
  readonly #now: (() => number) | undefined

  /** Creates an empty store. */
  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now
  }

  /** The stored session, or `undefined` (expired ones are dropped here). */
  get(id: string): Session | undefined {
    const session = this.#sessions.get(id)
    if (session !== undefined && this.#now !== undefined && session.expiresAt <= this.#now()) {
      this.#sessions.delete(id)
      return undefined
    }
    return session
  }

  /** Compare-and-set write; `false` when the stored version is not `expectedVersion`. */
  put(session: Session, expectedVersion: number | undefined): boolean {
    const current = this.#sessions.get(session.id)
    if (current?.version !== expectedVersion) return false
    this.#sessions.set(session.id, session)
    return true
  }

  /** Removes the session. */
  delete(id: string): void {
    this.#sessions.delete(id)
  }

  /** Drops every session expired at `now` (default: the `now` option, else `Date.now()`); returns how many. */
  sweep(now: number = this.#now?.() ?? Date.now()): number {
    let dropped = 0
    for (const [id, session] of this.#sessions) {
      if (session.expiresAt <= now) {
        this.#sessions.delete(id)
        dropped++
      }
    }
    return dropped
  }

  /** Number of sessions held, expired ones included until read or swept. */
  get size(): number {
    return this.#sessions.size
  }
}
