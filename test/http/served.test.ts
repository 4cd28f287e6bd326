/**
 * The server programs the docs print (blocks marked `<!-- served-by-test: RUNTIMES -->` in
 * README.md, src/http/README.md and test/package/README.md, type-checked by the docs harness but not run by it because
 * they listen forever) are started here, exactly as printed, and driven over HTTP: Node through
 * tsx, workerd through Miniflare, Deno and Bun from one esbuild bundle of the block.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Plugin, build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, devBinary } from '../package/consumer'
import { entryPoints, extractBlocks, moduleOf } from '../package/docs'
import { Visitor } from '../support/http-client'
import { SEGMENT, SESSION } from '../support/http-scenario'

const GUIDES = ['README.md', 'src/http/README.md', 'test/package/README.md']
const KEY = 'k'.repeat(40)
const tmp = mkdtempSync(join(tmpdir(), 'sessionflow-served-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface Served {
  readonly file: string
  readonly line: number
  readonly code: string
  readonly runtimes: readonly string[]
}

/** The marked blocks; every `ts no-run` block that imports sessionflow/http must be one of them. */
function servedBlocks(): Served[] {
  const served: Served[] = []
  for (const file of GUIDES) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const marked = [...text.matchAll(/<!-- served-by-test: ([\w ]+) -->\n```ts no-run\n([\s\S]*?)\n```/g)]
    for (const match of marked) {
      const line = text.slice(0, match.index).split('\n').length + 2
      served.push({ file, line, code: match[2]!, runtimes: match[1]!.trim().split(/\s+/) })
    }
    const unmarked = extractBlocks(file, text).filter(
      (block) => !block.run && block.code.includes("'sessionflow/http'") && !served.some((s) => s.file === file && s.line === block.line),
    )
    expect(unmarked.map((block) => `${file}:${block.line}`), 'server blocks nobody runs').toEqual([])
  }
  return served
}

/** The visitor's journey any of the printed servers must support. `currency`: the block has the currency app. */
async function journey(visitor: Visitor, currency: boolean): Promise<void> {
  const lazy = await visitor.get('/api/sessions')
  expect(lazy.status).toBe(200)
  expect(lazy.body.id).toBe(null)
  expect(lazy.set.has(SESSION)).toBe(false)
  const created = await visitor.post('/api/sessions?utm_source=ad', { public: { country: { value: 'BR' } } })
  expect(created.status).toBe(201)
  expect(created.body.sessionToken).toBe(visitor.cookies.get(SESSION))
  const read = await visitor.get('/api/sessions?items=public.*,store.*')
  expect(read.body.namespaces.public).toEqual({ utm_source: { value: 'ad' }, country: { value: 'BR' } })
  expect(read.body.namespaces.store).toEqual(currency ? { currencyCode: { value: 'BRL' } } : undefined)
  const patched = await visitor.patch('/api/sessions', { public: { country: { value: 'US' } } })
  expect(patched.status).toBe(200)
  expect(patched.body.namespaces.public.country).toEqual({ value: 'US' })
  expect(patched.set.has(SEGMENT)).toBe(currency)
  const segment = await visitor.get('/api/segments')
  expect(segment.body).toEqual(currency ? { store: { currencyCode: 'USD' } } : {})
  expect((await visitor.delete('/api/sessions')).status).toBe(204)
  expect((await visitor.get('/api/sessions')).body.id).toBe(null)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Starts a program that serves on `port`, waits until it answers, runs `body`, then stops it. */
async function whileServing(command: string, args: string[], env: Record<string, string>, port: number, body: (base: string) => Promise<void>) {
  let output = ''
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const base = `http://127.0.0.1:${port}`
  try {
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}:\n${output}`)
      try {
        await fetch(`${base}/api/segments`)
        break
      } catch {
        if (attempt > 300) throw new Error(`${command} never answered on ${base}:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    await body(base)
  } finally {
    child.kill()
    await exited
  }
}

/** The block bundled into one ES module, `sessionflow` and its subpaths taken from the sources. */
async function bundle(block: Served, platform: 'browser' | 'neutral'): Promise<string> {
  const sources: Plugin = {
    name: 'sessionflow-sources',
    setup(b) {
      const entries = entryPoints()
      b.onResolve({ filter: /^sessionflow(\/[\w-]+)?$/ }, (args) => ({ path: join(ROOT, entries[args.path]!) }))
    },
  }
  const result = await build({
    stdin: { contents: block.code, resolveDir: ROOT, loader: 'ts', sourcefile: `${block.file}:${block.line}` },
    bundle: true,
    format: 'esm',
    platform,
    target: 'es2022',
    write: false,
    plugins: [sources],
    ...(platform === 'neutral' ? { mainFields: ['module', 'main'] } : { define: { 'process.env.NODE_ENV': '"production"' } }),
  })
  return result.outputFiles[0]!.text
}

const blocks = servedBlocks()

describe('the server programs the docs print', () => {
  it('there are some: Hono and node:http on Node, a Worker, Deno and Bun', () => {
    const runtimes = blocks.flatMap((block) => block.runtimes).sort()
    expect(new Set(runtimes)).toEqual(new Set(['bun', 'deno', 'node', 'worker']))
    expect(blocks.some((block) => block.file === 'README.md')).toBe(true)
  })

  for (const [i, block] of blocks.entries()) {
    const currency = block.code.includes("name: 'currency'")
    for (const runtime of block.runtimes) {
      it(`${block.file}:${block.line} on ${runtime}`, async () => {
        if (runtime === 'node') {
          const url = moduleOf({ file: block.file, line: block.line, code: block.code, run: false }, i, tmp)
          const port = await freePort()
          await whileServing(process.execPath, ['--import', 'tsx', new URL(url).pathname], { SESSION_KEY: KEY, PORT: String(port) }, port, (base) =>
            journey(new Visitor(base), currency),
          )
        } else if (runtime === 'worker') {
          const mf = new Miniflare({ modules: true, script: await bundle(block, 'browser'), compatibilityDate: '2025-07-01', bindings: { SESSION_KEY: KEY } })
          try {
            await journey(new Visitor('http://localhost', (u, init) => mf.dispatchFetch(u, init as never) as unknown as Promise<Response>), currency)
          } finally {
            await mf.dispose()
          }
        } else {
          const file = join(tmp, `block${i}.mjs`)
          writeFileSync(file, await bundle(block, 'neutral'))
          const port = await freePort()
          const [command, args] =
            runtime === 'deno'
              ? [devBinary('deno'), ['serve', '--port', String(port), '--host', '127.0.0.1', '--allow-env=SESSION_KEY,NODE_ENV', file]]
              : [devBinary('bun'), [file]]
          await whileServing(command, args, { SESSION_KEY: KEY, PORT: String(port), DENO_NO_UPDATE_CHECK: '1' }, port, (base) =>
            journey(new Visitor(base), currency),
          )
        }
      }, 60_000)
    }
  }
})
