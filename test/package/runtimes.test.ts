// The BUILT package in real runtimes: Node through `require` and `import`, Deno, Bun, and
// Cloudflare's workerd through Miniflare. Each runs (1) the README example for that runtime,
// exactly as printed, and (2) the shared scenario in fixtures/scenario.mjs. Everything runs
// against the packed tarball installed into a temporary consumer project (see consumer.ts).
// A runtime that is missing or cannot start fails its test; nothing is skipped.
import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Consumer, ROOT, devBinary, makeConsumer, run, runOk } from './consumer'
import { promisedOutput, readSnippets, shellWords } from './snippets'

const snippets = readSnippets()
const NODE = process.execPath
const COMPATIBILITY_DATE = '2025-07-01'

/** What fixtures/scenario.mjs must return in every runtime (plus `runtime`, checked apart). */
const SCENARIO = {
  create: {
    version: 1,
    expiresAt: 61_000,
    namespaces: { public: { country: 'DE' }, store: { channel: 'web', currencyCode: 'EUR' } },
    waves: ['create:store', 'changes:store+region'],
  },
  abortReason: 'TimeoutError',
  // the slow app timed out in the patch and again in the JSON Patch (which changes the postal code)
  timeouts: 2,
  patch: {
    version: 2,
    namespaces: {
      public: { country: 'DE', postalCode: '10115' },
      store: { channel: 'web', currencyCode: 'EUR' },
      checkout: { regionId: 'DE-1' },
    },
    patch: [
      { op: 'add', path: '/public/postalCode', value: '10115' },
      { op: 'add', path: '/checkout', value: { regionId: 'DE-1' } },
    ],
    slow: { status: 'failed', kind: 'timeout' },
  },
  jsonPatch: {
    version: 4,
    regionId: 'DE-8',
    patch: [
      { op: 'replace', path: '/public/postalCode', value: '80331' },
      { op: 'add', path: '/public/coupon', value: 'WELCOME' },
      { op: 'replace', path: '/checkout/regionId', value: 'DE-8' },
    ],
    removePatch: [{ op: 'remove', path: '/public/coupon' }],
  },
  get: { store: { channel: 'web' }, checkout: { regionId: 'DE-8' } },
  forbidden: { code: 'FORBIDDEN_WRITE', isForbidden: true, isBase: true },
  loop: {
    name: 'TransformLoopError',
    code: 'TRANSFORM_LOOP',
    reason: 'repeat',
    apps: ['flip'],
    params: ['public.light'],
    isLoopError: true,
    savedVersion: 1,
  },
  expiry: {
    aliveVersion: 4,
    // saved at 11,020: the clock was set to 11,000, then ran out the JSON Patch's 20 ms app timeout
    expiresAt: 71_020,
    expired: true,
    notFound: { code: 'SESSION_NOT_FOUND', isNotFound: true },
  },
  nowOnlyClock: ['slow-recommendations:timeout'],
  systemClock: { zone: '10' },
}

/** The README's worker build command as words, e.g. `['npx', 'esbuild', 'src/worker.ts', ...]`. */
const WORKER_BUILD = shellWords(snippets['worker-build'].trim())

/** A worker that patches with an immer recipe: the one kind of application whose bundle holds immer. */
const RECIPE_WORKER = `import { SessionEngine, recipe } from 'sessionflow'
export default {
  async fetch() {
    const engine = new SessionEngine()
    const { session } = await engine.create()
    const { session: next } = await engine.patch(session.id, recipe((draft) => { draft.public.n = 1 }))
    return Response.json(next.namespaces)
  },
}
`

/** How a test varies the README's build command. */
interface BuildVariant {
  /** Drop the `--define:process.env.NODE_ENV=...` flag. */
  readonly withoutDefine?: boolean
  /** Bundle for esbuild's `neutral` platform (which, unlike `browser`, leaves `process.env.NODE_ENV` alone). */
  readonly neutral?: boolean
}

