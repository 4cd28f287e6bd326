/** Console output shared by the demos: a cycle report wave by wave, and labelled values. */
import type { CycleReport } from '../../src/index'

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: number) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
export const bold = paint(1)
export const dim = paint(2)
export const green = paint(32)
export const red = paint(31)
export const cyan = paint(36)

/** Per wave: why it ran, each app's outcome and time, and write conflicts. */
export function printReport(title: string, report: CycleReport): void {
  console.log(`\n${bold(title)}  ${dim(`(${report.waves.length} waves, ${report.durationMs.toFixed(2)} ms)`)}`)
  if (report.trigger.length > 0) console.log(`  changes: ${cyan(report.trigger.join(', '))}`)
  for (const wave of report.waves) {
    const why = wave.kind === 'create' ? 'create wave' : `triggered by ${wave.trigger.join(', ')}`
    console.log(`  ${bold(`wave ${wave.wave}`)} ${dim(`${why} — ${wave.durationMs.toFixed(2)} ms`)}`)
    for (const run of wave.apps) {
      const status = run.error?.status === undefined ? '' : `, HTTP ${run.error.status}`
      const what =
        run.status === 'failed'
          ? red(`failed (${run.error?.kind}${status}: ${run.error?.message})`)
          : run.changed.length > 0
            ? green(`changed ${run.changed.join(', ')}`)
            : dim('no change')
      console.log(`    ${run.app.padEnd(16)} ${what} ${dim(`${run.durationMs.toFixed(2)} ms`)}`)
    }
    for (const conflict of wave.conflicts) {
      console.log(`    ${red('conflict')} ${conflict.param}: ${conflict.apps.join(' vs ')}, ${conflict.winner} won`)
    }
  }
}

/** `  label {json}` */
export function show(label: string, value: unknown): void {
  console.log(`  ${dim(label)} ${JSON.stringify(value)}`)
}
