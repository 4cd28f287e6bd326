import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  ConflictError,
  type ErrorCode,
  ForbiddenWriteError,
  InvalidValueError,
  RemoteAppError,
  SessionNotFoundError,
  StoreError,
  TransformFailedError,
  TransformLoopError,
} from '../../src/index'
import { HTTP_STATUS, statusOf } from '../../src/http/index'
import { HttpProblem, errorBody, errorResponse } from '../../src/http/responses'
import { fcParams } from '../support/fc'

/** One error of each code. */
const ERRORS: Record<ErrorCode, Error> = {
  CONFIG: new ConfigError('bad app', 'a'),
  INVALID_VALUE: new InvalidValueError('not JSON', 'public.x'),
  FORBIDDEN_WRITE: new ForbiddenWriteError(['store.x'], ['public']),
  SESSION_NOT_FOUND: new SessionNotFoundError('id'),
  TRANSFORM_LOOP: new TransformLoopError('repeat', ['a'], ['public.x'], 3),
  TRANSFORM_FAILED: new TransformFailedError('fraud', 'timeout', new Error('10.0.0.9')),
  CONFLICT: new ConflictError('id', 6),
  STORE: new StoreError('put', new Error('redis://secret@10.0.0.3')),
}

describe('statusOf', () => {
  it('maps each code to the documented status', () => {
    const statuses = Object.entries(ERRORS).map(([code, error]) => `${code} ${statusOf(error)}`)
    expect(statuses.join(', ')).toBe(
      'CONFIG 500, INVALID_VALUE 400, FORBIDDEN_WRITE 403, SESSION_NOT_FOUND 404, TRANSFORM_LOOP 500, TRANSFORM_FAILED 503, CONFLICT 409, STORE 503',
    )
    expect(Object.entries(HTTP_STATUS).map(([code, status]) => `${code} ${status}`)).toEqual(statuses)
  })

  it('413 for an input or session over a size limit; a remote 401/403 on the error or its cause; 500 for anything else', () => {
    expect(statusOf(new InvalidValueError('big', undefined, { limit: 'maxSessionBytes' }))).toBe(413)
    const remote = (status: number | undefined) => new TransformFailedError('auth', 'x', new RemoteAppError('https://auth.example/', status, 'no'))
    expect(statusOf(remote(401))).toBe(401)
    expect(statusOf(remote(403))).toBe(403)
    // other statuses of an upstream are not passed through: the client cannot act on a 500 of ours
    expect(statusOf(remote(500))).toBe(503)
    expect(statusOf(remote(undefined))).toBe(503)
    // only a remote app's answer counts, not any error that happens to carry a status
    expect(statusOf(new TransformFailedError('auth', 'x', Object.assign(new Error('no'), { status: 403 })))).toBe(503)
    expect(statusOf(new TypeError('bug'))).toBe(500)
    expect(statusOf('a string')).toBe(500)
    expect(statusOf(new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'x'))).toBe(415)
  })
})

describe('error bodies', () => {
  it('4xx keep the message and details; 5xx get a generic message', () => {
    expect(errorBody(ERRORS.INVALID_VALUE, 400)).toEqual({ code: 'INVALID_VALUE', message: 'public.x: not JSON', path: 'public.x' })
    expect(errorBody(ERRORS.FORBIDDEN_WRITE, 403)).toMatchObject({ code: 'FORBIDDEN_WRITE', params: ['store.x'] })
    expect(errorBody(ERRORS.STORE, 503)).toEqual({ code: 'STORE', message: 'the server could not complete the request (STORE)' })
    expect(errorBody(ERRORS.TRANSFORM_LOOP, 500)).toMatchObject({ code: 'TRANSFORM_LOOP', reason: 'repeat' })
    expect(errorBody(new Error('boom'), 500)).toEqual({ code: 'INTERNAL', message: 'the server could not complete the request' })
  })

  it('never carry a stack or a 5xx cause, whatever the message (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.values(ERRORS)), fc.string(), async (error, secret) => {
        const withSecret = Object.assign(Object.create(Object.getPrototypeOf(error)), error, { message: `${error.message} ${secret}` })
        const response = errorResponse(withSecret)
        const text = await response.text()
        expect(response.headers.get('cache-control')).toBe('no-store')
        expect(text).not.toContain('    at ')
        const body = JSON.parse(text)
        expect(Object.keys(body).every((key) => ['code', 'message', 'path', 'limit', 'params', 'reason'].includes(key))).toBe(true)
        if (response.status >= 500 && secret.trim().length > 3) expect(body.message).not.toContain(secret)
      }),
      fcParams(100),
    )
  })
})
