/**
 * Type tests: `createSessionHandler` takes any engine, typed or not, requires a signer, and is a
 * plain Fetch handler (what Hono, Workers, Deno and Bun expect).
 */
import { describe, expectTypeOf, it } from 'vitest'
import { SessionEngine, createTokenSigner } from '../../src/index'
import { type SessionHandler, type SessionHandlerOptions, createSessionHandler } from '../../src/http/index'

const signer = createTokenSigner({ keys: ['k'.repeat(32)] })

describe('createSessionHandler', () => {
  it('is (request: Request) => Promise<Response>, for untyped and typed engines', () => {
    const handle = createSessionHandler(new SessionEngine(), { signer })
    expectTypeOf(handle).toEqualTypeOf<SessionHandler>()
    expectTypeOf(handle).toEqualTypeOf<(request: Request) => Promise<Response>>()
    const typed = new SessionEngine<{ public: { country: 'BR' | 'US' } }>()
    expectTypeOf(createSessionHandler(typed, { signer })).toEqualTypeOf<SessionHandler>()
    // a Workers module
    const worker = { fetch: handle } satisfies { fetch(request: Request): Promise<Response> }
    void worker
  })

  it('requires a signer; options are checked by name and value', () => {
    // @ts-expect-error -- signer is required
    createSessionHandler(new SessionEngine(), {})
    // @ts-expect-error -- wire is 'vtex' or 'plain'
    createSessionHandler(new SessionEngine(), { signer, wire: 'json' })
    // @ts-expect-error -- SameSite is capitalized as in the header
    createSessionHandler(new SessionEngine(), { signer, sameSite: 'lax' })
    expectTypeOf<SessionHandlerOptions['captureCookies']>().toEqualTypeOf<readonly string[] | undefined>()
  })
})
