import { describe, expect, it } from 'vitest'
import { ManualClock, SessionEngine } from '../../src/index'
import { commerceApps } from '../support/commerce'

describe('realistic graph smoke', () => {
  it('creates a session and runs the store app on create', async () => {
    const engine = new SessionEngine({ apps: commerceApps, clock: new ManualClock(0) })
    const { session } = await engine.create({ public: { country: 'US' } })
    expect(session.version).toBe(1)
    expect(session.namespaces.store).toEqual({ channel: 'web', currencyCode: 'USD' })
    expect(session.namespaces.checkout).toEqual({ regionId: 'us-0' })
  })
})
