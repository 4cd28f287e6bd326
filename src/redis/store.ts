/**
 * `sessionflow/redis`: a {@link SessionStore} on Redis (or any server speaking its commands:
 * Valkey, KeyDB, Dragonfly, Redis Cluster). The core never imports a Redis client: the host passes
 * its own (ioredis, node-redis, or a function that sends one command), so this module stays free
 * of Node APIs and of any dependency.
 *
 * Layout: one Redis hash per session, key `prefix + id`, fields `v` (version, decimal) and `d`
 * (the session as JSON). The version lives in its own field so the compare-and-set script never
 * has to decode the JSON: the check costs the same for a 100-byte and a 60 KB session.
 */
import type { Session } from '../model/session'
import type { SessionStore } from '../core/store'
import { type RedisClientLike, type RedisSend, decode, readClientOptions, withTimeout } from './client'

export type { IoredisLike, NodeRedisLike, RedisClientLike, RedisSend } from './client'

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The connection: an ioredis `Redis`/`Cluster`, a node-redis client, or a {@link RedisSend}
   * function (needed for a node-redis cluster). The store never connects or closes it.
   */
  readonly client: RedisClientLike
  /** Prepended to session ids to form keys. Default `'sessionflow:'`. Do not put a `{hash tag}` in it on a cluster: it would pin every session to one slot. */
  readonly prefix?: string
  /**
   * Each store call rejects (the engine turns it into a `StoreError`) when Redis has not answered
   * within this many ms. Default 2000; `false` leaves timing to the client. A timed-out write may
   * still be applied later, whole (the script is atomic), never half.
   */
  readonly timeoutMs?: number | false
}

/**
 * Compare-and-set in one round trip. KEYS[1] = session key; ARGV = expected version ('' = none
 * may exist), new version, session JSON, expiresAt (integer Unix ms). Every check happens before
 * the first write: Redis does not roll a script back, so a script that could fail half-way could
 * leave a session without its expiry. Numbers of more than 16 digits are refused there, since
 * `PEXPIREAT` fails on times past about 9.2e18 (after `HSET` would have run).
 */
export const PUT_SCRIPT = `local current = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
if not string.match(ARGV[2], '^%d+$') or not string.match(ARGV[4], '^%d+$') or #ARGV[2] > 16 or #ARGV[4] > 16 then
  return redis.error_reply('sessionflow: malformed version or expiresAt')
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1`

/**
 * Id rotation in one round trip. KEYS[1] = old session key, KEYS[2] = new session key; ARGV =
 * expected version of the old one, new version, session JSON, expiresAt (integer Unix ms). Every
 * check happens before the first write, as in {@link PUT_SCRIPT}.
 */
export const ROTATE_SCRIPT = `if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if not string.match(ARGV[2], '^%d+$') or not string.match(ARGV[4], '^%d+$') then
  return redis.error_reply('sessionflow: malformed version or expiresAt')
end
redis.call('HSET', KEYS[2], 'v', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
redis.call('DEL', KEYS[1])
return 1`

/** A Lua script and its SHA-1, computed once and then reused. */
interface Script {
  readonly text: string
  sha?: Promise<string | undefined>
}

const PUT: Script = { text: PUT_SCRIPT }
const ROTATE: Script = { text: ROTATE_SCRIPT }

const DEFAULT_TIMEOUT_MS = 2_000
/** The last time a JavaScript `Date` can hold, in ms. */
const MAX_TIME_MS = 8.64e15

/**
 * A {@link SessionStore} on Redis. `get` is one `HGET`, `put` one `EVALSHA` of
 * {@link PUT_SCRIPT} (compare-and-set on the version, write, `PEXPIREAT` from `expiresAt`),
 * `delete` one `DEL`; each touches exactly one key, so Redis Cluster routes them by hash slot.
 *
 * Redis expires keys on its own clock from `expiresAt`, so the engine's clock must be wall-clock
 * Unix ms (the default `systemClock`); the engine still checks `expiresAt` itself on every read.
 */
export class RedisStore implements SessionStore {
  readonly #send: RedisSend
  readonly #prefix: string
  readonly #timeoutMs: number | undefined

  /** Wraps a client; sends nothing until the first call. */
  constructor(options: RedisStoreOptions) {
    const { send, prefix, timeoutMs } = readClientOptions('RedisStore', options, { prefix: 'sessionflow:', timeoutMs: DEFAULT_TIMEOUT_MS })
    this.#send = send
    this.#prefix = prefix
    this.#timeoutMs = timeoutMs
  }


  /** The Redis key of a session id. */
  keyOf(id: string): string {
    return this.#prefix + id
  }

  /** The stored session (parsed from JSON, not frozen: the engine freezes it), or `undefined`. */
  async get(id: string): Promise<Session | undefined> {
    const key = this.keyOf(id)
    const reply = await this.#run('get', key, () => this.#send(['HGET', key, 'd'], key))
    if (reply === null || reply === undefined) return undefined
    return parseSession(decode(reply), id, key)
  }

