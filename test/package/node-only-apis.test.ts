// src/ must run unchanged in Deno, Bun and workerd: no Node built-in modules, no Node globals.
// tsconfig.json already compiles src with `types: []`, so most uses would not even type-check;
// this test says so in plain words, and also catches what type checking would not (a
// `/// <reference types="node" />`, `globalThis.process`, a type-only `node:` import).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './consumer'
import { findNodeOnlyApis } from './node-only-apis'

describe('no Node-only API in src/', () => {
  it('src/ uses none', () => {
    expect(findNodeOnlyApis(join(ROOT, 'src'))).toEqual([])
  })

  it('the scan finds each kind of use, and leaves look-alikes alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sessionflow-node-apis-'))
    try {
      writeFileSync(
        join(dir, 'bad.ts'),
        [
          "import fs from 'node:fs'", // 1
          "import { join } from 'path'", // 2
          "export * from 'node:crypto'", // 3
          "import type { Readable } from 'node:stream'", // 4
          "const os = await import('os')", // 5
          'const env = process.env.NODE_ENV', // 6
          "const bytes = Buffer.from('x')", // 7
          "const lib = require('x')", // 8
          'const p = globalThis.process', // 9
          "const b = globalThis['Buffer']", // 10
          "const t = typeof process === 'undefined'", // 11
          'const d = __dirname', // 12
          'setImmediate(() => {})', // 13
          "type T = typeof import('node:events')", // 14
          'export { fs, join, os, env, bytes, lib, p, b, t, d }',
          'export type { Readable, T }',
        ].join('\n'),
      )
      writeFileSync(
        join(dir, 'fine.ts'),
        [
          '/// this comment mentions process, Buffer and require',
          "const job = { process: 1, Buffer: 'b', require: true }",
          'export const a = job.process + 1',
          "export const s = 'process.env and require()'",
          'export interface Shape { process: number; Buffer(): void }',
          'export function run(require: boolean) { return require }',
          'const process = { env: {} }',
          'export const e = process.env',
          "export { helper } from '../runtimes/helper'",
          "export const u = self.crypto.randomUUID() + (job['Buffer'] ?? '')",
        ].join('\n'),
      )
      writeFileSync(join(dir, 'helper.ts'), "/// <reference types=\"node\" />\nexport const helper = 1\n")
      const findings = findNodeOnlyApis(dir)
      expect(findings.filter((f) => f.where.startsWith('fine.ts'))).toEqual([])
      expect(findings.map((f) => f.where).sort()).toEqual(
        [...Array.from({ length: 14 }, (_, i) => `bad.ts:${i + 1}`), 'helper.ts:1'].sort(),
      )
      expect(findings.find((f) => f.where === 'bad.ts:1')?.what).toBe('imports the Node built-in module "node:fs"')
      expect(findings.find((f) => f.where === 'bad.ts:6')?.what).toBe('uses the Node global `process`')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
