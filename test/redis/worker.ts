/**
 * One "server process" for the multi-process test and the Redis benchmark: its own ioredis
 * connection, its own SessionEngine on a RedisStore. Forked with `--import tsx`; talks to the
 * parent over IPC: job -> ready -> go -> done. Only the parent may import this module's types:
 * importing it for values would install its IPC listener in the importing process.
 *
 * - `shared`: `patches` concurrent read-modify-write patches spread over the given (shared)
 *   session ids; each increments `public.count` and adds a key unique to this worker and patch.
 * - `bench`: creates `sessions` sessions of its own, then runs `patches` patches with
 *   `concurrency` in flight, and reports how long that took.
 */
import { SessionEngine, recipe } from '../../src/index'
import { RedisStore } from '../../src/redis'
import { commerceApps } from '../support/commerce'
import { tallyApp } from './apps'
import { connect } from '../support/redis'

/** What the parent sends first. */
export interface WorkerJob {
  readonly mode: 'shared' | 'bench'
  readonly url: string
  readonly prefix: string
  readonly worker: number
  readonly patches: number
  /** shared mode: the sessions to patch. */
  readonly ids?: readonly string[]
  /** bench mode. */
  readonly sessions?: number
  readonly concurrency?: number
}

/** One saved patch, as the worker saw it. */
export interface PatchOutcome {
  readonly id: string
  readonly version: number
  readonly attempts: number
}

/** Messages the worker sends. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly outcomes: readonly PatchOutcome[]; readonly elapsedMs: number }
  | { readonly type: 'error'; readonly message: string }

/** Resolves once the message is handed to the IPC channel, so disconnecting cannot drop it. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())))
}

async function main(job: WorkerJob): Promise<void> {
  const client = connect(job.url)
  const store = new RedisStore({ client, prefix: job.prefix })
  // default settings: the default retry policy must be enough for the shared-sessions run
  const engine = new SessionEngine({ apps: [...commerceApps, tallyApp], store })
  await client.ping()
  let ids = job.ids ?? []
  if (job.mode === 'bench') {
    const created = await Promise.all(Array.from({ length: job.sessions ?? 100 }, () => engine.create({ public: { country: 'DE' } })))
    ids = created.map((r) => r.session.id)
  }
  await send({ type: 'ready' })
  await new Promise<void>((resolve) => process.once('message', () => resolve()))
  const started = performance.now()
  let outcomes: PatchOutcome[]
  if (job.mode === 'shared') {
    outcomes = await Promise.all(
      Array.from({ length: job.patches }, (_, i) => {
        const id = ids[i % ids.length]!
        return engine
          .patch(id, recipe((draft) => {
            const pub = draft.public!
            pub.count = (pub.count as number) + 1
            pub[`w${job.worker}_${i}`] = i
          }))
          .then((r) => ({ id, version: r.session.version, attempts: r.report.attempts }))
      }),
    )
  } else {
    outcomes = []
    let next = 0
    const lane = async () => {
      while (next < job.patches) {
        const i = next++
        const id = ids[i % ids.length]!
        const r = await engine.patch(id, { public: { postalCode: String(10_000 + i), n: i } })
        outcomes.push({ id, version: r.session.version, attempts: r.report.attempts })
      }
    }
    await Promise.all(Array.from({ length: job.concurrency ?? 32 }, lane))
  }
  const elapsedMs = performance.now() - started
  await send({ type: 'done', outcomes, elapsedMs })
  await client.quit()
  process.disconnect()
}

process.once('message', (job: WorkerJob) => {
  main(job).catch(async (error: unknown) => {
    process.exitCode = 1
    await send({ type: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
    process.disconnect()
  })
})
