/**
 * Keeps every guide true: each ```ts block of README.md and of every README.md under src/ and test/
 * (found anew on each run, so a guide added later is covered without touching this file) is
 * type-checked under `strict` and run, and must print what its comments say. A failure names the
 * guide's file and line. The second half checks the harness itself on a deliberately broken guide.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { describeGraph } from '../../src/index'
import { commerceApps } from '../support/commerce'
import { ROOT } from './consumer'
import { type DocBlock, anchorOf, brokenLinks, extractBlocks, findGuides, missingTestNames, readBlocks, runBlock, typecheckBlocks, where } from './docs'

const guides = findGuides()
const blocks = readBlocks(guides)
const tmp = mkdtempSync(join(tmpdir(), 'sessionflow-docs-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('docs: every ts block of every README.md compiles and runs', () => {
  it('finds the top-level README and the guides, and they have blocks', () => {
    expect(guides[0]).toBe('README.md')
    expect(guides).toContain('src/README.md')
    expect(blocks.filter((block) => block.file === 'README.md').length).toBeGreaterThan(0)
  })

  it('every block type-checks under strict, @ts-expect-error lines included', () => {
    const problems = typecheckBlocks(blocks).map((p) => `${p.where}: ${p.message}`)
    expect(problems).toEqual([])
  }, 120_000)

  for (const [i, block] of blocks.entries()) {
    if (!block.run) continue
    it(`runs ${where(block)}`, () => runBlock(block, i, tmp))
  }

  it('README.md stays an entry point: at most 300 lines and 25,600 bytes (details go into the guides)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'))
    expect(readme.byteLength).toBeLessThanOrEqual(25_600)
    expect(readme.toString('utf8').split('\n').length).toBeLessThanOrEqual(300)
  })

  it('the docs speak to users: no work log (SPEC, rounds, helpers; history belongs in CHANGELOG.md)', () => {
    for (const file of guides) {
      const text = readFileSync(join(ROOT, file), 'utf8')
      expect(text, file).not.toMatch(/\bSPEC\b/)
      expect(text, file).not.toMatch(/\b(this|last|earlier|previous) rounds?\b|\bhelpers? (wrote|added)\b/i)
    }
  })

  it('every relative link of every guide leads to a file, and every #anchor to a heading', () => {
    expect(guides.flatMap((file) => brokenLinks(file, readFileSync(join(ROOT, file), 'utf8')))).toEqual([])
  })

  it('every test the reliability guide cites exists, by file and name', () => {
    const file = 'test/reliability/README.md'
    expect(missingTestNames(file, readFileSync(join(ROOT, file), 'utf8'), 'test/reliability')).toEqual([])
  })

  it('the Mermaid picture marked demo-graph is the demo graph as toMermaid() draws it', () => {
    const pictures = guides.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/<!-- demo-graph -->\s*\n```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]),
    )
    expect(pictures.length).toBeGreaterThan(0)
    for (const picture of pictures) expect(picture).toBe(describeGraph({ apps: commerceApps }).toMermaid())
  })
})

describe('docs harness', () => {
  const broken = 'test/package/fixtures/broken-guide.md'
  const fixture = readBlocks([broken])
  const byTitle = (marker: string): DocBlock => {
    const block = fixture.find((b) => b.code.includes(marker))
    if (!block) throw new Error(`fixture has no block containing ${marker}`)
    return block
  }

  it('reads ts blocks with their first line, and no-run; other languages are not blocks', () => {
    const text = ['# t', '', '```ts', 'const a = 1', '```', '```js', 'nope(', '```', '```ts no-run', 'await new Promise(() => {})', '```'].join('\n')
    expect(extractBlocks('x.md', text)).toEqual([
      { file: 'x.md', line: 4, code: 'const a = 1', run: true },
      { file: 'x.md', line: 10, code: 'await new Promise(() => {})', run: false },
    ])
    expect(() => extractBlocks('x.md', '```ts\nconst a = 1\n')).toThrow('x.md:1: code fence is never closed')
    expect(() => extractBlocks('x.md', '```ts skip\nconst a = 1\n```')).toThrow('x.md:1: unknown info string flag')
  })

  it('finds a guide added anywhere under src/ or test/, and nothing else', async () => {
    const root = join(tmp, 'repo')
    await mkdir(join(root, 'src/new-folder/deeper'), { recursive: true })
    await mkdir(join(root, 'test/x'), { recursive: true })
    await mkdir(join(root, 'node_modules/pkg'), { recursive: true })
    for (const file of ['README.md', 'src/new-folder/deeper/README.md', 'test/x/README.md', 'node_modules/pkg/README.md', 'src/notes.md'])
      await writeFile(join(root, file), '# x\n')
    expect(findGuides(root)).toEqual(['README.md', 'src/new-folder/deeper/README.md', 'test/x/README.md'])
  })

  it('a type error fails the check, named by file and line', () => {
    const problems = typecheckBlocks(fixture)
    const typeError = byTitle('type-error')
    expect(problems.map((p) => p.where)).toContain(where(typeError, 1))
    expect(problems.find((p) => p.where === where(typeError, 1))?.message).toMatch(/not assignable to type 'number'/)
    // an @ts-expect-error with nothing to expect is an error too
    expect(problems.map((p) => p.where)).toContain(where(byTitle('unused-expect-error'), 1))
    // the good blocks of the same guide produce nothing
    const good = byTitle('good')
    const goodLines = good.code.split('\n').map((_, i) => where(good, i))
    expect(problems.filter((p) => goodLines.includes(p.where))).toEqual([])
    expect(problems).toHaveLength(2)
  }, 120_000)

  it('a block that throws fails, named by file and line', async () => {
    const block = byTitle('throws')
    await expect(runBlock(block, 0, tmp)).rejects.toThrow(`${where(block)}: the block threw: Error: broken on purpose`)
  })

  it('a block printing something else than its comments say fails', async () => {
    const block = byTitle('wrong-output')
    await expect(runBlock(block, 1, tmp)).rejects.toThrow(`${where(block)}: the block printed\n  2\nbut its comments say\n  3`)
  })

  it('a good block runs, with sessionflow resolved and top-level await', async () => {
    await expect(runBlock(byTitle('good'), 2, tmp)).resolves.toBeUndefined()
  })

  it('a link to a missing file or heading is reported with its line', () => {
    expect(anchorOf('`defineApp` fields')).toBe('defineapp-fields')
    expect(anchorOf('The app graph, analysed and drawn')).toBe('the-app-graph-analysed-and-drawn')
    const text = '# Title\n\n[ok](../../../README.md#guides) [self](#title) [web](https://example.com/x)\n[gone](nowhere.md) [bad](../../../README.md#no-such-heading) [bad self](#nope)\n'
    expect(brokenLinks('test/package/fixtures/broken-guide.md', text)).toEqual([
      'test/package/fixtures/broken-guide.md:4: nowhere.md does not exist',
      'test/package/fixtures/broken-guide.md:4: ../../../README.md#no-such-heading names no heading of README.md',
      'test/package/fixtures/broken-guide.md:4: #nope names no heading of test/package/fixtures/broken-guide.md',
    ])
  })

  it('a cited test name that no test has is reported', () => {
    const text = 'Proven by `loops.test.ts`: "a toggle never ends: stopped on the repeat, naming the app and the param",\n"a toggle … the param", "no such test"; `test/redis/multiprocess.test.ts`: "… processes x …"; checks in `src/testing/store-conformance.ts`: "ttl bounds: …", an inline `options.ts` mention: "expiry during a call: …"'
    expect(missingTestNames('g.md', text, 'test/reliability')).toEqual(['g.md: no test named "no such test" in test/reliability/loops.test.ts'])
    expect(missingTestNames('g.md', '"a name" before any file', 'test/reliability')).toEqual(['g.md: "a name" follows no test file'])
  })

  it('a no-run block is type-checked only', () => {
    expect(byTitle('never-settles').run).toBe(false)
  })
})
