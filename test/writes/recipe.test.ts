import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('patch recipes', () => {
  it('an async recipe is refused with InvalidValueError and the process survives its later rejection (child process)', () => {
    const fixture = fileURLToPath(new URL('./fixtures/async-recipe.ts', import.meta.url))
    // execFileSync throws when the child exits non-zero, which an unhandled rejection would make it do
    const out = execFileSync(process.execPath, ['--unhandled-rejections=throw', '--import', 'tsx', fixture], { encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual({ refused: 'INVALID_VALUE', n: 1, version: 1 })
  })
})