  /** Compare-and-set write in one round trip; `false` when the stored version is not `expectedVersion`. */
  async put(session: Session, expectedVersion: number | undefined): Promise<boolean> {
    checkSession(session, expectedVersion)
    const key = this.keyOf(session.id)
    const argv = [expectedVersion === undefined ? '' : String(expectedVersion), ...sessionArgs(session)]
    return yesNo('put', await this.#run('put', key, () => this.#eval(PUT, [key], argv)))
  }

  /**
   * Atomic id rotation in one round trip ({@link ROTATE_SCRIPT}): `session` written under its new
   * key and the old key deleted, if the old one is at `expectedVersion` and the new one is free.
   * `undefined` when Redis Cluster refuses the two keys in one script (different hash slots): the
   * engine then rotates with two compare-and-set puts.
   */
  async rotate(session: Session, fromId: string, expectedVersion: number): Promise<boolean | undefined> {
    checkSession(session, expectedVersion)
    const from = this.keyOf(fromId)
    const key = this.keyOf(session.id)
    try {
      return yesNo('rotate', await this.#run('rotate', from, () => this.#eval(ROTATE, [from, key], [String(expectedVersion), ...sessionArgs(session)])))
    } catch (error) {
      if (String((error as Error)?.message ?? error).includes('CROSSSLOT')) return undefined
      throw error
    }
  }

  /** Removes the session; no error when it is absent. */
  async delete(id: string): Promise<void> {
    const key = this.keyOf(id)
    await this.#run('delete', key, () => this.#send(['DEL', key], key))
  }

  /** EVALSHA, falling back to EVAL (which also caches the script) when the server does not know it yet. */
  async #eval(script: Script, keys: string[], argv: string[]): Promise<unknown> {
    const sha = await (script.sha ??= sha1Hex(script.text))
    const route = keys[0]!
    if (sha !== undefined) {
      try {
        return await this.#send(['EVALSHA', sha, String(keys.length), ...keys, ...argv], route)
      } catch (error) {
        if (!String((error as Error)?.message ?? error).includes('NOSCRIPT')) throw error
      }
    }
    return this.#send(['EVAL', script.text, String(keys.length), ...keys, ...argv], route)
  }


  /** Runs one operation under the timeout. */
  #run<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    return withTimeout(`RedisStore: ${operation} of ${key}`, this.#timeoutMs, call)
  }

}

/** Refuses what the scripts could only half-apply (a version or time Redis would reject after the first write). */
function checkSession(session: Session, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && !Number.isSafeInteger(expectedVersion)) {
    throw new TypeError(`RedisStore: expectedVersion must be an integer or undefined, got ${expectedVersion}`)
  }
  if (!Number.isSafeInteger(session.version) || session.version < 0) {
    throw new TypeError(`RedisStore: session.version must be a non-negative integer, got ${session.version}`)
  }
  // a JavaScript date ends at 8.64e15 ms; anything later (or not a number) could make PEXPIREAT fail after HSET
  if (!(Math.abs(session.expiresAt) <= MAX_TIME_MS)) {
    throw new TypeError(`RedisStore: session.expiresAt must be a time in ms within ±${MAX_TIME_MS}, got ${session.expiresAt}`)
  }
}

/** New version, session JSON, expiry: the script arguments after the expected version. */
function sessionArgs(session: Session): string[] {
  // PEXPIREAT wants an integer; rounding up never expires a session early. A time at or before
  // the epoch still means "already expired": Redis deletes the key at once.
  return [String(session.version), JSON.stringify(session), String(Math.max(1, Math.ceil(session.expiresAt)))]
}

function yesNo(script: string, reply: unknown): boolean {
  if (reply === 1) return true
  if (reply === 0) return false
  throw new Error(`RedisStore: unexpected reply to the ${script} script: ${String(reply)}`)
}

function parseSession(text: string, id: string, key: string): Session {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error(`RedisStore: ${key} does not hold valid JSON`)
  }
  const s = value as Partial<Session> | null
  if (
    typeof s !== 'object' ||
    s === null ||
    s.id !== id ||
    !Number.isSafeInteger(s.version) ||
    typeof s.createdAt !== 'number' ||
    typeof s.updatedAt !== 'number' ||
    typeof s.expiresAt !== 'number' ||
    typeof s.namespaces !== 'object' ||
    s.namespaces === null
  ) {
    throw new Error(`RedisStore: ${key} does not hold a sessionflow session`)
  }
  return s as Session
}

/** SHA-1 of the script for EVALSHA; `undefined` where Web Crypto is missing (then EVAL is used). */
async function sha1Hex(text: string): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle
  if (subtle === undefined) return undefined
  let digest: Uint8Array
  try {
    digest = new Uint8Array(await subtle.digest('SHA-1', new TextEncoder().encode(text)))
  } catch {
    return undefined
  }
  let hex = ''
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0')
  return hex
}
