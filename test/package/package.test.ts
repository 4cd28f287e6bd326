// Package shape: every tsup entry has its `exports` subpath (types per condition, types first),
// the node10 `typesVersions` fallback, and nothing else; the runtime dependency is immer
// only, and the build imports exactly that (nothing bundled in by accident).
// publint --strict and attw --pack (in `npm test`) check the rest of the packaging.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import tsupConfig from '../../tsup.config'
import { ROOT } from './consumer'

interface Manifest {
  name: string
  type?: string
  main?: string
  module?: string
  types?: string
  sideEffects?: unknown
  engines?: Record<string, string>
  files?: string[]
  exports: Record<string, unknown>
  typesVersions?: Record<string, Record<string, string[]>>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  optionalDependencies?: Record<string, string>
  license?: string
  allowScripts?: Record<string, boolean>
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest
const ALLOWED_DEPENDENCIES = ['immer']

function entries(): Record<string, string> {
  if (typeof tsupConfig !== 'object' || Array.isArray(tsupConfig)) throw new Error('tsup.config.ts must export one options object')
  const entry = tsupConfig.entry
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new Error('tsup.config.ts `entry` must be a map { name: source } (one line per entry)')
  }
  return entry as Record<string, string>
}

const subpathOf = (name: string) => (name === 'index' ? '.' : `./${name}`)

describe('package.json agrees with tsup.config.ts', () => {
  it('has an index entry and one exports subpath per entry, and no other', () => {
    expect(Object.keys(entries())).toContain('index')
    const expected = [...Object.keys(entries()).map(subpathOf), './package.json'].sort()
    expect(Object.keys(manifest.exports).sort()).toEqual(expected)
  })

  it.each(Object.keys(entries()))('entry %s: import and require conditions, each with its own types, types first', (name) => {
    const target = manifest.exports[subpathOf(name)] as Record<string, Record<string, string>>
    expect(target).toEqual({
      import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
      require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
    })
    // resolution takes the first matching condition: `types` must come before `default`
    expect(Object.keys(target.import!)).toEqual(['types', 'default'])
    expect(Object.keys(target.require!)).toEqual(['types', 'default'])
  })

  it('typesVersions maps each subpath for TypeScript node10 resolution, which ignores exports', () => {
    const subpaths = Object.keys(entries()).filter((name) => name !== 'index')
    expect(manifest.typesVersions).toEqual(
      subpaths.length === 0
        ? undefined
        : { '*': Object.fromEntries(subpaths.map((name) => [name, [`./dist/${name}.d.ts`]])) },
    )
  })

  it('the legacy main/module/types fields point at the index entry', () => {
    expect([manifest.main, manifest.module, manifest.types]).toEqual(['./dist/index.cjs', './dist/index.js', './dist/index.d.ts'])
  })
})

describe('package metadata', () => {
  it('is an ES module package without side effects, for Node 20 or later, publishing only dist and docs', () => {
    expect(manifest.type).toBe('module')
    expect(manifest.sideEffects).toBe(false)
    expect(manifest.engines).toEqual({ node: '>=20' })
    expect(manifest.files).toEqual(['dist', 'README.md', 'CHANGELOG.md'])
  })

  it('depends at runtime on immer only', () => {
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(ALLOWED_DEPENDENCIES)
    expect(manifest.optionalDependencies).toBeUndefined()
    // a peer dependency would be one more thing to install: only optional ones are acceptable
    for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
      expect(manifest.peerDependenciesMeta?.[peer]?.optional, `peer dependency ${peer} must be optional`).toBe(true)
    }
  })
})

describe('package hygiene', () => {
  it('has an MIT LICENSE of the sessionflow contributors (npm ships it whatever `files` says)', () => {
    expect(manifest.license).toBe('MIT')
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8')
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} sessionflow contributors\n/)
  })

  it('approves, in allowScripts, every install script the lockfile has, so npm ci warns about none', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean; name?: string }>
    }
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path, entry]) => entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
    expect(withScripts.length).toBeGreaterThan(0)
    const allowed = manifest.allowScripts ?? {}
    for (const name of withScripts) expect(allowed[name], `allowScripts lacks ${name}`).toBe(true)
  })

  it('builds no source maps: they would point at src/, which the package does not ship', () => {
    expect(tsupConfig).toMatchObject({ sourcemap: false })
    expect(manifest.files).not.toContain('src')
  })
})

describe('the build', () => {
  const dist = join(ROOT, 'dist')

  it('imports exactly the runtime dependencies: none bundled in, nothing else pulled in', () => {
    expect(existsSync(join(dist, 'index.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true)
    const imported = new Set<string>()
    for (const file of readdirSync(dist).filter((f) => /\.(c|m)?js$/.test(f))) {
      const code = readFileSync(join(dist, file), 'utf8')
      const specifiers = [
        ...code.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']/gm),
        ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
        ...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g),
        ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
      ].map((m) => m[1]!)
      for (const specifier of specifiers) {
        if (specifier.startsWith('./')) {
          expect(existsSync(join(dist, specifier)), `${file} imports missing ${specifier}`).toBe(true)
        } else {
          imported.add(specifier)
        }
      }
    }
    expect([...imported].sort()).toEqual(ALLOWED_DEPENDENCIES)
  })

  it('every entry is built in both formats with both declaration flavours', () => {
    for (const name of Object.keys(entries())) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) {
        expect(existsSync(join(dist, `${name}.${ext}`)), `dist/${name}.${ext}`).toBe(true)
      }
    }
  })
})
