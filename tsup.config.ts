import { defineConfig } from 'tsup'

/**
 * Entry points: one line each, `name: source`. Each becomes dist/NAME.js (ESM), dist/NAME.cjs
 * (CommonJS) and their .d.ts/.d.cts, and needs its `exports` subpath in package.json
 * (`.` for index, `./NAME` otherwise) with `import`/`require` conditions, each with its own
 * `types`; test/runtimes/package.test.ts fails until the two agree.
 */
const entry = {
  index: 'src/index.ts',
  redis: 'src/redis/index.ts',
  testing: 'src/testing/index.ts',
  http: 'src/http/index.ts',
  vtex: 'src/vtex/index.ts',
}

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // no source maps: they would point at src/, which the package does not ship
  sourcemap: false,
  target: 'es2022',
  // no Node built-ins, no Node globals: the same files run in Deno, Bun and workerd
  platform: 'neutral',
  external: ['immer'],
  // Code shared by several entries goes into one chunk, for CommonJS too (tsup splits only ESM by
  // default). Without it, dist/testing.cjs would carry its own copy of the engine, so an error or
  // a ManualClock from `require('sessionflow/testing')` would fail `instanceof` against the
  // classes of `require('sessionflow')`.
  splitting: true,
})
