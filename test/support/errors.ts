/** Assertions on sessionflow's typed errors, shared by the test folders. */
import { expect } from 'vitest'
import { SessionflowError } from '../../src/index'

/**
 * Awaits `promise`, expects it to reject with an instance of `type` (a `SessionflowError`), and,
 * when `code` is given, with that stable code; returns the error for more checks.
 */
export async function expectRejects<E extends SessionflowError>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  code?: string,
): Promise<E> {
  let error: unknown
  try {
    await promise
  } catch (e) {
    error = e
  }
  if (!(error instanceof type)) {
    throw new Error(`expected a ${type.name}, got ${error === undefined ? 'success' : String((error as Error)?.stack ?? error)}`)
  }
  expect(error).toBeInstanceOf(SessionflowError)
  if (code !== undefined) expect(error.code).toBe(code)
  return error
}
