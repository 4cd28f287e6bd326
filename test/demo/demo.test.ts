/** The demos are programs: each runs in its own process, must exit by itself with code 0 and print its story. */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

function run(script: string): string {
  const path = fileURLToPath(new URL(script, import.meta.url))
  // throws on a non-zero exit code, and kills a demo that does not exit by itself
  return execFileSync(process.execPath, ['--import', 'tsx', path], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
}

describe('demos', () => {
  it('npm run demo:vtex: apps from configuration.json, checkout over a local HTTP server, the VTEX segment, a remote 403', () => {
    const out = run('./vtex-demo.ts')
    expect(out).toContain('apps: store, authentication, checkout, campaigns')
    expect(out).toMatch(/checkout\s+changed checkout\.regionId/)
    expect(out).toContain('the remote app received {"public":{"country":{"value":"US"},"postalCode":{"value":"94103"}}}')
    expect(out).toMatch(/authentication\s+changed profile\.email, profile\.isAuthenticated/)
    expect(out).toContain('decoded {"channel":"web","priceTables":null,"regionId":"us-9","utm_campaign":"verão"')
    expect(out).toContain('TRANSFORM_FAILED, HTTP 403')
    expect(out).toContain('stored version is still 2')
  })

  it('npm run demo: the commerce graph and a caught loop', () => {
    const out = run('./demo.ts')
    expect(out).toContain('1. create')
    expect(out).toContain('4. a loop is caught  TRANSFORM_LOOP')
  })
})
