// The docs harness: finds every README.md of the repository (the top-level one and every guide
// under src/ and test/), takes out its ```ts blocks, type-checks them under `strict` and runs them.
// Each block is its own module (top-level await allowed); `sessionflow` and its subpaths resolve to
// the sources. A block whose info string is `ts no-run` is only type-checked. What a block prints
// must be what its `// → x` (end of a console.log line) and `// prints: x` comments say, in order.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { ROOT } from './consumer'

/** One fenced TypeScript block of a guide. */
export interface DocBlock {
  /** The guide, relative to the repository root (`src/core/README.md`). */
  readonly file: string
  /** 1-based line of the block's first code line in the guide. */
  readonly line: number
  readonly code: string
  /** `false` for ```ts no-run blocks: type-checked only. */
  readonly run: boolean
}

/** Where a block is, as `file:line` (its first code line), for test names and messages. */
export const where = (block: DocBlock, offset = 0): string => `${block.file}:${block.line + offset}`

const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', '.git'])

/** Every README.md: the top-level one, then every one under src/ and test/, sorted. */
export function findGuides(root = ROOT): string[] {
  const found: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name))
      } else if (entry.name === 'README.md') found.push(relative(root, join(dir, entry.name)))
    }
  }
  for (const top of ['src', 'test']) if (existsSync(join(root, top))) walk(join(root, top))
  found.sort()
  return existsSync(join(root, 'README.md')) ? ['README.md', ...found] : found
}

/** The ```ts (or ```typescript) blocks of a markdown text, with their lines. */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, lang, rest] = open
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === `${indent}${fence}`)
    if (end < 0) throw new Error(`${file}:${i + 1}: code fence is never closed`)
    if (lang === 'ts' || lang === 'typescript') {
      const flags = rest!.trim().split(/\s+/).filter(Boolean)
      const unknown = flags.filter((flag) => flag !== 'no-run')
      if (unknown.length > 0) throw new Error(`${file}:${i + 1}: unknown info string flag(s) ${unknown.join(' ')} (only "no-run" exists)`)
      const code = lines.slice(i + 1, end).map((l) => l.slice(indent!.length)).join('\n')
      blocks.push({ file, line: i + 2, code, run: !flags.includes('no-run') })
    }
    i = end
  }
  return blocks
}

/** All blocks of these guides. */
export function readBlocks(files: readonly string[], root = ROOT): DocBlock[] {
  return files.flatMap((file) => extractBlocks(file, readFileSync(join(root, file), 'utf8')))
}

/** Entry points as the docs import them, and the sources they stand for (only those that exist). */
export function entryPoints(root = ROOT): Record<string, string> {
  const all: Record<string, string> = {
    sessionflow: 'src/index.ts',
    'sessionflow/testing': 'src/testing/index.ts',
    'sessionflow/redis': 'src/redis/index.ts',
    'sessionflow/http': 'src/http/index.ts',
    'sessionflow/vtex': 'src/vtex/index.ts',
  }
  return Object.fromEntries(Object.entries(all).filter(([, path]) => existsSync(join(root, path))))
}

/**
 * Packages the docs may use that are not installed: their types (for the type check) and a tiny
 * working stand-in (for the run). sessionflow depends on neither.
 */
const STUBS: Record<string, { types: string; module: string }> = {
  '@opentelemetry/api': {
    types: `declare module '@opentelemetry/api' {
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
`,
    module: `const span = { setAttribute() { return this }, setStatus() { return this }, recordException() {}, end() {} }
export const SpanStatusCode = { UNSET: 0, OK: 1, ERROR: 2 }
export const context = { active: () => ({}) }
export const trace = { getTracer: () => ({ startSpan: () => ({ ...span }) }), setSpan: (ctx) => ctx }
`,
  },
}

/** One type error, placed in its guide. */
export interface DocProblem {
  readonly where: string
  readonly message: string
}

const moduleName = (i: number): string => `block${i}.ts`

/**
 * Type-checks every block under `strict` (plus `noUncheckedIndexedAccess`, as the sources are),
 * each as its own module. `@ts-expect-error` lines must be errors. Returns the problems, each at
 * its guide's file and line.
 */
export function typecheckBlocks(blocks: readonly DocBlock[], root = ROOT): DocProblem[] {
  const dir = join(root, 'test/package/__docs__')
  const files = new Map<string, string>()
  // `export {}` makes every block a module: its own scope, top-level await allowed
  blocks.forEach((block, i) => files.set(join(dir, moduleName(i)), `${block.code}\nexport {}\n`))
  files.set(join(dir, 'stubs.d.ts'), Object.values(STUBS).map((stub) => stub.types).join('\n'))
  const paths = Object.fromEntries(Object.entries(entryPoints(root)).map(([name, path]) => [name, [path]]))
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    baseUrl: root,
    paths,
  }
  const host = ts.createCompilerHost(options)
  const readFile = host.readFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  const getSourceFile = host.getSourceFile.bind(host)
  host.readFile = (name) => files.get(resolve(name)) ?? readFile(name)
  host.fileExists = (name) => files.has(resolve(name)) || fileExists(name)
  host.getSourceFile = (name, language) => {
    const text = files.get(resolve(name))
    return text === undefined ? getSourceFile(name, language) : ts.createSourceFile(name, text, language)
  }
  const program = ts.createProgram([...files.keys()], options, host)
  const problems: DocProblem[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map((d) => ({
    where: 'compiler options',
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }))
  // only the blocks' own diagnostics: src is type-checked by `npm run typecheck`
  blocks.forEach((block, i) => {
    const file = program.getSourceFile(join(dir, moduleName(i)))!
    for (const d of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
      const line = d.start === undefined ? 0 : file.getLineAndCharacterOfPosition(d.start).line
      problems.push({ where: where(block, line), message: ts.flattenDiagnosticMessageText(d.messageText, '\n') })
    }
  })
  return problems
}

