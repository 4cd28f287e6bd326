import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// here rather than at the top level, which the design card keeps to src/, test/ and the package files
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
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
  },
})