/** Runs the README's esbuild command for `entry` (writing `outfile`), possibly varied; returns the bundle. */
async function bundleWorker(consumer: Consumer, entry: string, outfile: string, variant: BuildVariant = {}): Promise<string> {
  const [npx, esbuild, readmeEntry, ...flags] = WORKER_BUILD
  if (npx !== 'npx' || esbuild !== 'esbuild' || readmeEntry !== 'src/worker.ts' || !flags.includes('--platform=browser')) {
    throw new Error(`unexpected README worker build command: ${WORKER_BUILD.join(' ')}`)
  }
  const args = [entry]
  for (const flag of flags) {
    if (flag.startsWith('--define:') && variant.withoutDefine) continue
    if (flag.startsWith('--outfile=')) args.push(`--outfile=${outfile}`)
    // neutral has no default main fields; these are the browser ones, so only the platform's
    // own process.env.NODE_ENV handling differs
    else if (flag === '--platform=browser' && variant.neutral) args.push('--platform=neutral', '--main-fields=browser,module,main')
    else args.push(flag)
  }
  await runOk(devBinary('esbuild'), args, consumer.dir)
  return readFile(join(consumer.dir, outfile), 'utf8')
}

interface WorkerdAnswer {
  readonly status?: number
  readonly body?: string
  readonly startError?: string
  readonly log: string
}

/** Loads `script` as a module worker in workerd (Miniflare) and sends it one request. */
async function fetchFromWorkerd(script: string, url: string, compatibilityFlags: string[] = []): Promise<WorkerdAnswer> {
  let log = ''
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags,
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (chunk) => (log += chunk))
      stderr.on('data', (chunk) => (log += chunk))
    },
  })
  try {
    const response = await mf.dispatchFetch(url)
    return { status: response.status, body: await response.text(), log }
  } catch (error) {
    return { startError: String(error), log }
  } finally {
    // disposing a runtime that failed to start rejects too; the answer above already says why
    await mf.dispose().catch(() => undefined)
  }
}

function parseLastLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>
}

let consumer: Consumer

beforeAll(async () => {
  consumer = await makeConsumer()
  await mkdir(join(consumer.dir, 'node'))
  await mkdir(join(consumer.dir, 'deno'))
  await mkdir(join(consumer.dir, 'bun'))
  await mkdir(join(consumer.dir, 'src'))
  await consumer.write('node/main.mjs', snippets['node-esm'])
  await consumer.write('node/main.cjs', snippets['node-cjs'])
  await consumer.write('deno/main.ts', snippets.deno)
  await consumer.write('bun/main.ts', snippets.bun)
  await consumer.write('src/worker.ts', snippets.worker)
}, 60_000)

afterAll(async () => {
  await consumer?.dispose()
})

describe.concurrent('Node (the node running the tests, as a child process)', () => {
  it('import: the README example prints what it promises', async ({ expect }) => {
    const { stdout } = await runOk(NODE, ['main.mjs'], join(consumer.dir, 'node'))
    expect(stdout.trim()).toBe(promisedOutput(snippets['node-esm']))
  })

  it('require: the README example prints what it promises', async ({ expect }) => {
    const { stdout } = await runOk(NODE, ['main.cjs'], join(consumer.dir, 'node'))
    expect(stdout.trim()).toBe(promisedOutput(snippets['node-cjs']))
  })

  it('import: the scenario, on dist/index.js', async ({ expect }) => {
    const { stdout } = await runOk(NODE, ['run-esm.mjs'], consumer.dir)
    const { resolved, runtime, ...result } = parseLastLine(stdout)
    expect(runtime).toBe('node')
    expect(resolved).toMatch(/\/node_modules\/sessionflow\/dist\/index\.js$/)
    expect(result).toEqual(SCENARIO)
  })

  it('require: the scenario, on dist/index.cjs', async ({ expect }) => {
    const { stdout } = await runOk(NODE, ['run-cjs.cjs'], consumer.dir)
    const { resolved, runtime, ...result } = parseLastLine(stdout)
    expect(runtime).toBe('node')
    expect(resolved).toMatch(/[/\\]node_modules[/\\]sessionflow[/\\]dist[/\\]index\.cjs$/)
    expect(result).toEqual(SCENARIO)
  })
})

