/**
 * `npm run bench:redis`: patches per second with 1, 2 and 4 processes against one Redis.
 *
 * Each process (test/redis/worker.ts) has its own connection and engine with the realistic app
 * graph, creates 100 sessions of its own, then runs BENCH_PATCHES patches (default 10000) with 32 in
 * flight; each patch changes `public.postalCode`, which runs the checkout app and saves (one HGET
 * and one EVALSHA). Throughput = all patches / wall time from the common start to the last
 * process finishing. Uses SESSIONFLOW_REDIS_URL, else starts a private redis-server.
 */
import { availableParallelism } from 'node:os'
import { runFleet } from './fleet'
import { startRedis, uniquePrefix } from '../support/redis'

const PATCHES = Number(process.env.BENCH_PATCHES ?? 10_000)
const CONCURRENCY = 32

async function main(): Promise<void> {
  const redis = await startRedis()
  try {
    console.log(`sessionflow Redis benchmark: ${PATCHES} patches per process, ${CONCURRENCY} in flight each, ${availableParallelism()} CPUs, Node ${process.version}`)
    console.log('')
    console.log('| processes | patches | wall ms | patches/s | conflict retries |')
    console.log('| --: | --: | --: | --: | --: |')
    for (const processes of [1, 2, 4]) {
      const prefix = uniquePrefix(`bench${processes}`)
      const { outcomes, wallMs } = await runFleet(
        Array.from({ length: processes }, (_, worker) => ({
          mode: 'bench' as const,
          url: redis.url,
          prefix,
          worker,
          patches: PATCHES,
          sessions: 100,
          concurrency: CONCURRENCY,
        })),
      )
      const all = outcomes.flat()
      const retries = all.reduce((n, o) => n + o.attempts - 1, 0)
      const rate = Math.round(all.length / (wallMs / 1_000))
      console.log(`| ${processes} | ${all.length} | ${Math.round(wallMs)} | ${rate} | ${retries} |`)
    }
  } finally {
    await redis.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
