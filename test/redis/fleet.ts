/**
 * Runs several worker processes (test/redis/worker.ts) at once: forks them, waits until every
 * one is connected and ready, releases them together, and collects what they report.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { PatchOutcome, WorkerJob, WorkerMessage } from './worker'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

/** What a fleet run produced. */
export interface FleetResult {
  /** Per worker, in job order. */
  readonly outcomes: readonly (readonly PatchOutcome[])[]
  /** Wall time from releasing the workers to the last one reporting, ms. */
  readonly wallMs: number
}

/** Forks one process per job, starts them together, resolves when all are done; rejects if one fails. */
export async function runFleet(jobs: readonly WorkerJob[]): Promise<FleetResult> {
  const children: ChildProcess[] = []
  let ok = false
  try {
    const ready: Promise<void>[] = []
    const done: Promise<readonly PatchOutcome[]>[] = []
    for (const job of jobs) {
      const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      children.push(child)
      let onReady!: () => void
      let onDone!: (outcomes: readonly PatchOutcome[]) => void
      let onError!: (error: Error) => void
      ready.push(new Promise<void>((resolve) => (onReady = resolve)))
      done.push(
        new Promise<readonly PatchOutcome[]>((resolve, reject) => {
          onDone = resolve
          onError = reject
        }),
      )
      // a failure before "ready" must reject the ready wait too, or the fleet would hang
      ready[ready.length - 1] = Promise.race([ready[ready.length - 1]!, done[done.length - 1]!.then(() => undefined)])
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') onReady()
        else if (message.type === 'done') onDone(message.outcomes)
        else onError(new Error(`worker ${job.worker}: ${message.message}`))
      })
      // 'close' comes after the IPC channel is drained, so a report sent just before exiting is not lost
      child.on('close', (code) => onError(new Error(`worker ${job.worker} exited with code ${code} before reporting`)))
      child.send(job)
    }
    await Promise.all(ready)
    const started = performance.now()
    for (const child of children) child.send('go')
    const outcomes = await Promise.all(done)
    ok = true
    return { outcomes, wallMs: performance.now() - started }
  } finally {
    // on success the workers quit by themselves; after a failure, stop whatever still runs
    if (!ok) for (const child of children) if (child.exitCode === null) child.kill()
  }
}
