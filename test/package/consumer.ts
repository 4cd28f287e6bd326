// A throwaway "consumer project" that holds the PACKED package, the way an application that ran
// `npm install sessionflow` would: node_modules/sessionflow is the `npm pack` tarball unpacked
// (so the `files` allow-list and the `exports` map are what is tested, not the work tree), and
// the runtime dependencies are links to the repository's copies (no network). Node, Deno
// (package.json + node_modules mode), Bun and esbuild all resolve `sessionflow` from it as usual.
import { execFile } from 'node:child_process'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const FIXTURES = join(ROOT, 'test/package/fixtures')

/** Result of a child process that ran to its end. */
export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs a program and resolves with its exit code and output. A program that cannot be started at
 * all (missing binary, no permission) REJECTS: a runtime that is not there must fail the run
 * loudly, never look like a skipped or passing test.
 */
export function run(file: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      {
        cwd,
        env: { ...process.env, ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', FORCE_COLOR: '0' },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        // execFile reports a non-zero exit as an error with a numeric `code`; spawn failures
        // (ENOENT, EACCES) carry a string code and mean the runtime could not even start
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          reject(new Error(`could not start ${file} ${args.join(' ')}: ${error.message}`))
          return
        }
        if (error && error.killed) {
          reject(new Error(`${file} ${args.join(' ')} was killed (timeout?)\nstdout: ${stdout}\nstderr: ${stderr}`))
          return
        }
        resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
      },
    )
  })
}

/** Like {@link run}, but a non-zero exit is an error that shows the program's output. */
export async function runOk(file: string, args: readonly string[], cwd: string, env?: Record<string, string>): Promise<Ran> {
  const ran = await run(file, args, cwd, env)
  if (ran.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited with ${ran.code}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`)
  }
  return ran
}

/** A binary the devDependencies install into node_modules/.bin; missing => a loud error. */
export function devBinary(name: string): string {
  const path = join(ROOT, 'node_modules/.bin', name)
  if (!existsSync(path)) {
    throw new Error(`${name} not found at ${path}: it is a devDependency, so \`npm ci\` must install it (and its platform binary)`)
  }
  return path
}

/**
 * Fails when `dist/` is missing or older than a file in `src/`: the runtime tests exercise the
 * built package, so a stale build would test yesterday's code. `npm test` builds first.
 */
export async function assertFreshBuild(): Promise<void> {
  const built = join(ROOT, 'dist/index.js')
  if (!existsSync(built)) throw new Error('dist/index.js is missing: run `npm run build` (npm test does)')
  const builtAt = statSync(built).mtimeMs
  for (const name of await readdir(join(ROOT, 'src'), { recursive: true })) {
    // only sources are built: a guide (README.md) edited after the build does not make dist stale
    if (name.endsWith('.ts') && statSync(join(ROOT, 'src', name)).mtimeMs > builtAt) {
      throw new Error(`dist/ is older than src/${name}: run \`npm run build\` (npm test does)`)
    }
  }
}

/** A consumer project in a temporary directory; `dispose` removes it. */
export interface Consumer {
  readonly dir: string
  /** Files the packed tarball holds, as `npm pack` lists them. */
  readonly packedFiles: readonly string[]
  /** Writes a file into the consumer project. */
  write(name: string, text: string): Promise<string>
  dispose(): Promise<void>
}

/** Packs the package and installs the tarball into a new consumer project, with the fixtures copied in. */
export async function makeConsumer(): Promise<Consumer> {
  await assertFreshBuild()
  // the real path: runtimes and TypeScript report resolved files by it (macOS /var -> /private/var)
  const dir = realpathSync(await mkdtemp(join(tmpdir(), 'sessionflow-consumer-')))
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const packed = await runOk(npm, ['pack', '--json', '--pack-destination', dir], ROOT)
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string
      files: { path: string }[]
    }[]
    const target = join(dir, 'node_modules/sessionflow')
    await mkdir(target, { recursive: true })
    await runOk('tar', ['-xzf', join(dir, info!.filename), '-C', target, '--strip-components=1'], dir)
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string
      dependencies?: Record<string, string>
    }
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      await symlink(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir')
    }
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ private: true, type: 'module', dependencies: { sessionflow: manifest.version } }, null, 2),
    )
    await cp(FIXTURES, dir, { recursive: true })
    return {
      dir,
      packedFiles: info!.files.map((f) => f.path),
      async write(name, text) {
        const path = join(dir, name)
        await writeFile(path, text)
        return path
      },
      dispose: () => rm(dir, { recursive: true, force: true }),
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}
