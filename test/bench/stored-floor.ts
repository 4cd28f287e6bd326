/**
 * The floor of the realistic stored patch: the same `patch(id, { public: { postalCode } })`
 * through a `Map` of frozen sessions, written by hand for this one graph and this one param, with
 * only what the engine's contract requires of it — read the session, check the client's value,
 * build the frozen input, call the real `checkout` transform with its timeout armed, check its
 * output, build the frozen namespaces and session, the RFC 6902 patch and an eager report, and
 * save with a compare-and-set. No graph lookups, no loop detection, no queue, no retry loop: what
 * a stored patch cannot cost less than, timed side by side with the engine's.
 */
import type { App, Namespace, Namespaces, Session, SessionResult, TransformContext } from '../../src/index'

interface Skeleton {
  /** Copies a session the engine created (same data) into the skeleton's store. */
  adopt(session: Session): void
  patch(id: string, postalCode: string): Promise<SessionResult>
}

/** The hand-specialized stored patch of `public.postalCode` over `apps` (the commerce graph). */
export function storedSkeleton(apps: readonly App[], ttlMs = 30 * 60_000): Skeleton {
  const store = new Map<string, Session>()
  const checkout = apps.find((app) => app.name === 'checkout')!
  const transform = checkout.transform as (input: unknown, ctx: TransformContext) => Promise<unknown>
  const timeoutMs = checkout.timeoutMs ?? 2_000
  return {
    adopt(session) {
      store.set(session.id, session)
    },
    async patch(id, postalCode) {
      const started = performance.now()
      const session = store.get(id)
      if (session === undefined || session.expiresAt <= Date.now()) throw new Error('no session')
      if (typeof postalCode !== 'string' || postalCode.length > 16_384) throw new TypeError('not a JSON string within limits')
      const base = session.namespaces
      const pub = base.public!
      if (pub.postalCode === postalCode) return { session, patch: [], report: emptyReport(started) }
      const input = Object.freeze({ public: Object.freeze({ country: pub.country, postalCode }) })
      const ctx: TransformContext = { sessionId: id, app: 'checkout', wave: 1, signal: NEVER }
      const appStarted = performance.now()
      const timer = setTimeout(() => {}, timeoutMs)
      const output = (await transform(input, ctx)) as { checkout?: { regionId?: unknown } }
      clearTimeout(timer)
      const appEnded = performance.now()
      if (typeof output !== 'object' || output === null || Object.getPrototypeOf(output) !== Object.prototype) throw new TypeError('not a plain object')
      const regionId = output.checkout?.regionId
      if (regionId !== undefined && typeof regionId !== 'string') throw new TypeError('not a string')
      const nextPublic: Namespace = Object.freeze({ ...pub, postalCode })
      const before = base.checkout?.regionId
      const changed = ['public.postalCode']
      const patch: SessionResult['patch'][number][] = [{ op: 'replace', path: '/public/postalCode', value: postalCode }]
      let namespaces: Namespaces
      if (regionId !== before) {
        changed.push('checkout.regionId')
        patch.push(regionId === undefined ? { op: 'remove', path: '/checkout/regionId' } : { op: before === undefined ? 'add' : 'replace', path: '/checkout/regionId', value: regionId })
        const nextCheckout: Namespace = Object.freeze({ ...base.checkout, regionId: regionId! })
        namespaces = Object.freeze({ ...base, public: nextPublic, checkout: nextCheckout })
      } else namespaces = Object.freeze({ ...base, public: nextPublic })
      const now = Date.now()
      const next: Session = Object.freeze({ id, version: session.version + 1, createdAt: session.createdAt, updatedAt: now, expiresAt: now + ttlMs, namespaces })
      if (store.get(id) !== session) throw new Error('conflict')
      store.set(id, next)
      const waveChanged = changed.slice(1)
      const ended = performance.now()
      return {
        session: next,
        patch,
        report: {
          kind: 'patch',
          trigger: ['public.postalCode'],
          waves: [
            {
              wave: 1,
              kind: 'changes',
              trigger: ['public.postalCode'],
              apps: [{ app: 'checkout', status: 'ok', durationMs: appEnded - appStarted, changed: waveChanged }],
              changed: waveChanged,
              conflicts: [],
              durationMs: ended - appStarted,
            },
          ],
          changed,
          durationMs: ended - started,
          attempts: 1,
          segmentChanged: false,
        },
      }
    },
  }
}

const NEVER = new AbortController().signal

function emptyReport(started: number): SessionResult['report'] {
  return { kind: 'patch', trigger: [], waves: [], changed: [], durationMs: performance.now() - started, attempts: 1, segmentChanged: false }
}
