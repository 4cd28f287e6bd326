/**
 * The one way `sessionflow/redis` talks to Redis: the host's client (ioredis, node-redis, or a
 * function sending one command), each call under a timeout. No Node API, no dependency.
 */

/**
 * Sends one Redis command and resolves with its reply. `args` is the whole command
 * (`['HGET', 'sessionflow:abc', 'd']`); `key` is the one key it touches, for clients that must
 * route by key themselves (node-redis cluster: `(args, key) => cluster.sendCommand(key, false, args)`).
 */
export type RedisSend = (args: string[], key: string) => Promise<unknown>

/** An ioredis `Redis` or `Cluster` (anything with `call(command, ...args)`). */
export interface IoredisLike {
  /** ioredis' generic command method. */
  call(command: string, ...args: string[]): Promise<unknown>
}

/** A node-redis (v4/v5) client created by `createClient()` (anything with `sendCommand(args)`). */
export interface NodeRedisLike {
  /** node-redis' generic command method. */
  sendCommand(args: string[]): Promise<unknown>
}

/** What {@link RedisStore} accepts as `client`: an ioredis client, a node-redis client, or a {@link RedisSend} function. */
export type RedisClientLike = IoredisLike | NodeRedisLike | RedisSend

/** Turns any accepted client into one {@link RedisSend} function; throws `TypeError` for anything else. */
export function toSend(client: RedisClientLike): RedisSend {
  if (typeof client === 'function') return client
  if (typeof client === 'object' && client !== null) {
    // ioredis has both methods; its sendCommand takes a Command object, so `call` is checked first
    const io = client as Partial<IoredisLike>
    if (typeof io.call === 'function') return (args) => io.call!(args[0]!, ...args.slice(1))
    const nodeRedis = client as Partial<NodeRedisLike>
    if (typeof nodeRedis.sendCommand === 'function') return (args) => nodeRedis.sendCommand!(args)
  }
  throw new TypeError('RedisStore: client must be an ioredis client, a node-redis client or a (args, key) => Promise function')
}

/** A reply as text. Replies may come back as strings or, with some client settings, as bytes. */
export function decode(reply: unknown): string {
  if (typeof reply === 'string') return reply
  if (reply instanceof Uint8Array) return new TextDecoder().decode(reply)
  throw new Error(`RedisStore: unexpected reply type ${typeof reply}`)
}

/**
 * Runs `call` and rejects when it has not settled within `ms` (no limit when `undefined`); a late
 * reply is ignored and its rejection swallowed. `what` names the operation in the error.
 */
export function withTimeout<T>(what: string, ms: number | undefined, call: () => Promise<T>): Promise<T> {
  const started = Promise.resolve().then(call)
  if (ms === undefined) return started
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      started.catch(() => undefined)
      reject(new Error(`${what} got no reply within ${ms} ms`))
    }, ms)
    started.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/** The options every `sessionflow/redis` class takes. */
export interface RedisClientOptions {
  readonly client: RedisClientLike
  readonly prefix?: string
  readonly timeoutMs?: number | false
}

/** Checks the common options (throws `TypeError` naming `owner`) and fills in the defaults. */
export function readClientOptions(
  owner: string,
  options: RedisClientOptions,
  defaults: { prefix: string; timeoutMs: number },
): { send: RedisSend; prefix: string; timeoutMs: number | undefined } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${owner}: options must be an object`)
  const send = toSend(options.client)
  const prefix = options.prefix ?? defaults.prefix
  if (typeof prefix !== 'string') throw new TypeError(`${owner}: prefix must be a string`)
  const timeout = options.timeoutMs ?? defaults.timeoutMs
  if (timeout !== false && !(typeof timeout === 'number' && timeout > 0)) throw new TypeError(`${owner}: timeoutMs must be a number > 0 or false`)
  return { send, prefix, timeoutMs: timeout === false ? undefined : timeout }
}
