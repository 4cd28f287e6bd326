/**
 * Finds the Redis the tests run against: SESSIONFLOW_REDIS_URL when set (`.ci/run` starts one),
 * else a private redis-server started here (no persistence, loopback, random port). Test files
 * that use it are left out of a run that has neither (see `redis-switch.ts`); started anyway
 * (SESSIONFLOW_REQUIRE_REDIS=1) they fail, saying how to get a Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { REDIS_HOW_TO, redisServerProblem } from './redis-switch'

/** A reachable Redis and how to let go of it. */
export interface TestRedis {
  /** `redis://127.0.0.1:port`. */
  readonly url: string
  /** Stops the server if this process started it. */
  stop(): Promise<void>
}

const INSTALL_HINT = `Redis tests need a Redis: ${REDIS_HOW_TO}. \`.ci/run\` does both for CI.`

/** The Redis to test against; throws (with how to fix it) when there is none. */
export async function startRedis(): Promise<TestRedis> {
  const fromEnv = process.env.SESSIONFLOW_REDIS_URL
  if (fromEnv !== undefined && fromEnv !== '') {
    await ping(fromEnv, `SESSIONFLOW_REDIS_URL=${fromEnv}`)
    return { url: fromEnv, stop: async () => undefined }
  }
  const problem = redisServerProblem()
  if (problem !== undefined) throw new Error(`${problem}. ${INSTALL_HINT}`)
  const port = await freePort()
  // redis-server runs under a small shell that stops it when our stdin pipe closes, so a test
  // worker that dies without running afterAll (crash, kill -9) leaves no server behind
  const child = spawn(
    'sh',
    [
      '-c',
      'redis-server "$@" & pid=$!; trap \'kill $pid 2>/dev/null\' EXIT INT TERM; read -r _ || true; kill $pid 2>/dev/null; wait $pid',
      'sh',
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const url = `redis://127.0.0.1:${port}`
  try {
    await waitForPing(url, child)
  } catch (error) {
    child.stdin?.end() // the shell stops redis-server
    throw new Error(`could not start redis-server on port ${port}: ${(error as Error).message} ${stderr}`)
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.stdin?.end()
      await exited
    },
  }
}

/** An ioredis client that fails fast instead of queueing forever while Redis is away. */
export function connect(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 5_000, lazyConnect: false })
}

async function ping(url: string, what: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null })
  client.on('error', () => undefined) // reported through connect()'s rejection instead
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    throw new Error(`Redis at ${what} is not reachable: ${(error as Error).message}. ${INSTALL_HINT}`)
  } finally {
    client.disconnect()
  }
}

async function waitForPing(url: string, child: ChildProcess): Promise<void> {
  let last: unknown
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`)
    try {
      await ping(url, url)
      return
    } catch (error) {
      last = error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  throw last
}

/** A loopback TCP port nothing listens on (at the time of asking). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** A key prefix unique to this run, so test files and runs sharing one Redis never collide. */
export function uniquePrefix(name: string): string {
  return `sessionflow-test:${name}:${process.pid}:${Date.now().toString(36)}:`
}