describe('every entry point of the package', () => {
  it('loads through import and require, and shares one copy of each class across entries', async () => {
    const { stdout } = await runOk(NODE, ['entries.mjs'], consumer.dir)
    const { specifiers, problems } = parseLastLine(stdout) as { specifiers: string[]; problems: string[] }
    expect(specifiers).toContain('sessionflow')
    expect(problems).toEqual([])
  })
})

describe.concurrent('Deno (node_modules/.bin/deno)', () => {
  it('the README command runs the README example', async ({ expect }) => {
    expect(readmeText()).toContain('deno run --allow-env=NODE_ENV main.ts')
    const { stdout } = await runOk(devBinary('deno'), ['run', '--allow-env=NODE_ENV', 'main.ts'], join(consumer.dir, 'deno'))
    expect(stdout.trim()).toBe(promisedOutput(snippets.deno))
  })

  it('without --allow-env=NODE_ENV it stops, as the README says', async ({ expect }) => {
    const ran = await run(devBinary('deno'), ['run', '--no-prompt', 'main.ts'], join(consumer.dir, 'deno'))
    expect(ran.code).not.toBe(0)
    expect(ran.stderr).toContain('NotCapable: Requires env access to "NODE_ENV"')
  })

  it('the scenario', async ({ expect }) => {
    const { stdout } = await runOk(devBinary('deno'), ['run', '--allow-env=NODE_ENV', 'run-esm.mjs'], consumer.dir)
    const { resolved, runtime, ...result } = parseLastLine(stdout)
    expect(runtime).toBe('deno')
    expect(resolved).toMatch(/\/node_modules\/sessionflow\/dist\/index\.js$/)
    expect(result).toEqual(SCENARIO)
  })
})

describe.concurrent('Bun (node_modules/.bin/bun)', () => {
  it('the README command runs the README example', async ({ expect }) => {
    expect(readmeText()).toContain('bun main.ts')
    const { stdout } = await runOk(devBinary('bun'), ['main.ts'], join(consumer.dir, 'bun'))
    expect(stdout.trim()).toBe(promisedOutput(snippets.bun))
  })

  it('the scenario', async ({ expect }) => {
    const { stdout } = await runOk(devBinary('bun'), ['run-esm.mjs'], consumer.dir)
    const { resolved, runtime, ...result } = parseLastLine(stdout)
    expect(runtime).toBe('bun')
    expect(resolved).toMatch(/\/node_modules\/sessionflow\/dist\/index\.js$/)
    expect(result).toEqual(SCENARIO)
  })
})

