/**
 * Whether the Redis suites can run, decided once per vitest run (by test/vitest.config.ts): a
 * Redis is found when SESSIONFLOW_REDIS_URL is set or `redis-server` is on PATH (the tests start
 * their own). When none is found the suites are left out and one loud line at the end of the run
 * says which and how to run them; SESSIONFLOW_REQUIRE_REDIS=1 keeps them in, so they fail.
 * Imports no test runner: the vitest config loads it.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'

/** How to get a Redis for the tests. */
export const REDIS_HOW_TO =
  'install redis-server (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) so the tests ' +
  'start their own, or point SESSIONFLOW_REDIS_URL at a running server (e.g. redis://127.0.0.1:6379)'

/** Why `redis-server` cannot be started from PATH, or `undefined` when it can. */
export function redisServerProblem(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined) return `redis-server is not on PATH (${probe.error.message})`
  if (probe.status !== 0) return `redis-server --version failed: ${probe.stderr}`
  return undefined
}

/** Why no Redis can be found for this run, or `undefined` when one can. */
export function missingRedis(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SESSIONFLOW_REDIS_URL !== undefined && env.SESSIONFLOW_REDIS_URL !== '') return undefined
  const problem = redisServerProblem()
  return problem === undefined ? undefined : `${problem}, and SESSIONFLOW_REDIS_URL is not set`
}

/** The test files (relative to `root`) that need a Redis: those that start one. */
export function redisSuites(root: string): string[] {
  const found: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.test.ts') && /\b(useRedis|startRedis)\(/.test(readFileSync(path, 'utf8'))) found.push(relative(root, path))
    }
  }
  walk(join(root, 'test'))
  return found.sort()
}

/** The one loud line printed at the end of a run that left the Redis suites out. */
export function redisNotRunLine(files: readonly string[], why: string): string {
  return (
    `REDIS SUITES NOT RUN (${files.length} files: ${files.join(', ')}): ${why}. ` +
    `To run them, ${REDIS_HOW_TO}; SESSIONFLOW_REQUIRE_REDIS=1 makes a missing Redis fail the run.`
  )
}

/** A vitest reporter that prints `line` after the summary: one line, bold yellow on a terminal. */
export class LoudLineReporter {
  constructor(private readonly line: string) {}

  onTestRunEnd(): void {
    const text = `!!! ${this.line}`
    process.stdout.write(`\n${process.stdout.isTTY === true ? `\x1b[1;33m${text}\x1b[0m` : text}\n`)
  }
}
