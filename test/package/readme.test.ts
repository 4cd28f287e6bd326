/**
 * Keeps the README's typed-apps, validation, graph, inspection and testing-kit sections true:
 * every ```ts block in them is type-checked (its `@ts-expect-error` lines must be errors, nothing
 * else may be), and every block importing only sessionflow and valibot is run, its console output
 * compared with the `// → ...` and `// prints: ...` comments. The Mermaid block must be what the
 * demo graph draws today.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { SessionEngine } from '../../src/index'
import { commerceApps } from '../support/commerce'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const SECTIONS = [
  'Typed apps and sessions',
  'Validation with Standard Schema',
  'The app graph, analysed and drawn',
  'Inspection',
  'Testing kit',
]

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`)
  if (start < 0) throw new Error(`README has no "## ${title}" section`)
  const end = readme.indexOf('\n## ', start + 1)
  return readme.slice(start, end < 0 ? undefined : end)
}

function blocks(text: string, lang: string): string[] {
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g')
  return [...text.matchAll(re)].map((m) => m[1]!)
}

const examples = SECTIONS.flatMap((title) => blocks(section(title), 'ts').map((code, i) => ({ name: `${title} #${i + 1}`, code })))

/** Expected console lines: `console.log(...) // → x` and `// prints: x`, in order. */
function expectedOutput(code: string): string[] {
  const out: string[] = []
  for (const line of code.split('\n')) {
    const arrow = /console\.log\(.*\)\s*\/\/ → (.*)$/.exec(line)
    const prints = /^\s*\/\/ prints: (.*)$/.exec(line)
    if (arrow) out.push(arrow[1]!)
    else if (prints) out.push(prints[1]!)
  }
  return out
}

const format = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)))

const OTEL_STUB = `declare module '@opentelemetry/api' {
  export interface Span {
    setAttribute(key: string, value: string | number | boolean): this
    setStatus(status: { code: number; message?: string }): this
    recordException(exception: Error): void
    end(): void
  }
  export interface Context {}
  export const SpanStatusCode: { readonly UNSET: 0; readonly OK: 1; readonly ERROR: 2 }
  export const context: { active(): Context }
  export const trace: {
    getTracer(name: string): { startSpan(name: string, options?: { attributes?: Record<string, string | number> }, context?: Context): Span }
    setSpan(context: Context, span: Span): Context
  }
}
`

describe('README examples (typed apps, validation, graph, inspection, testing kit)', () => {
  it('the sections have examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(7)
  })

  it('every example type-checks, and its @ts-expect-error lines are errors', () => {
    const dir = join(root, 'test/package/__readme__')
    const files = new Map<string, string>()
    examples.forEach(({ code }, i) => files.set(join(dir, `example${i}.ts`), code))
    files.set(join(dir, 'otel-stub.d.ts'), OTEL_STUB)
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      types: [],
      baseUrl: root,
      paths: { sessionflow: ['src/index.ts'], 'sessionflow/testing': ['src/testing/index.ts'] },
    }
    const host = ts.createCompilerHost(options)
    const readFile = host.readFile.bind(host)
    const fileExists = host.fileExists.bind(host)
    host.readFile = (name) => files.get(resolve(name)) ?? readFile(name)
    host.fileExists = (name) => files.has(resolve(name)) || fileExists(name)
    const getSourceFile = host.getSourceFile.bind(host)
    host.getSourceFile = (name, language) => {
      const text = files.get(resolve(name))
      return text === undefined ? getSourceFile(name, language) : ts.createSourceFile(name, text, language)
    }
    const program = ts.createProgram([...files.keys()], options, host)
    // only the examples' own diagnostics: src is type-checked by `npm run typecheck` (and this is much faster)
    const problems = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
      .concat(
        [...files.keys()].flatMap((name) => {
          const file = program.getSourceFile(name)!
          return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]
        }),
      )
      .map((d) => {
        const where = d.file ? `${examples[Number(/example(\d+)/.exec(d.file.fileName)?.[1])]?.name ?? d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start!).line + 1}` : ''
        return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      })
    expect(problems).toEqual([])
  }, 60_000)

  const tmp = mkdtempSync(join(tmpdir(), 'sessionflow-readme-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))
  const modules: Record<string, string> = {
    sessionflow: pathToFileURL(join(root, 'src/index.ts')).href,
    'sessionflow/testing': pathToFileURL(join(root, 'src/testing/index.ts')).href,
    valibot: pathToFileURL(createRequire(import.meta.url).resolve('valibot')).href,
  }
  const runnable = examples.filter(({ code }) =>
    [...code.matchAll(/from '([^']+)'/g)].every(([, name]) => name! in modules),
  )

  it('all examples but the OpenTelemetry one run', () => expect(runnable.length).toBe(examples.length - 1))

  for (const [i, { name, code }] of runnable.entries()) {
    it(`runs: ${name}`, async () => {
      const file = join(tmp, `example${i}.ts`)
      writeFileSync(file, code.replace(/from '([^']+)'/g, (_, m: string) => `from '${modules[m]}'`))
      const lines: string[] = []
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(format).join(' ')))
      try {
        await import(/* @vite-ignore */ pathToFileURL(file).href)
      } finally {
        log.mockRestore()
      }
      expect(lines).toEqual(expectedOutput(code))
    })
  }

  it('the Mermaid picture is the demo graph as toMermaid() draws it', () => {
    const [mermaid] = blocks(section('The app graph, analysed and drawn'), 'mermaid')
    expect(mermaid).toBe(new SessionEngine({ apps: commerceApps }).graph.toMermaid())
  })
})
