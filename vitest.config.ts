import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // type tests (*.test-d.ts): expectTypeOf assertions and @ts-expect-error negatives
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      // only the type tests and what they import: other test files are type-checked by `npm run typecheck`
      tsconfig: 'test/tsconfig.typecheck.json',
    },
    benchmark: {
      include: ['test/bench/**/*.bench.ts'],
    },
  },
})
