import { describe, expect, it } from 'vitest'
import { InvalidValueError, SessionEngine, jsonPatch, recipe } from '../../src/index'
import { changeSource } from '../../src/writes/changes'

describe('patch: a changes object or a change source', () => {
  it('a bare function (the old recipe form) is refused with InvalidValueError saying what to write; nothing is saved', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({ public: { n: 1 } })
    const bare = (draft: { public: { n: number } }) => void (draft.public.n = 2)
    await expect(engine.patch(session.id, bare as never)).rejects.toThrow(/engine\.patch\(id, recipe\(\(draft\) => \.\.\.\)\)/)
    await expect(engine.patch(session.id, bare as never)).rejects.toBeInstanceOf(InvalidValueError)
    expect((await engine.get(session.id))?.version).toBe(1)
    const { session: next } = await engine.patch(session.id, recipe((draft) => void (draft.public!.n = 2)))
    expect(next.namespaces.public).toEqual({ n: 2 })
  })

  it('recipe() refuses what is not a function', () => {
    for (const fn of [undefined, null, 42, 'draft => {}', {}]) expect(() => recipe(fn as never)).toThrow(InvalidValueError)
  })

  it('recipe() and jsonPatch() give the same session for the same change', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({ public: { a: 1 } })
    const viaRecipe = await engine.patch(session.id, recipe((draft) => void (draft.public!.b = [1, 2])))
    const viaPatch = await engine.patch(session.id, jsonPatch([{ op: 'remove', path: '/public/b' }, { op: 'add', path: '/public/b', value: [1, 2] }]))
    expect(viaPatch.session.namespaces).toEqual(viaRecipe.session.namespaces)
  })

  it('only sources made by recipe() or jsonPatch() are taken: a look-alike is a changes object, and nothing of it is read', async () => {
    expect(changeSource(recipe(() => undefined))).toBeDefined()
    expect(changeSource(jsonPatch([]))).toBeDefined()
    let read = false
    const getter = Object.defineProperty({}, 'prepare', { get: () => ((read = true), () => () => []), enumerable: true })
    const hostile = new Proxy({}, { get: () => { throw new Error('trap') }, getOwnPropertyDescriptor: () => { throw new Error('trap') } })
    for (const value of [{ prepare: { a: 1 } }, { prepare: () => () => [] }, getter, hostile, undefined, null, 1, 'x', []]) expect(changeSource(value)).toBeUndefined()
    expect(read).toBe(false)
    // a forged source writing a namespace clients may not write is refused as the changes object it is
    const engine = new SessionEngine()
    const { session } = await engine.create({ public: { a: 1 } })
    const forged = { prepare: () => () => [{ namespace: 'account', key: 'admin', value: true }] }
    await expect(engine.patch(session.id, forged as never)).rejects.toBeInstanceOf(InvalidValueError)
    expect((await engine.get(session.id))?.version).toBe(1)
  })
})