describe.concurrent('Cloudflare workerd (Miniflare), bundled with the README esbuild command', () => {
  it('the README worker answers what it promises', async ({ expect }) => {
    const script = await bundleWorker(consumer, 'src/worker.ts', 'dist/worker.js')
    const answer = await fetchFromWorkerd(script, 'http://localhost/?name=Ada')
    expect(answer.startError, answer.log).toBeUndefined()
    expect(answer.status).toBe(200)
    const promised = /→ (.+)$/.exec(promisedOutput(snippets.worker))![1]!
    expect(JSON.parse(answer.body!)).toEqual(JSON.parse(promised))
  })

  it('the scenario', async ({ expect }) => {
    const script = await bundleWorker(consumer, 'worker-scenario.mjs', 'dist/worker-scenario.js')
    // the bundle really holds the packed ESM build, not the work tree's sources
    expect(script).toContain('node_modules/sessionflow/dist/index.js')
    const answer = await fetchFromWorkerd(script, 'http://localhost/')
    expect(answer.startError, answer.log).toBeUndefined()
    const { runtime, ...result } = JSON.parse(answer.body!) as Record<string, unknown>
    expect(runtime).toBe('workerd')
    expect(result).toEqual(SCENARIO)
  })

  it('without the define, esbuild\'s browser platform still replaces process.env.NODE_ENV, and the worker runs', async ({ expect }) => {
    const script = await bundleWorker(consumer, 'src/worker.ts', 'dist/worker-browser.js', { withoutDefine: true })
    expect(script).not.toContain('process.env')
    const answer = await fetchFromWorkerd(script, 'http://localhost/?name=Ada')
    expect(answer.startError, answer.log).toBeUndefined()
    expect(JSON.parse(answer.body!)).toEqual({ greeting: 'Hello, Ada!' })
  })

  it('a worker without recipes carries no immer: its neutral bundle needs no define', async ({ expect }) => {
    const script = await bundleWorker(consumer, 'src/worker.ts', 'dist/worker-neutral.js', { withoutDefine: true, neutral: true })
    expect(script).not.toContain('process.env')
    const answer = await fetchFromWorkerd(script, 'http://localhost/?name=Ada')
    expect(answer.startError, answer.log).toBeUndefined()
    expect(JSON.parse(answer.body!)).toEqual({ greeting: 'Hello, Ada!' })
  })

  it('a bundle with recipe() that leaves process.env.NODE_ENV in place fails at startup: immer reads it', async ({ expect }) => {
    await writeFile(join(consumer.dir, 'worker-recipe.mjs'), RECIPE_WORKER)
    const script = await bundleWorker(consumer, 'worker-recipe.mjs', 'dist/worker-recipe-neutral.js', { withoutDefine: true, neutral: true })
    expect(script).toContain('process.env.NODE_ENV')
    const answer = await fetchFromWorkerd(script, 'http://localhost/')
    expect(answer.startError).toBeDefined()
    expect(answer.log).toContain('ReferenceError: process is not defined')
  })

  it('the same bundle runs with the nodejs_compat flag, which provides process, and with the define', async ({ expect }) => {
    await writeFile(join(consumer.dir, 'worker-recipe.mjs'), RECIPE_WORKER)
    const script = await bundleWorker(consumer, 'worker-recipe.mjs', 'dist/worker-recipe-compat.js', { withoutDefine: true, neutral: true })
    const answer = await fetchFromWorkerd(script, 'http://localhost/', ['nodejs_compat'])
    expect(answer.startError, answer.log).toBeUndefined()
    expect(JSON.parse(answer.body!)).toEqual({ public: { n: 1 } })
    const defined = await bundleWorker(consumer, 'worker-recipe.mjs', 'dist/worker-recipe-defined.js', { neutral: true })
    expect(defined).not.toContain('process.env')
    const definedAnswer = await fetchFromWorkerd(defined, 'http://localhost/')
    expect(definedAnswer.startError, definedAnswer.log).toBeUndefined()
    expect(JSON.parse(definedAnswer.body!)).toEqual({ public: { n: 1 } })
  })

  it('the neutral platform with the define runs the scenario too', async ({ expect }) => {
    const script = await bundleWorker(consumer, 'worker-scenario.mjs', 'dist/worker-scenario-neutral.js', { neutral: true })
    expect(script).not.toContain('process.env')
    const answer = await fetchFromWorkerd(script, 'http://localhost/')
    expect(answer.startError, answer.log).toBeUndefined()
    const { runtime, ...result } = JSON.parse(answer.body!) as Record<string, unknown>
    expect(runtime).toBe('workerd')
    expect(result).toEqual(SCENARIO)
  })
})

describe('the TypeScript examples type-check against the packed declarations', () => {
  it('Deno, Bun and Worker examples compile with strict settings', () => {
    const files = ['deno/main.ts', 'bun/main.ts', 'src/worker.ts'].map((file) => join(consumer.dir, file))
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    })
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : ''
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
    expect(diagnostics).toEqual([])
    // and `sessionflow` resolved to the packed declarations, not to the work tree
    const resolved = program.getSourceFiles().map((f) => f.fileName).filter((f) => f.includes('/sessionflow/'))
    expect(resolved).toContain(join(consumer.dir, 'node_modules/sessionflow/dist/index.d.ts'))
    expect(resolved.filter((f) => !f.startsWith(join(consumer.dir, 'node_modules/sessionflow/dist/')))).toEqual([])
  })
})

function readmeText(): string {
  return readFileSync(join(ROOT, 'test/package/README.md'), 'utf8')
}
