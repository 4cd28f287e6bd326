/**
 * The Standard Schema v1 interface (https://standardschema.dev), inlined: types only, structurally
 * identical to `@standard-schema/spec` v1, so the published typings need no extra package. It
 * imports nothing.
 */

/** The Standard Schema v1 interface (inlined from `@standard-schema/spec`; structurally the same). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>
}

/** Types of the Standard Schema v1 interface. */
export declare namespace StandardSchemaV1 {
  /** The `~standard` property. */
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown, options?: Options | undefined) => Result<Output> | Promise<Result<Output>>
    readonly types?: Types<Input, Output> | undefined
  }
  /** Options passed to `validate`. */
  interface Options {
    readonly libraryOptions?: Record<string, unknown> | undefined
  }
  /** What `validate` returns. */
  type Result<Output> = SuccessResult<Output> | FailureResult
  /** Success: the (possibly transformed) value. */
  interface SuccessResult<Output> {
    readonly value: Output
    readonly issues?: undefined
  }
  /** Failure: the issues. */
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>
  }
  /** One validation issue. */
  interface Issue {
    readonly message: string
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined
  }
  /** A path segment of an issue. */
  interface PathSegment {
    readonly key: PropertyKey
  }
  /** The inferred types. */
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input
    readonly output: Output
  }
  /** The input type of a schema. */
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input']
  /** The output type of a schema. */
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output']
}
