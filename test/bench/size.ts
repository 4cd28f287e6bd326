/**
 * Bundle size of the core, measured the way `npm run size` does (size-limit with the small-lib
 * preset: esbuild bundle, minified, brotli), on a fresh tsup build of `src/index.ts` written to a
 * temporary directory — so measuring never races other builds writing `dist/`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error the preset ships no type declarations
import preset from '@size-limit/preset-small-lib'
import sizeLimit from 'size-limit'
import { build } from 'tsup'

/** The check of package.json's `size-limit` field (the single source of the budget). */
export interface SizeCheck {
  name: string
  path: string
  ignore: string[]
  limit: string
  /** What an app imports (`{ SessionEngine, ... }`): only that and what it needs is counted. */
  import?: string
}

/** Reads package.json's `size-limit` field and returns its first check and the limit in bytes. */
export async function sizeBudget(root: string): Promise<{ check: SizeCheck; limitBytes: number }> {
  const checks = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { 'size-limit': SizeCheck[] })['size-limit']
  const check = checks[0]!
  const match = /^([\d.]+)\s*(B|kB)$/.exec(check.limit)
  if (match === null) throw new Error(`unexpected size limit ${check.limit}`)
  return { check, limitBytes: Number(match[1]) * (match[2] === 'kB' ? 1000 : 1) }
}

/** Builds the ESM entry with tsup into a temp dir and returns its size-limit size (brotli bytes). */
export async function coreSize(root: string): Promise<number> {
  const { check } = await sizeBudget(root)
  const outDir = await mkdtemp(join(tmpdir(), 'sessionflow-size-'))
  try {
    await build({
      entry: { index: join(root, 'src/index.ts') },
      format: ['esm'],
      outDir,
      dts: false,
      sourcemap: false,
      clean: false,
      silent: true,
      target: 'es2022',
      platform: 'neutral',
      external: check.ignore,
      config: false,
    })
    const results = (await sizeLimit([preset], { checks: [{ files: [join(outDir, 'index.js')], ignore: check.ignore, ...(check.import === undefined ? {} : { import: { [join(outDir, 'index.js')]: check.import } }) }] } as never)) as Array<{
      size: number
    }>
    return results[0]!.size
  } finally {
    await rm(outDir, { recursive: true, force: true })
  }
}
