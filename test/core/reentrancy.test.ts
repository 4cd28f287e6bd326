/**
 * Re-entrancy: a call made from a transform on a session whose cycle waits for that transform
 * fails at once with ReentrantCallError instead of waiting forever; reads never wait on the write
 * queue. Hangs are detected by counting event-loop turns, never by time.
 */
import { describe, expect, it } from 'vitest'
import { ReentrantCallError, type SessionEngine as Engine, SessionEngine, defineApp, recipe, jsonPatch } from '../../src/index'
import { flush } from '../support/clock'
import { deferred } from '../support/helpers'

/** Resolves with the promise's outcome, or fails the test if it is still pending after `turns` event-loop turns. */
async function settles<T>(promise: Promise<T>, turns = 500): Promise<{ value?: T; error?: unknown }> {
  let outcome: { value?: T; error?: unknown } | undefined
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  )
  for (let i = 0; i < turns && outcome === undefined; i++) await flush()
  if (outcome === undefined) throw new Error(`still pending after ${turns} event-loop turns: it hangs`)
  return outcome
}

describe('re-entrant calls', () => {
  it('a transform awaiting a patch of its own session (the attack, unchanged): the inner call fails fast, the outer call completes', async () => {
    const inner: unknown[] = []
    let engine!: Engine
    const selfCaller = defineApp({
      name: 'self-caller',
      input: { public: ['go'] },
      output: { d: ['done'] },
      transform: async (i, ctx) => {
        if (i.public.go !== 1) return undefined
        try {
          await engine.patch(ctx.sessionId!, { public: { other: 1 } })
        } catch (error) {
          inner.push(error)
        }
        return { d: { done: true } }
      },
    })
    engine = new SessionEngine({ apps: [selfCaller] })
    const { session } = await engine.create()
    const { value, error } = await settles(engine.patch(session.id, { public: { go: 1 } }))
    expect(error).toBeUndefined()
    expect(value!.session.namespaces).toEqual({ public: { go: 1 }, d: { done: true } })
    expect(inner).toHaveLength(1)
    expect(inner[0]).toBeInstanceOf(ReentrantCallError)
    expect((inner[0] as ReentrantCallError).code).toBe('CONFLICT')
    expect((inner[0] as ReentrantCallError).waitChain).toEqual([session.id, session.id])
  })

  it('after an await (not recognizable by itself), a call passing { from: ctx } fails fast too: patch, JSON Patch, touch, delete', async () => {
    const inner: unknown[] = []
    let engine!: Engine
    const app = defineApp({
      name: 'late-caller',
      input: { public: ['go'] },
      output: { d: ['done'] },
      transform: async (i, ctx) => {
        if (i.public.go !== 1) return undefined
        await Promise.resolve()
        const id = ctx.sessionId!
        for (const call of [
          () => engine.patch(id, { public: { x: 1 } }, { from: ctx }),
          () => engine.patch(id, recipe((d) => void (d.public!.x = 1)), { from: ctx }),
          () => engine.patch(id, jsonPatch([{ op: 'add', path: '/public/x', value: 1 }]), { from: ctx }),
          () => engine.touch(id, { from: ctx }),
          () => engine.delete(id, { from: ctx }),
        ]) {
          await call().catch((e: unknown) => inner.push(e))
        }
        return { d: { done: true } }
      },
    })
    engine = new SessionEngine({ apps: [app] })
    const { session } = await engine.create()
    const { error } = await settles(engine.patch(session.id, { public: { go: 1 } }))
    expect(error).toBeUndefined()
    expect(inner).toHaveLength(5)
    for (const e of inner) expect(e).toBeInstanceOf(ReentrantCallError)
    expect((await engine.get(session.id))?.namespaces.d).toEqual({ done: true })
  })

  it('two sessions whose transforms await a call on each other: one call fails fast, both outer calls complete', async () => {
    const inner: unknown[] = []
    const ids: Record<string, string> = {}
    const gates = { a: deferred(), b: deferred() }
    let engine!: Engine
    const app = defineApp({
      name: 'cross-caller',
      input: { public: ['go', 'name'] },
      output: { d: ['done'] },
      transform: async (i, ctx) => {
        if (i.public.go !== 1) return undefined
        const me = i.public.name as 'a' | 'b'
        const other = me === 'a' ? 'b' : 'a'
        // both cycles are running before either calls the other
        gates[me].resolve()
        await gates[other].promise
        try {
          await engine.patch(ids[other]!, { public: { poke: me } }, { from: ctx })
        } catch (error) {
          inner.push(error)
        }
        return { d: { done: true } }
      },
    })
    engine = new SessionEngine({ apps: [app] })
    ids.a = (await engine.create({ public: { name: 'a' } })).session.id
    ids.b = (await engine.create({ public: { name: 'b' } })).session.id
    const both = Promise.all([engine.patch(ids.a, { public: { go: 1 } }), engine.patch(ids.b, { public: { go: 1 } })])
    const { error } = await settles(both)
    expect(error).toBeUndefined()
    expect(inner).toHaveLength(1)
    const refused = inner[0] as ReentrantCallError
    expect(refused).toBeInstanceOf(ReentrantCallError)
    expect(refused.waitChain).toHaveLength(3)
    expect(refused.waitChain[0]).toBe(refused.waitChain[2])
    // the call that was not refused did land
    const pokes = [(await engine.get(ids.a))?.namespaces.public?.poke, (await engine.get(ids.b))?.namespaces.public?.poke]
    expect(pokes.filter((p) => p !== undefined)).toHaveLength(1)
  })

  it('a call from a transform on another session, with no loop of waits, is not refused', async () => {
    let engine!: Engine
    let target = ''
    const app = defineApp({
      name: 'notifier',
      input: { public: ['go'] },
      output: { d: ['done'] },
      transform: async (i, ctx) => {
        if (i.public.go !== 1) return undefined
        await engine.patch(target, { public: { notified: ctx.sessionId! } }, { from: ctx })
        return { d: { done: true } }
      },
    })
    engine = new SessionEngine({ apps: [app] })
    target = (await engine.create()).session.id
    const { session } = await engine.create()
    const { error } = await settles(engine.patch(session.id, { public: { go: 1 } }))
    expect(error).toBeUndefined()
    expect((await engine.get(target))?.namespaces.public).toEqual({ notified: session.id })
  })

  it('reads never wait on the write queue; calls from outside any transform still queue behind a running cycle', async () => {
    const gate = deferred()
    const slow = defineApp({
      name: 'slow',
      input: { public: ['go'] },
      output: { d: ['n'] },
      transform: async (i) => {
        if (i.public.go !== undefined) await gate.promise
        return { d: { n: (i.public.go as number | undefined) ?? 0 } }
      },
    })
    const engine = new SessionEngine({ apps: [slow] })
    const { session } = await engine.create()
    const first = engine.patch(session.id, { public: { go: 1 } })
    const second = engine.patch(session.id, { public: { go: 2 } })
    const read = await settles(engine.get(session.id))
    expect(read.value).toBe(session) // the cycle is still waiting: the read sees the saved session at once
    gate.resolve()
    const [a, b] = await Promise.all([first, second])
    expect(a.session.version).toBe(2)
    expect(b.session.version).toBe(3)
    expect(b.session.namespaces.d).toEqual({ n: 2 })
  })
})
