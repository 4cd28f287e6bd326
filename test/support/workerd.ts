/**
 * Starts a support worker module in Cloudflare's workerd through Miniflare: bundled with esbuild
 * for the browser platform (as wrangler does), checked to carry no Node import, its console
 * collected so a test can assert that nothing was logged as an error.
 */
import { build } from 'esbuild'
import { Miniflare, type MiniflareOptions } from 'miniflare'

/** What a test may add to the worker's options: where its outbound `fetch` calls go. */
export interface WorkerOptions {
  readonly outboundService?: unknown
}
import { expect } from 'vitest'

/** A worker running in workerd, and what it printed. */
export interface RunningWorker {
  readonly mf: Miniflare
  /** Everything the worker wrote to stdout and stderr so far. */
  log(): string
}

/** Bundles `entry` (a file path) and starts it; `options` may add e.g. an `outboundService`. */
export async function startWorker(entry: string, options: WorkerOptions = {}): Promise<RunningWorker> {
  const bundled = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    // immer reads process.env.NODE_ENV, which workerd does not have
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  const script = bundled.outputFiles[0]!.text
  expect(script).not.toMatch(/\brequire\(["']node:/)
  let log = ''
  const mf = new Miniflare({
    ...options,
    modules: true,
    script,
    compatibilityDate: '2025-07-01',
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (chunk) => (log += chunk))
      stderr.on('data', (chunk) => (log += chunk))
    },
  } as MiniflareOptions)
  await mf.ready
  return { mf, log: () => log }
}
