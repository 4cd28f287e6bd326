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
  /**
   * Optional: moves a session to a new id in one atomic step (`engine.rotateId`). Writes `session`
   * (under its new id) and removes `fromId`, only if the stored version of `fromId` equals
   * `expectedVersion` and nothing is stored under `session.id`. Returns `true` when done, `false`
   * (or throws `ConflictError`) when either check fails and nothing changed, `undefined` when it
   * cannot be atomic for these two ids (e.g. keys on different cluster nodes). Without it, or on
   * `undefined`, the engine uses two compare-and-set `put`s instead.
   */
  rotate?(session: Session, fromId: string, expectedVersion: number): MaybePromise<boolean | undefined>
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Time source deciding which sessions have expired: an expired session reads as absent, a write
   * expecting it fails (as on Redis, whose keys expire on their own), and every write drops a few
   * expired sessions on the way (see {@link MemoryStore}). Without it the store never expires
   * anything by itself (the engine still treats expired sessions as absent on read). The engine's
   * default store uses the engine's clock.
   */
  now?: () => number
}

/** Stored sessions each write looks at for expiry: enough to keep pace with the writes that fill the store. */
const SWEEP_STEP = 2

/**
 * The default in-process store: a `Map` of frozen sessions, synchronous, with compare-and-set.
 *
 * It bounds itself: with a `now` option, every `put` also checks the next {@link SWEEP_STEP}
 * sessions in a round-robin pass over the map and drops the expired ones. A full pass takes
 * (sessions / 2) writes, so an expired session is dropped at the latest one pass after it expired,
 * and the store holds at most about twice the sessions alive in one ttl, whatever the traffic,
 * without the host calling {@link MemoryStore.sweep}. The cost is O(1) per write.
 */
export class MemoryStore implements SessionStore {
  readonly #sessions = new Map<string, Session>()
  readonly #now: (() => number) | undefined
  /** Where the amortized sweep continues; a Map iterator sees deletions and later insertions. */
  #cursor: Iterator<Session> | undefined

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

  /**
   * Compare-and-set write; `false` when the stored version is not `expectedVersion`. An expired
   * session counts as absent: a write expecting its version fails, a create over it succeeds.
   */
  put(session: Session, expectedVersion: number | undefined): boolean {
    const current = this.get(session.id)
    if (current?.version !== expectedVersion) return false
    this.#sessions.set(session.id, session)
    if (this.#now !== undefined) this.#sweepSome(this.#now())
    return true
  }

  /** Removes the session. */
  delete(id: string): void {
    this.#sessions.delete(id)
  }

  /** Atomic id rotation: `session` stored under its id and `fromId` removed, if `fromId` is at `expectedVersion` and the new id is free. */
  rotate(session: Session, fromId: string, expectedVersion: number): boolean {
    if (this.get(fromId)?.version !== expectedVersion || this.get(session.id) !== undefined) return false
    this.#sessions.delete(fromId)
    this.#sessions.set(session.id, session)
    return true
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

  /** Number of sessions held, expired ones included until read, swept or passed by a write's sweep. */
  get size(): number {
    return this.#sessions.size
  }

  #sweepSome(now: number): void {
    for (let i = 0; i < SWEEP_STEP; i++) {
      this.#cursor ??= this.#sessions.values()
      const next = this.#cursor.next()
      if (next.done === true) {
        this.#cursor = undefined
        return
      }
      if (next.value.expiresAt <= now) this.#sessions.delete(next.value.id)
    }
  }
}
