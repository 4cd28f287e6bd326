/** Call deadlines: `{ signal }` on every call, aborted at every stage of a cycle. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidValueError, type Session, SessionEngine, type TransformContext, cacheTransforms, defineApp, jsonPatch, recipe } from '../../src/index'
import { fcParams } from '../support/fc'
import { SpyStore, deferred } from '../support/helpers'

const puts = (store: SpyStore) => store.calls.filter((c) => c === 'put').length

/** An app that records its ctx and waits for the test (ignoring its signal, like a careless transform). */
function waitingApp(name: string, input: string, output: string, gate: Promise<void>) {
  const contexts: TransformContext[] = []
  const app = defineApp({
    name,
    input: { public: [input] },
    output: { public: [output] },
    transform: async (_input, ctx) => {
      contexts.push(ctx)
      await gate
      return { public: { [output]: `${name} done` } }
    },
  })
  return { app, contexts }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

describe('an already aborted signal', () => {
  it('rejects every call with its reason before anything runs: no store access, no app, no validation', async () => {
    const store = new SpyStore()
    let runs = 0
    const app = defineApp({ name: 'a', input: { public: ['x'] }, output: { public: ['y'] }, runOnCreate: true, transform: () => void runs++ })
    const engine = new SessionEngine({ apps: [app], store })
    const { session } = await engine.create({ public: { x: 1 } })
    store.calls.length = 0
    runs = 0
    const reason = new Error('client gone')
    const signal = AbortSignal.abort(reason)
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['create', () => engine.create({ public: { x: 2 } }, { signal })],
      ['create with invalid changes', () => engine.create({ public: { x: () => 1 } } as never, { signal })],
      ['get', () => engine.get(session.id, { signal })],
      ['patch', () => engine.patch(session.id, { public: { x: 2 } }, { signal })],
      ['patch with a recipe', () => engine.patch(session.id, recipe((draft) => void (draft.public!.x = 3)), { signal })],
      ['applyJsonPatch', () => engine.patch(session.id, jsonPatch([{ op: 'add', path: '/public/x', value: 2 }]), { signal })],
      ['delete', () => engine.delete(session.id, { signal })],
      ['touch', () => engine.touch(session.id, { signal })],
      ['rotateId', () => engine.rotateId(session.id, { signal })],
      ['runCreate', () => engine.runCreate({ public: { x: 2 } }, { signal })],
      ['runTransform', () => engine.runTransform(session.namespaces, { public: { x: 2 } }, { signal })],
    ]
    for (const [name, call] of calls) expect(await rejectionOf(call()), name).toBe(reason)
    expect(store.calls).toEqual([])
    expect(runs).toBe(0)
    expect(await engine.get(session.id)).toEqual(session)
  })

  it('a signal that is not an AbortSignal is InvalidValueError', async () => {
    const engine = new SessionEngine()
    await expect(engine.create({}, { signal: {} as never })).rejects.toBeInstanceOf(InvalidValueError)
    await expect(engine.runCreate({}, { signal: 'soon' as never })).rejects.toBeInstanceOf(InvalidValueError)
  })
})

