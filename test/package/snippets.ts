// Reads the runtime examples of test/package/README.md, so the tests run exactly what that guide
// prints. Each is the fenced block right after a `<!-- runtime-snippet: NAME -->` marker.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './consumer'

/** Names the README must provide, with what each is. */
export const SNIPPETS = ['node-esm', 'node-cjs', 'deno', 'bun', 'worker', 'worker-build'] as const
export type SnippetName = (typeof SNIPPETS)[number]

/** The README snippets by name; throws when one is missing or appears twice. */
export function readSnippets(readme = readFileSync(join(ROOT, 'test/package/README.md'), 'utf8')): Record<SnippetName, string> {
  const found = new Map<string, string>()
  const marker = /<!-- runtime-snippet: ([\w-]+) -->\s*\n```[\w-]*\n([\s\S]*?)\n```/g
  for (const [, name, code] of readme.matchAll(marker)) {
    if (found.has(name!)) throw new Error(`test/package/README.md has two runtime snippets named ${name}`)
    found.set(name!, code! + '\n')
  }
  const missing = SNIPPETS.filter((name) => !found.has(name))
  if (missing.length > 0) throw new Error(`test/package/README.md lacks the runtime snippet(s) ${missing.join(', ')}`)
  return Object.fromEntries(SNIPPETS.map((name) => [name, found.get(name)!])) as Record<SnippetName, string>
}

/**
 * What a snippet says it prints: the `// → ...` comment that ends its `console.log(...)` line (or,
 * for the worker, its `return Response.json(...)` line). The test holds the README to it.
 */
export function promisedOutput(code: string): string {
  const match = /^\s*(?:console\.log|return Response\.json)\(.*\)\s*\/\/ (?:→ )?(.+)$/m.exec(code)
  if (!match) throw new Error(`snippet has no "// output" comment on its console.log line:\n${code}`)
  return match[1]!.trim()
}

/** Splits a one-line shell command into words; single and double quotes group and are removed. */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: string | undefined
  let inWord = false
  for (const ch of line.trim()) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined
      else word += ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += ch
      inWord = true
    }
  }
  if (quote !== undefined) throw new Error(`unbalanced quote in: ${line}`)
  if (inWord) words.push(word)
  return words
}
