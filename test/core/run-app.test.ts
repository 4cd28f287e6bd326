import { describe, expect, it } from 'vitest'
import { SessionEngine, defineApp } from '../../src/index'

describe('ctx.signal', () => {
  it('is one signal per app run, without a timeout too: no listener or expando reaches another run', async () => {
    const seen: AbortSignal[] = []
    const marks: unknown[] = []
    const app = defineApp({
      name: 'listener',
      input: { public: ['n'] },
      output: { d: ['n'] },
      transform: (i, ctx) => {
        const signal = ctx.signal as AbortSignal & { mark?: unknown }
        marks.push(signal.mark)
        signal.mark = ctx.sessionId
        signal.addEventListener('abort', () => undefined)
        seen.push(signal)
        return { d: { n: i.public.n ?? null } }
      },
    })
    const engine = new SessionEngine({ apps: [app] })
    const a = await engine.create({ public: { n: 1 } })
    const b = await engine.create({ public: { n: 2 } })
    for (let i = 0; i < 20; i++) await engine.patch(i % 2 ? a.session.id : b.session.id, { public: { n: 10 + i } })
    expect(seen).toHaveLength(22)
    expect(new Set(seen).size).toBe(22)
    expect(marks.every((m) => m === undefined)).toBe(true)
    expect(seen.every((s) => !s.aborted)).toBe(true)
  })
})
