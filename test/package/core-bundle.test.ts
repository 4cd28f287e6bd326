/**
 * What an application importing only the engine bundles: none of the optional features. Bundled
 * from the sources with esbuild (as size-limit does from the build), so the check names the
 * modules, not just the bytes the size budget counts.
 */
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { ROOT } from './consumer'

/** The source modules (relative to the repository) an esbuild bundle of `exports` from `src/index.ts` holds, and its imports left outside. */
async function bundled(exports: string): Promise<{ modules: string[]; external: string[] }> {
  const result = await build({
    stdin: { contents: `export { ${exports} } from './src/index'`, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    metafile: true,
    external: ['immer'],
    logLevel: 'silent',
    absWorkingDir: ROOT,
  })
  const inputs = Object.values(result.metafile.outputs)[0]!.inputs
  const modules = Object.entries(inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path)
  const external = Object.values(result.metafile.outputs)[0]!.imports.map((i) => i.path)
  return { modules, external }
}

const FEATURES = [
  'src/features/segment.ts',
  'src/features/schema.ts',
  'src/features/graph-analysis.ts',
  'src/features/token.ts',
  'src/core/graph-info.ts',
  'src/core/cache-transforms.ts',
  'src/core/cached-run.ts',
  'src/core/transform-cache.ts',
  'src/writes/recipe.ts',
  'src/writes/json-patch.ts',
]

describe('the core bundle', () => {
  it('SessionEngine, defineApp and MemoryStore bundle no optional feature and no immer', async () => {
    const { modules, external } = await bundled('SessionEngine, defineApp, MemoryStore')
    expect(modules).toContain('src/core/engine.ts')
    for (const feature of FEATURES) expect(modules, feature).not.toContain(feature)
    expect(external).not.toContain('immer')
  })

  it('each feature function brings its own module (so the check above can fail)', async () => {
    const uses: Array<[string, string]> = [
      ['segmentBy', 'src/features/segment.ts'],
      ['sessionSchema', 'src/features/schema.ts'],
      ['describeGraph', 'src/features/graph-analysis.ts'],
      ['cacheTransforms', 'src/core/cached-run.ts'],
      ['jsonPatch', 'src/writes/json-patch.ts'],
      ['recipe', 'src/writes/recipe.ts'],
    ]
    for (const [name, module] of uses) expect((await bundled(`SessionEngine, ${name}`)).modules, name).toContain(module)
    expect((await bundled('SessionEngine, recipe')).external).toContain('immer')
  })
})