describe('aborting during a cycle', () => {
  it('during an async app: its ctx.signal aborts with the reason, the call rejects at once, nothing is saved', async () => {
    const store = new SpyStore()
    const gate = deferred()
    const { app, contexts } = waitingApp('slow', 'x', 'y', gate.promise)
    const engine = new SessionEngine({ apps: [app], store })
    const { session } = await engine.create()
    const before = puts(store)
    const controller = new AbortController()
    const call = engine.patch(session.id, { public: { x: 1 } }, { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(contexts).toHaveLength(1)
    expect(contexts[0]!.signal.aborted).toBe(false)
    const reason = new DOMException('deadline passed', 'TimeoutError')
    controller.abort(reason)
    expect(await rejectionOf(call)).toBe(reason)
    expect(contexts[0]!.signal.aborted).toBe(true)
    expect(contexts[0]!.signal.reason).toBe(reason)
    gate.resolve() // the careless app finishes later: its result lands nowhere
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(puts(store)).toBe(before)
    expect(await engine.get(session.id)).toEqual(session)
    // the engine is not stuck: the next call on the session runs
    expect((await engine.patch(session.id, { public: { z: 1 } })).session.version).toBe(2)
  })

  it('every running app of the wave is aborted, in pure calls too', async () => {
    const gate = deferred()
    const a = waitingApp('a', 'x', 'ya', gate.promise)
    const b = waitingApp('b', 'x', 'yb', gate.promise)
    const engine = new SessionEngine({ apps: [a.app, b.app] })
    const controller = new AbortController()
    const call = engine.runTransform({}, { public: { x: 1 } }, { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort()
    const error = await rejectionOf(call)
    expect((error as DOMException).name).toBe('AbortError')
    for (const ctx of [...a.contexts, ...b.contexts]) expect(ctx.signal.aborted).toBe(true)
    gate.resolve()
  })

  it('between waves: the next wave never starts, nothing is saved', async () => {
    const store = new SpyStore()
    const controller = new AbortController()
    let secondRan = false
    const first = defineApp({
      name: 'first',
      input: { public: ['x'] },
      output: { public: ['y'] },
      transform: () => {
        controller.abort('stop after wave 1')
        return { public: { y: 1 } }
      },
    })
    const second = defineApp({ name: 'second', input: { public: ['y'] }, output: { public: ['z'] }, transform: () => void (secondRan = true) })
    const engine = new SessionEngine({ apps: [first, second], store })
    const { session } = await engine.create()
    const before = puts(store)
    expect(await rejectionOf(engine.patch(session.id, { public: { x: 1 } }, { signal: controller.signal }))).toBe('stop after wave 1')
    expect(secondRan).toBe(false)
    expect(puts(store)).toBe(before)
    expect(await engine.get(session.id)).toEqual(session)
  })

  it('after the last wave, before the store write: nothing is saved', async () => {
    const store = new SpyStore()
    const controller = new AbortController()
    const last = defineApp({ name: 'last', input: { public: ['x'] }, output: { out: ['y'] }, transform: () => (controller.abort(), { out: { y: 1 } }) })
    const engine = new SessionEngine({ apps: [last], store })
    await expect(engine.create({ public: { x: 1 } }, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(puts(store)).toBe(0)
    expect(store.inner.size).toBe(0)
  })

  it('during the store write: too late, the write is the commit point and the call resolves saved', async () => {
    const store = new SpyStore()
    const engine = new SessionEngine({ store })
    const { session } = await engine.create()
    const gate = deferred()
    const put = store.put.bind(store)
    store.put = ((s: Session, expected: number | undefined) => gate.promise.then(() => put(s, expected))) as never
    const controller = new AbortController()
    const call = engine.patch(session.id, { public: { x: 1 } }, { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort()
    gate.resolve()
    const { session: saved } = await call
    expect(saved.version).toBe(2)
    expect(await engine.get(session.id)).toEqual(saved)
  })

  it('a critical app failing because of the abort still rejects with the reason, not TransformFailedError', async () => {
    const app = defineApp({
      name: 'critical',
      critical: true,
      input: { public: ['x'] },
      output: { public: ['y'] },
      transform: (_input, ctx) =>
        new Promise<undefined>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('lookup cancelled')))),
    })
    const engine = new SessionEngine({ apps: [app] })
    const controller = new AbortController()
    const call = engine.runCreate({ public: { x: 1 } }, { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const reason = new Error('deadline')
    controller.abort(reason)
    expect(await rejectionOf(call)).toBe(reason)
  })

  it('AbortSignal.timeout works as a deadline', async () => {
    const gate = deferred()
    const { app } = waitingApp('slow', 'x', 'y', gate.promise)
    const engine = new SessionEngine({ apps: [app] })
    const error = await rejectionOf(engine.runCreate({ public: { x: 1 } }, { signal: AbortSignal.timeout(10) }))
    expect((error as DOMException).name).toBe('TimeoutError')
    gate.resolve()
  })

  it('a cached app shared by two calls: aborting one does not fail the other, and the result is cached', async () => {
    const gate = deferred()
    let lookups = 0
    const app = defineApp({
      name: 'lookup',
      input: { public: ['x'] },
      output: { public: ['y'] },
      cache: { ttlMs: 60_000 },
      transform: async () => {
        lookups++
        await gate.promise
        return { public: { y: 'found' } }
      },
    })
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms() })
    const controller = new AbortController()
    const aborted = engine.runCreate({ public: { x: 1 } }, { signal: controller.signal })
    const other = engine.runCreate({ public: { x: 1 } })
    await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    gate.resolve()
    expect((await other).namespaces.public).toEqual({ x: 1, y: 'found' })
    expect((await engine.runCreate({ public: { x: 1 } })).report.waves[0]!.apps[0]!.cached).toBe(true)
    expect(lookups).toBe(1)
  })

  it('whatever wave the abort comes in, the call either resolves saved or rejects with the reason and saves nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 7 }), fc.boolean(), async (length, abortAt, async) => {
        // a chain p0 -> p1 -> ... of `length` apps; the abort comes when app `abortAt` runs (never if beyond the chain)
        const controller = new AbortController()
        let calls = 0
        const apps = Array.from({ length }, (_, i) =>
          defineApp({
            name: `step${i}`,
            input: { p: [`k${i}`] },
            output: { p: [`k${i + 1}`] },
            transform: (input: { readonly p: { readonly [k: string]: unknown } }) => {
              if (calls++ === abortAt) controller.abort(`abort at ${abortAt}`)
              const out = { p: { [`k${i + 1}`]: Number(input.p[`k${i}`]) + 1 } }
              return async ? Promise.resolve(out) : out
            },
          } as never),
        )
        const store = new SpyStore()
        const engine = new SessionEngine({ apps, store, writableNamespaces: ['p'] })
        const { session } = await engine.create()
        const result = await engine.patch(session.id, { p: { k0: 0 } }, { signal: controller.signal }).then(
          (r) => r.session,
          (error: unknown) => error,
        )
        const stored = await engine.get(session.id)
        if (abortAt < length) {
          expect(result).toBe(`abort at ${abortAt}`)
          expect(stored).toEqual(session)
        } else {
          expect(stored).toEqual(result)
          expect((result as Session).namespaces.p![`k${length}`]).toBe(length)
        }
      }),
      fcParams(100),
    )
  })
})
