import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, SessionEngine, defineApp } from '../../src/index'
import { driveClock } from '../support/clock'

/** An app monitoring public.go that hands its ctx.signal to `see`. */
const watcher = (name: string, see: (signal: AbortSignal) => void, timeoutMs?: number) =>
  defineApp({
    name,
    input: { public: ['go'] },
    output: { [name]: ['v'] },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    transform: (_input, ctx) => {
      see(ctx.signal)
      return undefined
    },
  })

describe('ctx.signal belongs to one run', () => {
  const RealAbortController = globalThis.AbortController
  afterEach(() => {
    globalThis.AbortController = RealAbortController
  })

  for (const timeoutMs of [undefined, 60_000]) {
    const which = timeoutMs === undefined ? 'without a timeout' : 'with a timeout'

    it(`${which}: every run, of any session or app, gets its own signal`, async () => {
      const signals: AbortSignal[] = []
      const engine = new SessionEngine({
        clock: new ManualClock(),
        apps: [watcher('a', (s) => signals.push(s), timeoutMs), watcher('b', (s) => signals.push(s), timeoutMs)],
      })
      const one = await engine.create()
      const two = await engine.create()
      await engine.patch(one.session.id, { public: { go: 1 } })
      await engine.patch(two.session.id, { public: { go: 1 } })
      await engine.patch(one.session.id, { public: { go: 2 } })
      expect(signals).toHaveLength(6)
      expect(new Set(signals).size).toBe(6)
      for (const signal of signals) expect(signal.aborted).toBe(false)
    })

    it(`${which}: what one session's run sets on its signal is not seen by another session's run`, async () => {
      const seen: unknown[] = []
      const engine = new SessionEngine({
        clock: new ManualClock(),
        apps: [
          watcher(
            'tagger',
            (signal) => {
              const tagged = signal as AbortSignal & { owner?: string }
              seen.push(tagged.owner)
              tagged.owner = 'first session'
            },
            timeoutMs,
          ),
        ],
      })
      const one = await engine.create()
      const two = await engine.create()
      await engine.patch(one.session.id, { public: { go: 1 } })
      await engine.patch(two.session.id, { public: { go: 1 } })
      expect(seen).toEqual([undefined, undefined])
    })

    it(`${which}: 2,000 runs adding an abort listener leave one listener per signal, none accumulates`, async () => {
      const signals = new Set<AbortSignal>()
      const engine = new SessionEngine({
        clock: new ManualClock(),
        apps: [
          watcher(
            'listener',
            (signal) => {
              signal.addEventListener('abort', () => {})
              signals.add(signal)
            },
            timeoutMs,
          ),
        ],
      })
      for (let i = 0; i < 2_000; i++) await engine.runTransform({}, { public: { go: i } })
      expect(signals.size).toBe(2_000)
      for (const signal of signals) expect(getEventListeners(signal, 'abort')).toHaveLength(1)
    })
  }

  it('is made on first read only: runs that never read ctx.signal create no AbortController', async () => {
    let made = 0
    globalThis.AbortController = class extends RealAbortController {
      constructor() {
        super()
        made++
      }
    }
    const quiet = defineApp({ name: 'quiet', input: { public: ['go'] }, output: { q: ['v'] }, transform: (input) => ({ q: { v: input.public.go ?? null } }) })
    const timed = defineApp({ ...quiet, name: 'timed', output: { t: ['v'] }, timeoutMs: 1_000, transform: (input) => ({ t: { v: input.public.go ?? null } }) })
    const engine = new SessionEngine({ clock: new ManualClock(), apps: [quiet, timed] })
    for (let i = 0; i < 50; i++) await engine.runTransform({}, { public: { go: i } })
    expect(made).toBe(0)
    const reader = new SessionEngine({ clock: new ManualClock(), apps: [watcher('reader', () => {})] })
    for (let i = 0; i < 5; i++) await reader.runTransform({}, { public: { go: i } })
    expect(made).toBe(5)
  })

  it('a timed-out run aborts its own signal only', async () => {
    const clock = new ManualClock()
    const signals = new Map<number, AbortSignal>()
    const engine = new SessionEngine({
      clock,
      apps: [
        defineApp({
          name: 'maybe-hangs',
          input: { public: ['go'] },
          output: { out: ['v'] },
          timeoutMs: 10,
          transform: (input, ctx) => {
            signals.set(input.public.go as number, ctx.signal)
            return input.public.go === 1 ? new Promise<undefined>(() => {}) : undefined
          },
        }),
      ],
    })
    await driveClock(clock, engine.runTransform({}, { public: { go: 1 } }), 10)
    await engine.runTransform({}, { public: { go: 2 } })
    expect(signals.get(1)!.aborted).toBe(true)
    expect(signals.get(2)!.aborted).toBe(false)
  })
})
