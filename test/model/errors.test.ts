import { describe, expect, it } from 'vitest'
import * as root from '../../src/index'
import {
  ConfigError,
  ConflictError,
  ForbiddenWriteError,
  InvalidValueError,
  SessionNotFoundError,
  SessionflowError,
  StoreError,
  TransformFailedError,
  TransformLoopError,
} from '../../src/index'

describe('errors', () => {
  it('every class extends SessionflowError and Error, with its stable code and name', () => {
    const cases: Array<[SessionflowError, string, string]> = [
      [new ConfigError('x', 'app'), 'CONFIG', 'ConfigError'],
      [new InvalidValueError('x', 'public.a'), 'INVALID_VALUE', 'InvalidValueError'],
      [new ForbiddenWriteError(['cookie.a'], ['public']), 'FORBIDDEN_WRITE', 'ForbiddenWriteError'],
      [new SessionNotFoundError('id'), 'SESSION_NOT_FOUND', 'SessionNotFoundError'],
      [new TransformLoopError('repeat', ['a'], ['p.x'], 2), 'TRANSFORM_LOOP', 'TransformLoopError'],
      [new TransformFailedError('a', 'boom'), 'TRANSFORM_FAILED', 'TransformFailedError'],
      [new ConflictError('id', 3), 'CONFLICT', 'ConflictError'],
      [new StoreError('put', new Error('down')), 'STORE', 'StoreError'],
    ]
    for (const [error, code, name] of cases) {
      expect(error).toBeInstanceOf(SessionflowError)
      expect(error).toBeInstanceOf(Error)
      expect(error.code).toBe(code)
      expect(error.name).toBe(name)
      expect(typeof error.message).toBe('string')
    }
    expect(new Set(cases.map(([, code]) => code)).size).toBe(8)
  })

  it('the package root exports the engine, helpers and every error class', () => {
    for (const name of [
      'SessionEngine',
      'defineApp',
      'MemoryStore',
      'ManualClock',
      'SessionflowError',
      'ConfigError',
      'InvalidValueError',
      'ForbiddenWriteError',
      'SessionNotFoundError',
      'TransformLoopError',
      'TransformFailedError',
      'ConflictError',
      'StoreError',
    ]) {
      expect(typeof (root as Record<string, unknown>)[name]).toBe('function')
    }
  })
})
