/**
 * `npm run bench`: runs the whole suite once and prints one table. Each part of the suite runs in
 * a fresh child process (`run.ts --part <name>`, which prints its rows as JSON), so one graph's
 * JIT state never slows the next; the table is assembled here. Run with `--expose-gc` (the npm
 * script does) for the memory figures; `--in-process` runs every part in this process instead.
 */
// first: it sets NODE_ENV before the peers' modules (imported by the suite) load
import './production-env'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { cacheRows } from './cache'
import { coreSize, sizeBudget } from './size'
import { FULL, type Row, SMOKE, baselineSpeedUp, format, runSuite, suiteParts } from './suite'

const root = fileURLToPath(new URL('../..', import.meta.url))
const quiet = process.argv.includes('--quiet')
// `--smoke`: the tiny sizes of the smoke test, so `npm test` can check this script end to end
const smoke = process.argv.includes('--smoke')
const size = smoke ? SMOKE : FULL
const log = quiet ? undefined : (line: string) => process.stderr.write(`  ${line}\n`)
const partArg = process.argv.indexOf('--part')
if (partArg >= 0) {
  const rows = await runSuite(size, log, new Set([process.argv[partArg + 1]!]))
  process.stdout.write(`${JSON.stringify(rows)}\n`)
  process.exit(0)
}
// `--only <part>,<part>…`: a table of these parts of the suite alone, without the bundle and cache rows
const onlyArg = process.argv.indexOf('--only')
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1]?.split(',')) : undefined
const unknown = [...(only ?? [])].filter((part) => !suiteParts(size).includes(part))
if (unknown.length > 0) throw new Error(`--only: no part ${unknown.join(', ')} (parts: ${suiteParts(size).join(', ')})`)
const started = performance.now()
const rows = process.argv.includes('--in-process') ? await runSuite(size, log, only) : suiteParts(size).filter((part) => only?.has(part) ?? true).flatMap(runPart)
rows.push(...baselineSpeedUp(rows))
if (only === undefined) {
  const bytes = await coreSize(root)
  const { limitBytes } = await sizeBudget(root)
  // the target (10 kB) and the regression budget `npm test` enforces (package.json `size-limit`) are two rows
  const ISSUE_TARGET_BYTES = 10_000
  rows.push({ section: 'bundle', name: 'core (SessionEngine, defineApp, MemoryStore, errors), min + brotli, without dependencies', value: bytes, unit: 'bytes', target: `≤ ${ISSUE_TARGET_BYTES}`, ok: bytes <= ISSUE_TARGET_BYTES })
  rows.push({ section: 'bundle', name: '  regression budget enforced by npm test', value: limitBytes, unit: 'bytes', target: `≥ ${bytes}`, ok: bytes <= limitBytes })
  rows.push(...(await cacheRows(size)))
}

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU'
console.log(`\nsessionflow benchmarks — Node ${process.version}, ${availableParallelism()} cores (${cpu}), ${new Date().toISOString().slice(0, 10)}`)
console.log(`median of ${size.samples} timed batches per figure (${size.samples * 2}, alternating, for figures timed side by side), each part of the suite in a fresh process; total ${((performance.now() - started) / 1000).toFixed(0)} s\n`)
printTable(rows)
// `--json <file>`: the rows as JSON too, to combine runs (the ranges of the bench guide's table)
const jsonArg = process.argv.indexOf('--json')
if (jsonArg > 0) writeFileSync(process.argv[jsonArg + 1]!, JSON.stringify(rows))
const missed = rows.filter((r) => r.ok === false)
if (missed.length > 0) console.log(`\n${missed.length} target(s) missed: ${missed.map((r) => r.name.trim()).join('; ')}`)

/** Runs one part in a child process with this process's Node flags (`--expose-gc`, the tsx loader) and `NODE_ENV=production`. */
function runPart(part: string): Row[] {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--part', part, ...(quiet ? ['--quiet'] : []), ...(smoke ? ['--smoke'] : [])]
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, NODE_ENV: 'production' } })
  if (child.status !== 0) throw new Error(`benchmark part ${part} failed (exit ${child.status ?? child.signal})`)
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Row[]
}

function printTable(list: readonly Row[]): void {
  const header = ['', 'benchmark', 'value', 'unit', 'target', '']
  const lines = list.map((r) => [r.section, r.name, format(r.value), r.unit, r.target ?? '', r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED'])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const fmt = (l: readonly string[]) =>
    `| ${l.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`
  console.log(fmt(header))
  console.log(`|${widths.map((w, i) => (i === 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`)
  let section = ''
  for (const l of lines) {
    const shown = l[0] === section ? ['', ...l.slice(1)] : l
    section = l[0]!
    console.log(fmt(shown))
  }
}
