// Finds Node-only APIs in TypeScript sources: imports of Node built-in modules (`node:*`, or a
// bare built-in name such as `fs`), and references to Node globals (`process`, `Buffer`,
// `require`, ...) that resolve to nothing declared in the scanned directory. The engine must run
// unchanged in Deno, Bun and workerd, where these are absent or only emulated.
//
// Why the type checker and not a regex: `job.process`, `{ Buffer: 1 }`, a local `const process`
// or the word "require" in a comment are fine; an unresolved `process` identifier is not.
import { readdirSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'

/** Globals that exist in Node (CommonJS or runtime) but not in Web-standard runtimes. */
export const NODE_GLOBALS: ReadonlySet<string> = new Set([
  'process',
  'Buffer',
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
  'clearImmediate',
])

/** One use of a Node-only API. */
export interface Finding {
  /** Path relative to the scanned directory, and 1-based line. */
  readonly where: string
  readonly what: string
}

/** True for `node:fs`, `fs`, `fs/promises`, ... */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true
  return builtinModules.includes(specifier.split('/')[0]!)
}

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return listSources(path)
    return /\.(c|m)?tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** True when `node` is a name in a position that does not reference a variable (a property name, a declared name). */
function isNonReferenceName(node: ts.Identifier): boolean {
  const parent = node.parent
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return true
  if (ts.isQualifiedName(parent) && parent.right === node) return true
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent)) &&
    parent.name === node
  ) {
    return true
  }
  if (ts.isBindingElement(parent) && parent.propertyName === node) return true
  if ((ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) && parent.propertyName === node) return true
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return true
  return false
}

/** The Node-only API uses in the `.ts` files under `dir` (recursively). */
export function findNodeOnlyApis(dir: string): Finding[] {
  const root = resolve(dir)
  const files = listSources(root)
  // Only name resolution is needed (does `process` resolve to a declaration in `dir`?), not type
  // checking: no default libs (none declares a Node global anyway; skipping them saves seconds)
  // and no @types/node.
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noLib: true,
    types: [],
    noEmit: true,
    skipLibCheck: true,
  })
  const checker = program.getTypeChecker()
  const findings: Finding[] = []

  for (const file of files) {
    const source = program.getSourceFile(file)!
    const report = (node: ts.Node, what: string) => {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
      findings.push({ where: `${relative(root, file)}:${line}`, what })
    }
    const checkSpecifier = (node: ts.Node, specifier: ts.Node | undefined) => {
      if (specifier && ts.isStringLiteralLike(specifier) && isNodeBuiltin(specifier.text)) {
        report(node, `imports the Node built-in module "${specifier.text}"`)
      }
    }
    const declaredInside = (symbol: ts.Symbol | undefined): boolean =>
      (symbol?.declarations ?? []).some((d) => resolve(d.getSourceFile().fileName).startsWith(root + '/'))

    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
        checkSpecifier(node, node.moduleSpecifier)
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
        report(node, 'uses `import x = require(...)`')
        checkSpecifier(node, node.moduleReference.expression)
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        checkSpecifier(node, node.arguments[0])
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        checkSpecifier(node, node.argument.literal)
      } else if (
        (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) &&
        ts.isIdentifier(node.expression) &&
        ['globalThis', 'self', 'window'].includes(node.expression.text)
      ) {
        const name = ts.isPropertyAccessExpression(node)
          ? node.name.text
          : ts.isStringLiteralLike(node.argumentExpression)
            ? node.argumentExpression.text
            : undefined
        if (name !== undefined && NODE_GLOBALS.has(name)) report(node, `uses the Node global \`${name}\` via ${node.expression.text}`)
      } else if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && !isNonReferenceName(node)) {
        // a name declared in `dir` (a local `process`, a parameter `require`) resolves to itself
        if (!declaredInside(checker.getSymbolAtLocation(node))) {
          report(node, `uses the Node global \`${node.text}\``)
        }
      }
      ts.forEachChild(node, visit)
    }
    for (const directive of source.typeReferenceDirectives) {
      if (directive.fileName === 'node' || directive.fileName.startsWith('node/')) {
        const line = source.getLineAndCharacterOfPosition(directive.pos).line + 1
        findings.push({ where: `${relative(root, file)}:${line}`, what: 'references the Node types (/// <reference types="node" />)' })
      }
    }
    visit(source)
  }
  return findings
}