/** What a block says it prints: `console.log(...) // → x` and `// prints: x` lines, in order. */
export function expectedOutput(code: string): string[] {
  const out: string[] = []
  for (const line of code.split('\n')) {
    const arrow = /console\.log\(.*\)\s*\/\/ → (.*)$/.exec(line)
    const prints = /^\s*\/\/ prints: (.*)$/.exec(line)
    if (arrow) out.push(arrow[1]!)
    else if (prints) out.push(prints[1]!)
  }
  return out
}

/** How console.log prints a value in the docs' comments: strings as they are, the rest as JSON. */
export const formatLogged = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))

/**
 * Writes a block as a module in `dir`, its imports of sessionflow (and of the stubbed and installed
 * packages) pointing at files, and returns the module's URL for `import()`.
 */
export function moduleOf(block: DocBlock, index: number, dir: string, root = ROOT): string {
  mkdirSync(dir, { recursive: true })
  const require = createRequire(join(root, 'package.json'))
  const targets = new Map(Object.entries(entryPoints(root)).map(([name, path]) => [name, pathToFileURL(join(root, path)).href]))
  for (const [name, stub] of Object.entries(STUBS)) {
    const file = join(dir, `${name.replace(/\W/g, '_')}.mjs`)
    writeFileSync(file, stub.module)
    targets.set(name, pathToFileURL(file).href)
  }
  const code = block.code.replace(/(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\2/gm, (all, head: string, quote: string, name: string) => {
    if (name.startsWith('node:')) return all
    const target = targets.get(name) ?? pathToFileURL(require.resolve(name)).href
    return `${head}${quote}${target}${quote}`
  })
  const file = join(dir, `${block.file.replace(/\W/g, '_')}_${block.line}_${index}.ts`)
  writeFileSync(file, `${code}\nexport {}\n`)
  return pathToFileURL(file).href
}

/**
 * Runs a block as its own module and checks what it printed against its comments. Rejects with an
 * error naming the guide's file and line when the block throws or prints something else.
 */
export async function runBlock(block: DocBlock, index: number, dir: string, root = ROOT): Promise<void> {
  const url = moduleOf(block, index, dir, root)
  const printed: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => void printed.push(args.map(formatLogged).join(' '))
  try {
    await import(/* @vite-ignore */ url)
  } catch (error) {
    throw new Error(`${where(block)}: the block threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, { cause: error })
  } finally {
    console.log = log
  }
  const expected = expectedOutput(block.code)
  if (JSON.stringify(printed) !== JSON.stringify(expected)) {
    throw new Error(
      `${where(block)}: the block printed\n${printed.map((l) => `  ${l}`).join('\n') || '  (nothing)'}\n` +
        `but its comments say\n${expected.map((l) => `  ${l}`).join('\n') || '  (nothing)'}`,
    )
  }
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/**
 * Relative links of a guide that lead nowhere: a file or folder that does not exist, or an
 * `#anchor` that is no heading of the linked markdown file. Web links are not followed.
 */
export function brokenLinks(file: string, text: string, root = ROOT): string[] {
  const broken: string[] = []
  const prose = text.replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, (block) => block.replace(/[^\n]/g, ' '))
  for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1]!
    if (/^[a-z]+:/i.test(target)) continue
    const [path, anchor] = target.split('#') as [string, string | undefined]
    const resolved = path === '' ? join(root, file) : resolve(join(root, file, '..'), path)
    const line = prose.slice(0, match.index).split('\n').length
    if (!existsSync(resolved)) {
      broken.push(`${file}:${line}: ${target} does not exist`)
      continue
    }
    if (anchor !== undefined && resolved.endsWith('.md')) {
      const headings = (path === '' ? text : readFileSync(resolved, 'utf8'))
        .replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, '')
        .split('\n')
        .filter((l) => /^#{1,6} /.test(l))
        .map((l) => anchorOf(l.replace(/^#+ /, '')))
      if (!headings.includes(anchor)) broken.push(`${file}:${line}: ${target} names no heading of ${relative(root, resolved)}`)
    }
  }
  return broken
}

/**
 * Test names a guide cites that no test has: every "quoted" name after a `file.test.ts` mention
 * (or a `path/from/the/root.ts` one, for checks defined outside test files) must appear in that
 * file (under `dir`, or the path as written from the repository root); `…` stands for any text
 * (an interpolated part of the name).
 */
export function missingTestNames(file: string, text: string, dir: string, root = ROOT): string[] {
  const missing: string[] = []
  const prose = text
    .replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, '')
    .replace(/`([^`\s]*\.test\.ts|[^`\s]*\/[^`\s]*\.ts)`/g, '⟦$1⟧')
    .replace(/`[^`]*`/g, '')
    .replace(/\s*\n\s*/g, ' ')
  let testFile: string | undefined
  for (const match of prose.matchAll(/⟦([^⟧]+)⟧|"([^"]+)"/g)) {
    if (match[1] !== undefined) {
      testFile = match[1].includes('/') ? join(root, match[1]) : join(root, dir, match[1])
      continue
    }
    const name = match[2]!
    if (testFile === undefined) {
      missing.push(`${file}: "${name}" follows no test file`)
      continue
    }
    const source = existsSync(testFile) ? readFileSync(testFile, 'utf8') : ''
    const pattern = new RegExp(name.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'))
    if (!pattern.test(source)) missing.push(`${file}: no test named "${name}" in ${relative(root, testFile)}`)
  }
  return missing
}
