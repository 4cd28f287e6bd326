/**
 * `npm run bench`: runs the whole suite once and prints one table. Run with `--expose-gc` (the
 * npm script does) for the memory figures.
 */
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { coreSize, sizeBudget } from './size'
import { FULL, type Row, format, runSuite } from './suite'

const root = fileURLToPath(new URL('../..', import.meta.url))
const quiet = process.argv.includes('--quiet')
const started = performance.now()
const rows = await runSuite(FULL, quiet ? undefined : (line) => process.stderr.write(`  ${line}\n`))
const bytes = await coreSize(root)
const { limitBytes } = await sizeBudget(root)
// the issue's target (8 kB) and the regression budget `npm test` enforces (package.json `size-limit`) are two rows
const ISSUE_TARGET_BYTES = 8_000
rows.push({ section: 'bundle', name: 'core, minified + brotli, without dependencies', value: bytes, unit: 'bytes', target: `≤ ${ISSUE_TARGET_BYTES}`, ok: bytes <= ISSUE_TARGET_BYTES })
rows.push({ section: 'bundle', name: '  regression budget enforced by npm test', value: limitBytes, unit: 'bytes', target: `≥ ${bytes}`, ok: bytes <= limitBytes })

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU'
console.log(`\nsessionflow benchmarks — Node ${process.version}, ${availableParallelism()} cores (${cpu}), ${new Date().toISOString().slice(0, 10)}`)
console.log(`median of ${FULL.samples} timed batches per figure; total ${((performance.now() - started) / 1000).toFixed(0)} s\n`)
printTable(rows)
const missed = rows.filter((r) => r.ok === false)
if (missed.length > 0) console.log(`\n${missed.length} target(s) missed: ${missed.map((r) => r.name.trim()).join('; ')}`)

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
