/** Apps used by the Redis worker processes and the tests that check their results. */
import { defineApp } from '../../src/index'

/** Mirrors the counter into another namespace, so every counting patch also runs a wave. */
export const tallyApp = defineApp({
  name: 'tally',
  input: { public: ['count'] },
  output: { stats: ['double'] },
  transform: (input) => ({ stats: { double: typeof input.public.count === 'number' ? input.public.count * 2 : undefined } }),
})
