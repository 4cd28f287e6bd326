import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'
import { LoudLineReporter, missingRedis, redisNotRunLine, redisSuites } from './support/redis-switch'

const root = fileURLToPath(new URL('..', import.meta.url))

// The Redis suites run whenever a Redis can be found; without one they are left out (said loudly
// at the end) unless SESSIONFLOW_REQUIRE_REDIS=1 (CI), which keeps them in so that they fail
const noRedis = missingRedis()
const leftOut = noRedis === undefined || process.env.SESSIONFLOW_REQUIRE_REDIS === '1' ? [] : redisSuites(root)

// here rather than at the top level, which the design card keeps to src/, test/ and the package files
export default defineConfig({
  root,
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...leftOut],
    reporters: leftOut.length === 0 ? ['default'] : ['default', new LoudLineReporter(redisNotRunLine(leftOut, noRedis!))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // type tests (*.test-d.ts): expectTypeOf assertions and @ts-expect-error negatives
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      // only the type tests and what they import: other test files are type-checked by `npm run typecheck`
      tsconfig: 'test/tsconfig.typecheck.json',
    },
  },
})
