// test/bench/graphs.ts
import { computed as pComputed, effect as pEffect, signal as pSignal } from "@preact/signals-core";
import { computed as mComputed, observable, reaction, runInAction } from "mobx";

// src/errors.ts
var SessionflowError = class extends Error {
  /** Stable machine-readable code. */
  code;
  constructor(code, message, options) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
};
var ConfigError = class extends SessionflowError {
  /** Name of the app at fault, when the problem is in an app. */
  app;
  constructor(message, app) {
    super("CONFIG", app === void 0 ? message : `app "${app}": ${message}`);
    this.app = app;
  }
};
var InvalidValueError = class extends SessionflowError {
  /** The param or JSON path concerned, when there is one (`public.country`, `/public/x/0`). */
  path;
  /** Validator issues (Standard Schema) when a validator refused the value. */
  issues;
  constructor(message, path, options) {
    super("INVALID_VALUE", path === void 0 ? message : `${path}: ${message}`, options);
    this.path = path;
    this.issues = options?.issues;
  }
};
var ForbiddenWriteError = class extends SessionflowError {
  /** The params or paths that may not be written. */
  params;
  constructor(params, writable) {
    super(
      "FORBIDDEN_WRITE",
      `may not write ${params.join(", ")}: writable namespaces are ${writable.map((n2) => `"${n2}"`).join(", ") || "(none)"}`
    );
    this.params = params;
  }
};
var SessionNotFoundError = class extends SessionflowError {
  /** The id that was asked for. */
  sessionId;
  constructor(sessionId) {
    super("SESSION_NOT_FOUND", `session not found or expired: ${sessionId}`);
    this.sessionId = sessionId;
  }
};
var TransformLoopError = class extends SessionflowError {
  /** Apps that kept running. */
  apps;
  /** Params that kept changing. */
  params;
  /** Waves run before the cycle was stopped (the create wave not counted). */
  waves;
  /** `'repeat'`: a (state, changed params) pair came back; `'maxWaves'`: the wave budget ran out. */
  reason;
  constructor(reason, apps, params, waves) {
    super(
      "TRANSFORM_LOOP",
      (reason === "repeat" ? `transform loop: the cycle came back to a state it had already been in after ${waves} waves` : `transform loop: the cycle did not end within maxWaves (${waves})`) + `; apps: ${apps.join(", ")}; params: ${params.join(", ")}`
    );
    this.apps = apps;
    this.params = params;
    this.waves = waves;
    this.reason = reason;
  }
};
var TransformFailedError = class extends SessionflowError {
  /** The critical app that failed. */
  app;
  constructor(app, message, cause) {
    super("TRANSFORM_FAILED", `critical app "${app}" failed: ${message}`, { cause });
    this.app = app;
  }
};
var ConflictError = class extends SessionflowError {
  /** The contended session. */
  sessionId;
  constructor(sessionId, attempts) {
    super("CONFLICT", `session ${sessionId} kept changing under us; gave up after ${attempts} attempts`);
    this.sessionId = sessionId;
  }
};
var StoreError = class extends SessionflowError {
  /** Which store operation failed. */
  operation;
  constructor(operation, cause) {
    super("STORE", `store ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.operation = operation;
  }
};

// src/param.ts
var RESERVED_NAMES = /* @__PURE__ */ new Set(["__proto__", "constructor", "prototype"]);
var MAX_NAME_LENGTH = 128;
function nameProblem(name) {
  if (typeof name !== "string") return `must be a string, got ${typeof name}`;
  if (name.length === 0) return "must not be empty";
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (RESERVED_NAMES.has(name)) return `"${name}" is a reserved name`;
  if (/[.*\u0000-\u001f]/.test(name)) return `"${name}" must not contain ".", "*" or control characters`;
  return void 0;
}

// src/app.ts
var defineApp = (config) => {
  compileApp(config, 0);
  return Object.freeze({ ...config });
};
var KNOWN_KEYS = /* @__PURE__ */ new Set(["name", "input", "output", "runOnCreate", "timeoutMs", "critical", "transform"]);
function compileApp(config, index, defaultTimeoutMs, validators) {
  if (typeof config !== "object" || config === null) throw new ConfigError(`app #${index} must be an object`);
  const name = config.name;
  if (typeof name !== "string" || name.length === 0) throw new ConfigError(`app #${index} needs a non-empty string name`);
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(`unknown option "${key}"`, name);
  }
  if (typeof config.transform !== "function") throw new ConfigError("transform must be a function", name);
  for (const flag of ["runOnCreate", "critical"]) {
    if (config[flag] !== void 0 && typeof config[flag] !== "boolean") throw new ConfigError(`${flag} must be a boolean`, name);
  }
  const timeoutMs = config.timeoutMs ?? defaultTimeoutMs;
  if (timeoutMs !== void 0 && !(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs <= 2147483647)) {
    throw new ConfigError("timeoutMs must be a number > 0 and < 2^31", name);
  }
  const inputs = declaredParams(config.input, "input", name);
  const outputs = /* @__PURE__ */ new Map();
  for (const [ns, key] of declaredParams(config.output, "output", name)) {
    let keys = outputs.get(ns);
    if (keys === void 0) outputs.set(ns, keys = /* @__PURE__ */ new Set());
    keys.add(key);
  }
  for (const ns of Object.keys(config.output ?? {})) if (!outputs.has(ns)) outputs.set(ns, /* @__PURE__ */ new Set());
  const inputNamespaces = config.input === void 0 ? [] : Object.keys(config.input);
  const emptyInput = Object.freeze(Object.fromEntries(inputNamespaces.map((ns) => [ns, Object.freeze({})])));
  let own2;
  if (validators !== void 0 && validators.size > 0) {
    for (const [ns, keys] of outputs) {
      for (const key of keys) {
        const validator = validators.get(`${ns}.${key}`);
        if (validator !== void 0) (own2 ??= /* @__PURE__ */ new Map()).set(`${ns}.${key}`, validator);
      }
    }
  }
  return {
    index,
    name,
    inputs,
    inputNamespaces,
    outputs,
    runOnCreate: config.runOnCreate === true,
    timeoutMs,
    critical: config.critical === true,
    transform: config.transform,
    emptyInput,
    validators: own2
  };
}
function declaredParams(declaration, what, app) {
  if (declaration === void 0) return [];
  if (typeof declaration !== "object" || declaration === null || Array.isArray(declaration)) {
    throw new ConfigError(`${what} must be an object of namespace -> array of keys`, app);
  }
  const params = [];
  const seen = /* @__PURE__ */ new Set();
  for (const ns of Reflect.ownKeys(declaration)) {
    const nsProblem = nameProblem(ns);
    if (nsProblem !== void 0) throw new ConfigError(`${what} namespace ${nsProblem}`, app);
    const keys = declaration[ns];
    if (!Array.isArray(keys)) throw new ConfigError(`${what}.${String(ns)} must be an array of keys`, app);
    for (const key of keys) {
      const keyProblem = nameProblem(key);
      if (keyProblem !== void 0) throw new ConfigError(`${what} key in "${String(ns)}" ${keyProblem}`, app);
      const param = `${String(ns)}.${key}`;
      if (seen.has(param)) throw new ConfigError(`${what} declares ${param} twice`, app);
      seen.add(param);
      params.push([ns, key]);
    }
  }
  return params;
}

// src/clock.ts
var systemClock = { now: () => Date.now() };

// src/json.ts
var DEFAULT_LIMITS = Object.freeze({
  maxSessionBytes: 65536,
  maxDepth: 32,
  maxKeysPerNamespace: 1e3,
  maxStringLength: 16384,
  maxNamespaces: 64
});
function checkValue(input, path, limits) {
  switch (typeof input) {
    case "string":
      if (input.length > limits.maxStringLength) throw tooLong(path, limits);
      return { value: input, size: input.length + 2 };
    case "number":
      if (!Number.isFinite(input)) throw new InvalidValueError(`${input} is not a finite number`, path);
      return input === 0 ? { value: 0, size: 1 } : { value: input, size: String(input).length };
    case "boolean":
      return { value: input, size: input ? 4 : 5 };
    case "object":
      if (input === null) return { value: null, size: 4 };
      break;
    default:
      throw new InvalidValueError(`${typeof input} is not a JSON value`, path);
  }
  const walker = { size: 0, ancestors: /* @__PURE__ */ new Set(), limits };
  let value;
  try {
    value = copy(walker, input, path, 1);
  } catch (error) {
    throw asInvalidValue(error, path);
  }
  return { value, size: walker.size };
}
function asInvalidValue(error, path) {
  if (error instanceof InvalidValueError) return error;
  let reason;
  try {
    reason = error instanceof Error ? String(error.message) : String(error);
  } catch {
    reason = "unreadable error";
  }
  return new InvalidValueError(`not a plain JSON value (${reason})`, path, { cause: error });
}
function toJson(input, path, limits) {
  switch (typeof input) {
    case "string":
      if (input.length <= limits.maxStringLength) return input;
      break;
    case "number":
      if (Number.isFinite(input)) return input === 0 ? 0 : input;
      break;
    case "boolean":
      return input;
  }
  return checkValue(input, path, limits).value;
}
function copy(w, input, path, depth) {
  switch (typeof input) {
    case "string":
      if (input.length > w.limits.maxStringLength) throw tooLong(path, w.limits);
      w.size += input.length + 2;
      return input;
    case "number":
      if (!Number.isFinite(input)) throw new InvalidValueError(`${input} is not a finite number`, path);
      w.size += input === 0 ? 1 : String(input).length;
      return input === 0 ? 0 : input;
    case "boolean":
      w.size += input ? 4 : 5;
      return input;
    case "object":
      if (input === null) {
        w.size += 4;
        return null;
      }
      break;
    default:
      throw new InvalidValueError(`${typeof input} is not a JSON value`, path);
  }
  const object = input;
  if (depth > w.limits.maxDepth) throw new InvalidValueError(`nesting deeper than ${w.limits.maxDepth}`, path);
  if (w.ancestors.has(object)) throw new InvalidValueError("cyclic structure", path);
  w.ancestors.add(object);
  let out;
  if (Array.isArray(object)) {
    if (Object.getPrototypeOf(object) !== Array.prototype) throw new InvalidValueError("array subclass is not JSON", path);
    const keys = Reflect.ownKeys(object);
    if (keys.length !== object.length + 1) {
      throw new InvalidValueError("sparse array or array with extra properties is not JSON", path);
    }
    const arr = new Array(object.length);
    w.size += 2 + Math.max(0, object.length - 1);
    for (let i = 0; i < object.length; i++) {
      const d = Object.getOwnPropertyDescriptor(object, i);
      if (d === void 0) throw new InvalidValueError("sparse array is not JSON", `${path}/${i}`);
      if (!("value" in d)) throw new InvalidValueError("accessor property is not JSON", `${path}/${i}`);
      if (d.value === void 0) throw new InvalidValueError("undefined is not a JSON value", `${path}/${i}`);
      arr[i] = copy(w, d.value, `${path}/${i}`, depth + 1);
    }
    out = Object.freeze(arr);
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const name = object.constructor?.name;
      throw new InvalidValueError(`${typeof name === "string" && name ? name : "non-plain object"} is not a JSON value`, path);
    }
    const keys = Reflect.ownKeys(object);
    const obj = {};
    w.size += 2 + Math.max(0, keys.length - 1);
    for (const key of keys) {
      if (typeof key !== "string") throw new InvalidValueError("symbol keys are not JSON", path);
      if (RESERVED_NAMES.has(key)) throw new InvalidValueError(`"${key}" is a reserved name`, `${path}/${key}`);
      if (key.length > w.limits.maxStringLength) throw tooLong(path, w.limits);
      const d = Object.getOwnPropertyDescriptor(object, key);
      if (!("value" in d)) throw new InvalidValueError("accessor property is not JSON", `${path}/${key}`);
      if (!d.enumerable) throw new InvalidValueError("non-enumerable property is not JSON", `${path}/${key}`);
      if (d.value === void 0) throw new InvalidValueError("undefined is not a JSON value", `${path}/${key}`);
      w.size += key.length + 3;
      obj[key] = copy(w, d.value, `${path}/${key}`, depth + 1);
    }
    out = Object.freeze(obj);
  }
  w.ancestors.delete(object);
  return out;
}
function tooLong(path, limits) {
  return new InvalidValueError(`string longer than ${limits.maxStringLength}`, path);
}
function sizeOf(value) {
  switch (typeof value) {
    case "string":
      return value.length + 2;
    case "number":
      return value === 0 ? 1 : String(value).length;
    case "boolean":
      return value ? 4 : 5;
  }
  if (value === null) return 4;
  if (Array.isArray(value)) {
    let size2 = 2 + Math.max(0, value.length - 1);
    for (const item of value) size2 += sizeOf(item);
    return size2;
  }
  const keys = Object.keys(value);
  let size = 2 + Math.max(0, keys.length - 1);
  for (const key of keys) size += key.length + 3 + sizeOf(value[key]);
  return size;
}
function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a;
  const rb = b;
  for (const k of ka) if (!Object.hasOwn(rb, k) || !jsonEqual(ra[k], rb[k])) return false;
  return true;
}
function isPlainObject(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// src/changes.ts
function readChanges(changes, limits, writable) {
  try {
    return collectWrites(changes, limits, writable);
  } catch (error) {
    throw error instanceof SessionflowError ? error : asInvalidValue(error, void 0);
  }
}
function collectWrites(changes, limits, writable) {
  if (!isPlainObject(changes)) throw new InvalidValueError("changes must be a plain object of namespace -> { key: value }");
  const writes = [];
  const forbidden = [];
  for (const namespace of Reflect.ownKeys(changes)) {
    if (typeof namespace !== "string") throw new InvalidValueError("changes have a symbol key");
    const nsProblem = nameProblem(namespace);
    if (nsProblem !== void 0) throw new InvalidValueError(`namespace ${nsProblem}`, namespace.slice(0, 200));
    const params = property(changes, namespace, namespace);
    if (!isPlainObject(params)) throw new InvalidValueError("must be a plain object of key -> value", namespace);
    const keys = Reflect.ownKeys(params);
    if (keys.length > limits.maxKeysPerNamespace) {
      throw new InvalidValueError(`more than ${limits.maxKeysPerNamespace} params`, namespace);
    }
    for (const key of keys) {
      if (typeof key !== "string") throw new InvalidValueError("changes have a symbol key", namespace);
      const keyProblem = nameProblem(key);
      if (keyProblem !== void 0) throw new InvalidValueError(`key ${keyProblem}`, `${namespace}.${key.slice(0, 200)}`);
      const param = `${namespace}.${key}`;
      if (writable !== void 0 && !writable.has(namespace)) {
        forbidden.push(param);
        continue;
      }
      const value = property(params, key, param);
      writes.push({ namespace, key, value: value === void 0 ? void 0 : checkValue(value, param, limits).value });
    }
  }
  if (forbidden.length > 0) throw new ForbiddenWriteError(forbidden, [...writable]);
  return writes;
}
function property(obj, key, path) {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (!("value" in d)) throw new InvalidValueError("accessor property is not JSON", path);
  return d.value;
}

// src/client-patch.ts
import jsonpatch from "fast-json-patch";

// src/schema.ts
function compileSchema(schema) {
  if (schema === void 0) return void 0;
  if (!isPlainObject(schema)) throw new ConfigError("schema must be an object of namespace -> { key: validator }");
  const validators = /* @__PURE__ */ new Map();
  for (const [ns, keys] of Object.entries(schema)) {
    const nsProblem = nameProblem(ns);
    if (nsProblem !== void 0) throw new ConfigError(`schema: namespace ${nsProblem}`);
    if (!isPlainObject(keys)) throw new ConfigError(`schema.${ns} must be an object of key -> validator`);
    for (const [key, validator] of Object.entries(keys)) {
      const keyProblem = nameProblem(key);
      if (keyProblem !== void 0) throw new ConfigError(`schema.${ns}: key ${keyProblem}`);
      const standard = validator?.["~standard"];
      if (standard?.version !== 1 || typeof standard.validate !== "function") {
        throw new ConfigError(`schema.${ns}.${key} must implement Standard Schema v1 (a "~standard" property with validate())`);
      }
      validators.set(`${ns}.${key}`, validator);
    }
  }
  return validators.size === 0 ? void 0 : validators;
}
function validateWrites(writes, validators, limits) {
  let checked;
  let pending = false;
  for (let i = 0; i < writes.length; i++) {
    const { namespace, key, value } = writes[i];
    if (value === void 0) continue;
    const param = `${namespace}.${key}`;
    const validator = validators.get(param);
    if (validator === void 0) continue;
    let outcome;
    try {
      const result = validator["~standard"].validate(value);
      outcome = result instanceof Promise ? result.catch((thrown) => ({ thrown })) : result;
    } catch (thrown) {
      outcome = { thrown };
    }
    if (outcome instanceof Promise) pending = true;
    (checked ??= []).push([i, param, outcome]);
  }
  if (checked === void 0) return writes;
  if (!pending) return apply(writes, checked, limits);
  const list = checked;
  return Promise.all(list.map(([, , outcome]) => outcome)).then(
    (outcomes) => apply(
      writes,
      list.map(([i, param], n2) => [i, param, outcomes[n2]]),
      limits
    )
  );
}
function apply(writes, checked, limits) {
  const issues = [];
  let first;
  let cause;
  const out = writes.slice();
  for (const [i, param, outcome] of checked) {
    const { namespace, key } = writes[i];
    if ("thrown" in outcome) {
      first ??= param;
      cause ??= outcome.thrown;
      const message = outcome.thrown instanceof Error ? outcome.thrown.message : "validator threw";
      issues.push({ message, path: [namespace, key] });
      continue;
    }
    if (outcome.issues) {
      first ??= param;
      for (const issue of outcome.issues) issues.push({ ...issue, path: [namespace, key, ...issue.path ?? []] });
      continue;
    }
    out[i] = { namespace, key, value: checkValue(outcome.value, param, limits).value };
  }
  if (first === void 0) return out;
  const summary = issues.slice(0, 5).map((issue) => `${issue.path.map((p) => String(typeof p === "object" ? p.key : p)).join(".")}: ${issue.message}`).join("; ");
  throw new InvalidValueError(`validation failed: ${summary}`, first, { cause, issues: Object.freeze(issues) });
}

// src/wave.ts
var neverAborted;
var NO_WRITES = Object.freeze([]);
function runApp(app, input, sessionId, wave, limits) {
  const start = performance.now();
  const timeoutMs = app.timeoutMs;
  const controller = timeoutMs === void 0 ? void 0 : new AbortController();
  const ctx = {
    signal: controller?.signal ?? (neverAborted ??= new AbortController().signal),
    sessionId,
    app: app.name,
    wave
  };
  let result;
  let thenable = false;
  try {
    result = app.transform(input, ctx);
    thenable = typeof result === "object" && result !== null && typeof result.then === "function";
  } catch (error) {
    return failed(app, start, "threw", error);
  }
  if (!thenable) {
    if (timeoutMs !== void 0 && performance.now() - start > timeoutMs) {
      controller.abort(timeoutReason(app));
      return failed(app, start, "timeout", void 0);
    }
    return settle(app, start, result, limits);
  }
  return new Promise((resolve) => {
    let done = false;
    const timer = timeoutMs === void 0 ? void 0 : setTimeout(() => {
      done = true;
      controller.abort(timeoutReason(app));
      resolve(failed(app, start, "timeout", void 0));
    }, timeoutMs);
    Promise.resolve(result).then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(settle(app, start, value, limits));
      },
      (error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(failed(app, start, "rejected", error));
      }
    );
  });
}
function timeoutReason(app) {
  return new DOMException(`app "${app.name}" exceeded its timeout of ${app.timeoutMs} ms`, "TimeoutError");
}
function failed(app, start, kind, cause) {
  const message = kind === "timeout" ? `exceeded timeoutMs (${app.timeoutMs} ms)` : describeThrown(cause);
  return {
    app,
    durationMs: performance.now() - start,
    writes: NO_WRITES,
    undeclared: void 0,
    error: { kind, message, cause }
  };
}
function describeThrown(cause) {
  try {
    if (cause instanceof Error) return String(cause.message);
  } catch {
    return "an error whose message cannot be read";
  }
  return safeString(cause);
}
function safeString(value) {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
function settle(app, start, result, limits) {
  try {
    const { writes, undeclared } = readOutput(app, result, limits);
    if (app.validators !== void 0 && writes.length > 0) {
      const checked = validateWrites(writes, app.validators, limits);
      if (!(checked instanceof Promise)) return { app, durationMs: performance.now() - start, writes: checked, undeclared, error: void 0 };
      return checked.then(
        (valid) => ({ app, durationMs: performance.now() - start, writes: valid, undeclared, error: void 0 }),
        (error) => failed(app, start, "invalid-output", error)
      );
    }
    return { app, durationMs: performance.now() - start, writes, undeclared, error: void 0 };
  } catch (error) {
    return failed(app, start, "invalid-output", error);
  }
}
function readOutput(app, result, limits) {
  if (result === void 0) return { writes: NO_WRITES, undeclared: void 0 };
  if (!isPlainObject(result)) {
    throw new InvalidValueError(`transform must return a plain object or undefined, got ${describe(result)}`);
  }
  const writes = [];
  let undeclared;
  for (const namespace of Object.getOwnPropertyNames(result)) {
    const nsValue = plainProperty(result, namespace, namespace);
    if (nsValue === void 0) continue;
    const declared = app.outputs.get(namespace);
    if (declared === void 0) throw new InvalidValueError(`writes namespace "${namespace}", which is not in its output`);
    if (!isPlainObject(nsValue)) throw new InvalidValueError(`must be a plain object, got ${describe(nsValue)}`, namespace);
    for (const key of Object.getOwnPropertyNames(nsValue)) {
      const param = `${namespace}.${key}`;
      if (!declared.has(key)) {
        ;
        (undeclared ??= []).push(param);
        continue;
      }
      const value = plainProperty(nsValue, key, param);
      writes.push({ namespace, key, param, value: value === void 0 ? void 0 : toJson(value, param, limits) });
    }
    noSymbolKeys(nsValue, namespace);
  }
  noSymbolKeys(result, void 0);
  return { writes, undeclared };
}
function noSymbolKeys(obj, path) {
  if (Object.getOwnPropertySymbols(obj).length > 0) throw new InvalidValueError("output has a symbol key", path);
}
function plainProperty(obj, key, path) {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (!("value" in d)) throw new InvalidValueError("accessor property is not JSON", path);
  return d.value;
}
function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name ? `a ${name}` : "an object";
  }
  return typeof value;
}

// src/draft.ts
var hasOwn = Object.hasOwn;
function own(obj, key) {
  return obj !== void 0 && hasOwn(obj, key) ? obj[key] : void 0;
}
var LARGE = 200;
var Draft = class {
  base;
  /** namespace -> key -> value written during the cycle (`undefined`: deleted), in first-write order. */
  #writes = /* @__PURE__ */ new Map();
  constructor(base) {
    this.base = base;
  }
  /** Current value of a param, `undefined` when absent. */
  get(namespace, key) {
    const writes = this.#writes.get(namespace);
    if (writes !== void 0) {
      const value = writes.get(key);
      if (value !== void 0 || writes.has(key)) return value;
    }
    return own(own(this.base, namespace), key);
  }
  /** Current namespace (the base object when unwritten, else a fresh copy); read-only for callers. */
  namespace(namespace) {
    const before = own(this.base, namespace);
    const writes = this.#writes.get(namespace);
    if (writes === void 0) return before;
    const current = { ...before };
    for (const [key, value] of writes) {
      if (value === void 0) delete current[key];
      else current[key] = value;
    }
    return Object.keys(current).length === 0 && before === void 0 ? void 0 : current;
  }
  /** Sets (or with `undefined` deletes) a param. `value` must already be checked and frozen. */
  set(namespace, key, value) {
    let writes = this.#writes.get(namespace);
    if (writes === void 0) {
      if (value === void 0 && !hasOwn(this.base, namespace)) return;
      this.#writes.set(namespace, writes = /* @__PURE__ */ new Map());
    }
    writes.set(key, value);
  }
  /** Whether anything differs from the base. */
  get changed() {
    for (const [ns, writes] of this.#writes) {
      for (const [key, value] of writes) if (!jsonEqual(own(own(this.base, ns), key), value)) return true;
    }
    return false;
  }
  /**
   * Ends the cycle: builds and freezes the namespaces that changed, drops emptied ones, and
   * returns the new namespaces, the RFC 6902 patch from the base, the params that changed, and
   * the change in approximate JSON size.
   */
  finish() {
    const patch = [];
    const changed = [];
    let sizeDelta = 0;
    let largestNamespace = 0;
    let current;
    for (const [ns, writes] of this.#writes) {
      const before = own(this.base, ns);
      const nsPath = `/${escapePointer(ns)}`;
      const firstOp = patch.length;
      let count = 0;
      let nsChanged = false;
      for (const [key, b] of writes) {
        const a = own(before, key);
        if (jsonEqual(a, b)) continue;
        nsChanged = true;
        changed.push(`${ns}.${key}`);
        const path = `${nsPath}/${escapePointer(key)}`;
        const entry = key.length + 4;
        if (a === void 0) {
          count++;
          sizeDelta += entry + sizeOf(b);
          if (before !== void 0) patch.push({ op: "add", path, value: b });
        } else if (b === void 0) {
          count--;
          sizeDelta -= entry + sizeOf(a);
          patch.push({ op: "remove", path });
        } else {
          sizeDelta += sizeOf(b) - sizeOf(a);
          patch.push({ op: "replace", path, value: b });
        }
      }
      if (!nsChanged) continue;
      current ??= copyObject(this.base, Object.keys(this.base));
      const keys = before === void 0 ? [] : Object.keys(before);
      count += keys.length;
      if (count > largestNamespace) largestNamespace = count;
      if (count === 0) {
        patch.length = firstOp;
        delete current[ns];
        patch.push({ op: "remove", path: nsPath });
        sizeDelta -= ns.length + 6;
        continue;
      }
      const after = before === void 0 ? {} : copyObject(before, keys, count);
      for (const [key, value] of writes) {
        if (value === void 0) delete after[key];
        else after[key] = value;
      }
      current[ns] = Object.freeze(after);
      if (before === void 0) {
        patch.push({ op: "add", path: nsPath, value: after });
        sizeDelta += ns.length + 6;
      }
    }
    if (current === void 0 || changed.length === 0) {
      return { namespaces: this.base, patch: [], changed: [], sizeDelta: 0, largestNamespace: 0 };
    }
    return { namespaces: Object.freeze(current), patch, changed, sizeDelta, largestNamespace };
  }
};
function copyObject(source, keys, count = keys.length) {
  if (count < LARGE && keys.length < LARGE) return { ...source };
  const copy2 = { a: 0, b: 0 };
  delete copy2.a;
  delete copy2.b;
  for (const key of keys) copy2[key] = source[key];
  return copy2;
}
function escapePointer(token) {
  return token.includes("~") || token.includes("/") ? token.replace(/~/g, "~0").replace(/\//g, "~1") : token;
}

// src/client-patch.ts
var MAX_PATCH_OPS = 1e3;
var OPS = /* @__PURE__ */ new Set(["add", "remove", "replace", "move", "copy", "test"]);
function checkJsonPatch(ops, writable, limits) {
  if (!Array.isArray(ops)) throw new InvalidValueError(`a JSON Patch must be an array of operations, got ${describe(ops)}`);
  if (ops.length > MAX_PATCH_OPS) throw new InvalidValueError(`a JSON Patch may hold at most ${MAX_PATCH_OPS} operations`);
  const forbidden = [];
  const checked = Array.from(ops, (raw, i) => {
    const where = `operation ${i}`;
    if (!isPlainObject(raw)) throw new InvalidValueError(`${where} must be an object`);
    const op = ownValue(raw, "op", where);
    if (typeof op !== "string" || !OPS.has(op)) throw new InvalidValueError(`${where} has an unknown op ${JSON.stringify(op)}`);
    const path = ownValue(raw, "path", where);
    const out = { op, path: checkPointer(path, where, writable, forbidden) };
    if (op === "move" || op === "copy") out.from = checkPointer(ownValue(raw, "from", where), where, writable, forbidden);
    if (op === "add" || op === "replace" || op === "test") {
      const value = ownValue(raw, "value", where);
      if (value === void 0) throw new InvalidValueError(`${where} (${op}) needs a value`, out.path);
      out.value = checkValue(value, out.path, limits).value;
    }
    return out;
  });
  if (forbidden.length > 0) throw new ForbiddenWriteError([...new Set(forbidden)], [...writable]);
  return checked;
}
function ownValue(obj, key, where) {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (d === void 0) return void 0;
  if (!("value" in d)) throw new InvalidValueError(`${where}: accessor property "${key}"`);
  return d.value;
}
function checkPointer(pointer, where, writable, forbidden) {
  if (typeof pointer !== "string") throw new InvalidValueError(`${where}: path must be a string`);
  if (pointer.length > 4096) throw new InvalidValueError(`${where}: path too long`);
  if (pointer === "" || pointer[0] !== "/") {
    throw new InvalidValueError(`${where}: path must start with "/<namespace>" (the whole document cannot be written)`, pointer);
  }
  const tokens = pointer.slice(1).split("/").map((raw) => {
    if (/~[^01]|~$/.test(raw)) throw new InvalidValueError(`${where}: bad "~" escape`, pointer);
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (RESERVED_NAMES.has(token)) throw new InvalidValueError(`${where}: "${token}" is a reserved name`, pointer);
    return token;
  });
  const namespace = tokens[0];
  const problem = nameProblem(namespace);
  if (problem !== void 0) throw new InvalidValueError(`${where}: namespace ${problem}`, pointer);
  if (tokens.length > 1 && nameProblem(tokens[1]) !== void 0 && !(tokens.length === 2 && tokens[1] === "-")) {
    throw new InvalidValueError(`${where}: key ${nameProblem(tokens[1])}`, pointer);
  }
  if (!writable.has(namespace)) forbidden.push(pointer);
  return pointer;
}
function applyClientPatch(ops, namespaces, limits) {
  const touched = /* @__PURE__ */ new Set();
  for (const op of ops) {
    touched.add(namespaceOf(op.path));
    if (op.from !== void 0) touched.add(namespaceOf(op.from));
  }
  const doc = {};
  for (const ns of touched) doc[ns] = own(namespaces, ns) ?? {};
  const fresh = ops.map(
    (op) => typeof op.value === "object" && op.value !== null ? { ...op, value: JSON.parse(JSON.stringify(op.value)) } : op
  );
  let result;
  try {
    result = jsonpatch.applyPatch(doc, fresh, true, false, true).newDocument;
  } catch (error) {
    const e = error;
    throw new InvalidValueError(
      `JSON Patch refused${e.index === void 0 ? "" : ` at operation ${e.index}`}: ${e.name ?? "error"}: ${(e.message ?? "").split("\n")[0]}`,
      e.operation?.path,
      { cause: error }
    );
  }
  const writes = [];
  for (const ns of touched) {
    const after = own(result, ns) ?? {};
    if (!isPlainObject(after)) throw new InvalidValueError("a namespace must stay an object", `/${ns}`);
    writes.push(...diffNamespace(ns, own(namespaces, ns), after, limits));
  }
  return writes;
}
function diffNamespace(namespace, before, after, limits) {
  const writes = [];
  const keys = Reflect.ownKeys(after);
  if (keys.length > limits.maxKeysPerNamespace) throw new InvalidValueError(`more than ${limits.maxKeysPerNamespace} params`, namespace);
  for (const key of keys) {
    if (typeof key !== "string") throw new InvalidValueError("symbol key", namespace);
    const problem = nameProblem(key);
    if (problem !== void 0) throw new InvalidValueError(`key ${problem}`, `${namespace}.${key.slice(0, 200)}`);
    const value = after[key];
    const old = own(before, key);
    if (value === old) continue;
    const param = `${namespace}.${key}`;
    if (value === void 0) {
      if (old !== void 0) writes.push({ namespace, key, value: void 0 });
      continue;
    }
    const checked = checkValue(value, param, limits).value;
    if (!jsonEqual(old, checked)) writes.push({ namespace, key, value: checked });
  }
  if (before !== void 0) {
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) writes.push({ namespace, key, value: void 0 });
    }
  }
  return writes;
}
function namespaceOf(pointer) {
  const end = pointer.indexOf("/", 1);
  const raw = end < 0 ? pointer.slice(1) : pointer.slice(1, end);
  return raw.replace(/~1/g, "/").replace(/~0/g, "~");
}

// src/inspect.ts
function safeInspector(inspect) {
  if (inspect === void 0) return void 0;
  if (typeof inspect !== "function") return inspect;
  return (event) => {
    try {
      const result = inspect(event);
      if (result instanceof Promise) result.catch(() => {
      });
    } catch {
    }
  };
}
function waveEnded(inspect, sessionId, report) {
  for (const run of report.apps) {
    const event = {
      type: "app:end",
      sessionId,
      wave: report.wave,
      app: run.app,
      status: run.status,
      durationMs: run.durationMs,
      changed: run.changed
    };
    if (run.undeclared !== void 0) event.undeclared = run.undeclared;
    if (run.error !== void 0) event.error = run.error;
    inspect(event);
  }
  inspect({ type: "wave:end", sessionId, report });
}
function waveAborted(inspect, sessionId, wave, settled) {
  for (const run of settled) {
    const event = {
      type: "app:end",
      sessionId,
      wave,
      app: run.app.name,
      status: run.error === void 0 ? "ok" : "failed",
      durationMs: run.durationMs,
      changed: []
    };
    if (run.error !== void 0) event.error = run.error;
    inspect(event);
  }
}

// src/cycle.ts
async function runCycle(settings, base, writes, kind, sessionId) {
  const started = performance.now();
  const { graph, maxWaves } = settings;
  const draft = new Draft(base);
  let pending = [];
  for (const { namespace, key, value } of writes) {
    const before = draft.get(namespace, key);
    if (jsonEqual(before, value)) continue;
    draft.set(namespace, key, value);
    pending.push({ namespace, key, param: `${namespace}.${key}`, before });
  }
  const trigger = pending.map((c) => c.param);
  const waves = [];
  if (kind === "create" && graph.onCreate.length > 0) {
    const { report, changes } = await runWave(settings, draft, graph.onCreate, "create", [], 1, sessionId);
    waves.push(report);
    const initial = new Set(pending.map((c) => c.param));
    pending = pending.concat(changes.filter((c) => !initial.has(c.param)));
  }
  const history = [];
  const seen = /* @__PURE__ */ new Map();
  for (; ; ) {
    const { apps, params } = triggered(graph, pending);
    if (apps.length === 0) break;
    const key = params.join("\n");
    const earlier = seen.get(key);
    if (earlier === void 0) seen.set(key, [history.length]);
    else {
      for (const i of earlier) if (sameStateSince(draft, history, i)) throw loopError("repeat", history, i);
      earlier.push(history.length);
    }
    if (history.length >= maxWaves) throw loopError("maxWaves", history, Math.max(0, history.length - 10));
    const { report, changes } = await runWave(settings, draft, apps, "changes", params, waves.length + 1, sessionId);
    waves.push(report);
    history.push({ apps: apps.map((i) => graph.apps[i]), changes });
    pending = changes;
  }
  const { namespaces, patch, changed, sizeDelta, largestNamespace } = draft.finish();
  return {
    namespaces,
    patch,
    sizeDelta,
    largestNamespace,
    report: { kind, trigger, waves, changed, durationMs: performance.now() - started }
  };
}
function triggered(graph, changes) {
  const apps = /* @__PURE__ */ new Set();
  const params = [];
  for (const { namespace, key, param } of changes) {
    const list = graph.monitors.get(namespace)?.get(key);
    if (list === void 0) continue;
    params.push(param);
    for (const i of list) apps.add(i);
  }
  return { apps: [...apps].sort((a, b) => a - b), params: params.sort() };
}
function sameStateSince(draft, history, i) {
  const first = /* @__PURE__ */ new Map();
  for (let w = i; w < history.length; w++) {
    for (const change of history[w].changes) if (!first.has(change.param)) first.set(change.param, change);
  }
  for (const { namespace, key, before } of first.values()) {
    if (!jsonEqual(before, draft.get(namespace, key))) return false;
  }
  return true;
}
function loopError(reason, history, from) {
  const apps = /* @__PURE__ */ new Set();
  const params = /* @__PURE__ */ new Set();
  for (let w = from; w < history.length; w++) {
    for (const app of history[w].apps) apps.add(app.name);
    for (const change of history[w].changes) params.add(change.param);
  }
  return new TransformLoopError(reason, [...apps], [...params].sort(), history.length);
}
async function runWave(settings, draft, appIndexes, kind, trigger, wave, sessionId) {
  const started = performance.now();
  const { apps } = settings.graph;
  const inspect = settings.inspect;
  if (inspect) inspect({ type: "wave:start", sessionId, wave, kind, trigger, apps: appIndexes.map((i) => apps[i].name) });
  const runs = new Array(appIndexes.length);
  let async = false;
  for (let i = 0; i < appIndexes.length; i++) {
    const app = apps[appIndexes[i]];
    const input = kind === "create" ? app.emptyInput : inputOf(app, draft);
    if (inspect) inspect({ type: "app:start", sessionId, wave, app: app.name });
    const run = runApp(app, input, sessionId, wave, settings.limits);
    if (run instanceof Promise) async = true;
    runs[i] = run;
  }
  const settled = async ? await Promise.all(runs) : runs;
  for (const run of settled) {
    if (run.error !== void 0 && run.app.critical) {
      if (inspect) waveAborted(inspect, sessionId, wave, settled);
      throw new TransformFailedError(run.app.name, `${run.error.kind}: ${run.error.message}`, run.error.cause);
    }
  }
  const slots = /* @__PURE__ */ new Map();
  const appReports = new Array(settled.length);
  for (let i = 0; i < settled.length; i++) {
    const run = settled[i];
    const changed = [];
    for (const { namespace, key, value, param: known } of run.writes) {
      const param = known ?? `${namespace}.${key}`;
      const slot = slots.get(param);
      if (slot === void 0) {
        const before = draft.get(namespace, key);
        slots.set(param, { namespace, key, before, writer: run.app.name, value });
        if (!jsonEqual(before, value)) {
          changed.push(param);
          draft.set(namespace, key, value);
        }
        continue;
      }
      ;
      (slot.others ??= []).push([run.app.name, value]);
      if (!jsonEqual(slot.before, value)) changed.push(param);
      if (!jsonEqual(draft.get(namespace, key), value)) draft.set(namespace, key, value);
    }
    appReports[i] = appReport(run, changed);
  }
  const changes = [];
  const conflicts = [];
  for (const [param, slot] of slots) {
    const { namespace, key, before } = slot;
    const now = slot.others === void 0 ? slot.value : draft.get(namespace, key);
    if (!jsonEqual(before, now)) changes.push({ namespace, key, param, before });
    if (slot.others !== void 0 && slot.others.some(([, v]) => !jsonEqual(v, slot.value))) {
      const writers = [slot.writer, ...slot.others.map(([app]) => app)];
      conflicts.push({ param, apps: writers, winner: writers[writers.length - 1] });
    }
  }
  const report = {
    wave,
    kind,
    trigger,
    apps: appReports,
    changed: changes.map((c) => c.param),
    conflicts,
    durationMs: performance.now() - started
  };
  if (inspect) waveEnded(inspect, sessionId, report);
  return { report, changes };
}
function appReport(run, changed) {
  const report = {
    app: run.app.name,
    status: run.error === void 0 ? "ok" : "failed",
    durationMs: run.durationMs,
    changed
  };
  if (run.undeclared !== void 0) report.undeclared = run.undeclared;
  if (run.error !== void 0) report.error = run.error;
  return report;
}
function inputOf(app, draft) {
  const input = {};
  for (const ns of app.inputNamespaces) input[ns] = {};
  for (const [ns, key] of app.inputs) {
    const value = draft.get(ns, key);
    if (value !== void 0) input[ns][key] = value;
  }
  for (const ns of app.inputNamespaces) Object.freeze(input[ns]);
  return Object.freeze(input);
}

// src/graph.ts
function buildGraph(configs, defaultTimeoutMs, validators) {
  if (!Array.isArray(configs)) throw new ConfigError("apps must be an array");
  const names = /* @__PURE__ */ new Set();
  const monitors = /* @__PURE__ */ new Map();
  const apps = configs.map((config, index) => {
    const app = compileApp(config, index, defaultTimeoutMs, validators);
    if (names.has(app.name)) throw new ConfigError("duplicate app name", app.name);
    names.add(app.name);
    for (const [ns, key] of app.inputs) {
      let keys = monitors.get(ns);
      if (keys === void 0) monitors.set(ns, keys = /* @__PURE__ */ new Map());
      let list = keys.get(key);
      if (list === void 0) keys.set(key, list = []);
      list.push(index);
    }
    return app;
  });
  return { apps, monitors, onCreate: apps.filter((a) => a.runOnCreate).map((a) => a.index) };
}

// src/graph-analysis.ts
function analyseGraph(graph, writable) {
  const paramIndex = /* @__PURE__ */ new Map();
  const params = [];
  const node = (ns, key) => {
    const param = `${ns}.${key}`;
    let i = paramIndex.get(param);
    if (i === void 0) {
      paramIndex.set(param, i = params.length);
      params.push(param);
    }
    return i;
  };
  const apps = [];
  const appInputs = [];
  const appOutputs = [];
  const written = /* @__PURE__ */ new Set();
  for (const app of graph.apps) {
    const inputs = app.inputs.map(([ns, key]) => node(ns, key));
    const outputs = [];
    for (const [ns, keys] of app.outputs) for (const key of keys) outputs.push(node(ns, key));
    for (const p of outputs) written.add(p);
    appInputs.push(inputs);
    appOutputs.push(outputs);
    apps.push({ name: app.name, inputs: inputs.map((p) => params[p]), outputs: outputs.map((p) => params[p]), runOnCreate: app.runOnCreate });
  }
  const P = params.length;
  const next = params.map(() => []);
  appInputs.forEach((inputs, a) => inputs.forEach((p) => next[p].push(P + a)));
  appOutputs.forEach((outputs) => next.push(outputs));
  const component = stronglyConnected(next);
  const members = /* @__PURE__ */ new Map();
  component.forEach((c, n2) => {
    let list = members.get(c);
    if (list === void 0) members.set(c, list = []);
    list.push(n2);
  });
  const cycles = [];
  const inCycle = /* @__PURE__ */ new Set();
  for (const list of members.values()) {
    if (list.length < 2) continue;
    for (const n2 of list) inCycle.add(n2);
    cycles.push({
      params: list.filter((n2) => n2 < P).map((n2) => params[n2]).sort(),
      apps: list.filter((n2) => n2 >= P).sort((x, y) => x - y).map((n2) => apps[n2 - P].name)
    });
  }
  cycles.sort((x, y) => x.params[0] < y.params[0] ? -1 : 1);
  const orphans = /* @__PURE__ */ new Set();
  for (const inputs of appInputs) {
    for (const p of inputs) {
      const param = params[p];
      if (!written.has(p) && !writable.has(param.slice(0, param.indexOf(".")))) orphans.add(param);
    }
  }
  const sameCycle = (from, to) => inCycle.has(from) && component[from] === component[to];
  const drawing = { params, apps, appInputs, appOutputs, inCycle, sameCycle, orphans };
  return Object.freeze({
    apps: Object.freeze(apps),
    params: Object.freeze([...params].sort()),
    cycles: Object.freeze(cycles),
    orphanInputs: Object.freeze([...orphans].sort()),
    toMermaid: () => mermaid(drawing),
    toDot: () => dot(drawing)
  });
}
function refuseCycles(info) {
  if (info.cycles.length === 0) return;
  const list = info.cycles.map((c) => `[apps ${c.apps.join(", ")}; params ${c.params.join(", ")}]`).join(" ");
  throw new ConfigError(`the app graph has ${info.cycles.length} cycle(s) and cycles: 'refuse' is set: ${list}`);
}
function stronglyConnected(next) {
  const n2 = next.length;
  const index = new Array(n2).fill(-1);
  const low = new Array(n2).fill(0);
  const onStack = new Array(n2).fill(false);
  const component = new Array(n2).fill(-1);
  const stack = [];
  const work = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < n2; root++) {
    if (index[root] !== -1) continue;
    work.push([root, 0]);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const v = frame[0];
      if (frame[1] === 0 && index[v] === -1) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      const edges2 = next[v];
      if (frame[1] < edges2.length) {
        const w = edges2[frame[1]++];
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        let w;
        do {
          w = stack.pop();
          onStack[w] = false;
          component[w] = components;
        } while (w !== v);
        components++;
      }
    }
  }
  return component;
}
function byNamespace(params) {
  const groups = /* @__PURE__ */ new Map();
  params.forEach((param, p) => {
    const ns = param.slice(0, param.indexOf("."));
    let list = groups.get(ns);
    if (list === void 0) groups.set(ns, list = []);
    list.push(p);
  });
  return groups;
}
function edges(d) {
  const P = d.params.length;
  const list = [];
  d.appInputs.forEach((inputs, a) => inputs.forEach((p) => list.push([p, P + a])));
  d.appOutputs.forEach((outputs, a) => outputs.forEach((p) => list.push([P + a, p])));
  return list;
}
function mermaidLabel(text) {
  return `"${text.replace(/"/g, "#quot;")}"`;
}
function mermaid(d) {
  const P = d.params.length;
  const id = (n2) => n2 < P ? `p${n2}` : `a${n2 - P}`;
  const lines = ["flowchart LR"];
  let g2 = 0;
  for (const [ns, list] of byNamespace(d.params)) {
    lines.push(`  subgraph ns${g2++}[${mermaidLabel(ns)}]`);
    for (const p of list) lines.push(`    ${id(p)}[${mermaidLabel(d.params[p].slice(ns.length + 1))}]`);
    lines.push("  end");
  }
  d.apps.forEach((app, a) => lines.push(`  ${id(P + a)}([${mermaidLabel(app.runOnCreate ? `${app.name} (on create)` : app.name)}])`));
  const all = edges(d);
  const hot = [];
  all.forEach(([from, to], i) => {
    lines.push(`  ${id(from)} --> ${id(to)}`);
    if (d.sameCycle(from, to)) hot.push(i);
  });
  if (d.apps.length > 0) {
    lines.push("  classDef app fill:#eef,stroke:#557");
    lines.push(`  class ${d.apps.map((_, a) => id(P + a)).join(",")} app`);
  }
  if (d.inCycle.size > 0) {
    lines.push("  classDef cycle stroke:#d33,stroke-width:2px,color:#b00");
    lines.push(`  class ${[...d.inCycle].sort((x, y) => x - y).map(id).join(",")} cycle`);
    lines.push(`  linkStyle ${hot.join(",")} stroke:#d33,stroke-width:2px`);
  }
  const orphans = d.params.flatMap((param, p) => d.orphans.has(param) ? [id(p)] : []);
  if (orphans.length > 0) {
    lines.push("  classDef orphan stroke-dasharray:4 3");
    lines.push(`  class ${orphans.join(",")} orphan`);
  }
  return lines.join("\n") + "\n";
}
function dotString(text) {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
function dot(d) {
  const P = d.params.length;
  const red = (n2) => d.inCycle.has(n2) ? ' color="#dd3333" fontcolor="#bb0000" penwidth=2' : "";
  const lines = ["digraph sessionflow {", "  rankdir=LR;", '  node [fontname="Helvetica" fontsize=11];'];
  let g2 = 0;
  for (const [ns, list] of byNamespace(d.params)) {
    lines.push(`  subgraph cluster_${g2++} {`, `    label=${dotString(ns)}; style=rounded; color="#999999";`);
    for (const p of list) {
      const dashed = d.orphans.has(d.params[p]) ? " style=dashed" : "";
      lines.push(`    p${p} [label=${dotString(d.params[p].slice(ns.length + 1))} shape=ellipse${dashed}${red(p)}];`);
    }
    lines.push("  }");
  }
  d.apps.forEach((app, a) => {
    const label = app.runOnCreate ? `${app.name} (on create)` : app.name;
    lines.push(`  a${a} [label=${dotString(label)} shape=box style="rounded,filled" fillcolor="#eeeeff"${red(P + a)}];`);
  });
  for (const [from, to] of edges(d)) {
    const attrs = d.sameCycle(from, to) ? ' [color="#dd3333" penwidth=2]' : "";
    lines.push(`  ${from < P ? `p${from}` : `a${from - P}`} -> ${to < P ? `p${to}` : `a${to - P}`}${attrs};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

// src/id.ts
var MAX_ID_LENGTH = 128;
var ID_PATTERN = /^[A-Za-z0-9_\-.:]+$/;
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function assertId(id) {
  if (typeof id !== "string") throw new InvalidValueError(`session id must be a string, got ${typeof id}`);
  if (id.length === 0 || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new InvalidValueError(`malformed session id (1-${MAX_ID_LENGTH} characters of A-Z a-z 0-9 _ - . :)`);
  }
}

// src/pattern.ts
function compilePattern(source) {
  if (typeof source !== "string") throw new InvalidValueError(`a param pattern must be a string, got ${typeof source}`);
  if (source === "*") return { source, matches: () => true, coversNamespace: () => true };
  const dot2 = source.indexOf(".");
  const namespace = dot2 < 0 ? source : source.slice(0, dot2);
  const problem = nameProblem(namespace);
  if (dot2 < 0 || problem !== void 0) {
    throw new InvalidValueError(`param pattern "${source.slice(0, 200)}" must be "*", "ns.*", "ns.key" or "ns.prefix*"`);
  }
  const key = source.slice(dot2 + 1);
  const coversNamespace = (ns) => ns === namespace;
  if (key === "*") return { source, matches: coversNamespace, coversNamespace };
  const star = key.endsWith("*");
  const name = star ? key.slice(0, -1) : key;
  if (nameProblem(name) !== void 0) {
    throw new InvalidValueError(`param pattern "${source.slice(0, 200)}" has an invalid key part`);
  }
  return star ? { source, matches: (ns, k) => ns === namespace && k.startsWith(name), coversNamespace } : { source, matches: (ns, k) => ns === namespace && k === name, coversNamespace };
}
function compilePatterns(sources, maxPatterns = 256) {
  if (!Array.isArray(sources)) throw new InvalidValueError("param patterns must be an array of strings");
  if (sources.length > maxPatterns) throw new InvalidValueError(`at most ${maxPatterns} param patterns are accepted`);
  const patterns = sources.map(compilePattern);
  return {
    source: patterns.map((p) => p.source).join(","),
    matches: (ns, k) => patterns.some((p) => p.matches(ns, k)),
    coversNamespace: (ns) => patterns.some((p) => p.coversNamespace(ns))
  };
}

// src/queue.ts
var settle2 = () => void 0;
var KeyedQueue = class {
  #tails = /* @__PURE__ */ new Map();
  /** Runs `task` after every task queued before it under `key` has settled. */
  run(key, task) {
    const previous = this.#tails.get(key);
    const result = previous === void 0 ? task() : previous.then(task);
    const tail = result.then(settle2, settle2);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
  /** Number of keys with queued or running tasks. */
  get size() {
    return this.#tails.size;
  }
};

// src/base64url.ts
var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
var VALUES = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();
function encodeBase64url(bytes) {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n2 = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    out += ALPHABET[n2 >> 18] + ALPHABET[n2 >> 12 & 63] + ALPHABET[n2 >> 6 & 63] + ALPHABET[n2 & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n2 = bytes[i] << 16;
    out += ALPHABET[n2 >> 18] + ALPHABET[n2 >> 12 & 63];
  } else if (rest === 2) {
    const n2 = bytes[i] << 16 | bytes[i + 1] << 8;
    out += ALPHABET[n2 >> 18] + ALPHABET[n2 >> 12 & 63] + ALPHABET[n2 >> 6 & 63];
  }
  return out;
}

// src/segment.ts
var SegmentSpec = class {
  #rules = /* @__PURE__ */ new Map();
  /** Sessions are immutable: one namespaces object always has the same segment. */
  #cache = /* @__PURE__ */ new WeakMap();
  /** Checks the option; throws `ConfigError` saying what is wrong. */
  constructor(options) {
    if (typeof options !== "object" || options === null) throw new ConfigError("segment must be an object { params: [...] }");
    const { params } = options;
    if (!Array.isArray(params) || params.length === 0) {
      throw new ConfigError("segment.params must be a non-empty array of param patterns");
    }
    if (params.length > 256) throw new ConfigError("segment.params accepts at most 256 patterns");
    for (const source of params) {
      if (source === "*") throw new ConfigError('segment.params: "*" would put the whole session in the segment; list the params');
      try {
        compilePattern(source);
      } catch (error) {
        throw new ConfigError(`segment.params: ${error instanceof Error ? error.message : String(error)}`);
      }
      const text = source;
      const dot2 = text.indexOf(".");
      const ns = text.slice(0, dot2);
      const key = text.slice(dot2 + 1);
      let rule = this.#rules.get(ns);
      if (rule === void 0) this.#rules.set(ns, rule = { all: false, keys: /* @__PURE__ */ new Set(), prefixes: [] });
      if (key === "*") rule.all = true;
      else if (key.endsWith("*")) rule.prefixes.push(key.slice(0, -1));
      else rule.keys.add(key);
    }
  }
  /** Whether the param is part of the segment. */
  covers(namespace, key) {
    const rule = this.#rules.get(namespace);
    return rule !== void 0 && matches(rule, key);
  }
  /**
   * Whether any of `changed` (`ns.key` params, e.g. a cycle report's `changed`) is a segment
   * param: cost in proportion to the changed params, not to the session.
   */
  touchedBy(changed) {
    for (const param of changed) {
      const dot2 = param.indexOf(".");
      if (this.covers(param.slice(0, dot2), param.slice(dot2 + 1))) return true;
    }
    return false;
  }
  /** The segment of `namespaces` and its token. */
  of(namespaces) {
    const cached = this.#cache.get(namespaces);
    if (cached !== void 0) return cached;
    const segment = {};
    for (const [ns, rule] of this.#rules) {
      const params = Object.hasOwn(namespaces, ns) ? namespaces[ns] : void 0;
      if (params === void 0) continue;
      const out = {};
      let any = false;
      if (rule.all || rule.prefixes.length > 0) {
        for (const key of Object.keys(params)) {
          if (matches(rule, key)) {
            out[key] = params[key];
            any = true;
          }
        }
      } else {
        for (const key of rule.keys) {
          if (Object.hasOwn(params, key)) {
            out[key] = params[key];
            any = true;
          }
        }
      }
      if (any) segment[ns] = Object.freeze(out);
    }
    const result = Object.freeze({ segment: Object.freeze(segment), token: encodeSegmentToken(segment) });
    this.#cache.set(namespaces, result);
    return result;
  }
};
function matches(rule, key) {
  if (rule.all || rule.keys.has(key)) return true;
  for (const prefix of rule.prefixes) if (key.startsWith(prefix)) return true;
  return false;
}
var encoder = new TextEncoder();
function encodeSegmentToken(segment) {
  return encodeBase64url(encoder.encode(canonicalJson(segment)));
}
function canonicalJson(value) {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const object = value;
  const keys = Object.keys(object).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ",";
    out += `${JSON.stringify(keys[i])}:${canonicalJson(object[keys[i]])}`;
  }
  return `${out}}`;
}

// src/recipe.ts
import { produce } from "immer";
function readRecipe(recipe, namespaces, writable, limits) {
  if (typeof recipe !== "function") throw new InvalidValueError("a recipe must be a function");
  const base = {};
  for (const ns of writable) base[ns] = own(namespaces, ns) ?? {};
  let result;
  let returned = false;
  try {
    result = produce(base, (draft) => {
      const out = recipe(draft);
      returned = true;
      return out;
    });
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("[Immer]")) {
      throw new InvalidValueError(`a patch recipe must be synchronous and either edit the draft or return a value: ${error.message}`, void 0, { cause: error });
    }
    if (returned) {
      if (error instanceof RangeError) {
        throw new InvalidValueError("a value the recipe assigned is nested too deep to read", void 0, { cause: error });
      }
      throw asInvalidValue(error, void 0);
    }
    throw error;
  }
  if (result instanceof Promise) throw new InvalidValueError("a patch recipe must be synchronous");
  if (!isPlainObject(result)) throw new InvalidValueError("a patch recipe must leave (or return) an object of namespaces");
  const extra = Reflect.ownKeys(result).filter((ns) => typeof ns !== "string" || !writable.has(ns));
  if (extra.length > 0) throw new ForbiddenWriteError(extra.map(String), [...writable]);
  const writes = [];
  for (const ns of writable) {
    const after = own(result, ns) ?? {};
    if (after === base[ns]) continue;
    if (!isPlainObject(after)) throw new InvalidValueError("a namespace must stay a plain object", ns);
    writes.push(...diffNamespace(ns, own(namespaces, ns), after, limits));
  }
  return writes;
}

// src/store.ts
var MemoryStore = class {
  #sessions = /* @__PURE__ */ new Map();
  #now;
  /** Creates an empty store. */
  constructor(options = {}) {
    this.#now = options.now;
  }
  /** The stored session, or `undefined` (expired ones are dropped here). */
  get(id) {
    const session = this.#sessions.get(id);
    if (session !== void 0 && this.#now !== void 0 && session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return void 0;
    }
    return session;
  }
  /** Compare-and-set write; `false` when the stored version is not `expectedVersion`. */
  put(session, expectedVersion) {
    const current = this.#sessions.get(session.id);
    if (current?.version !== expectedVersion) return false;
    this.#sessions.set(session.id, session);
    return true;
  }
  /** Removes the session. */
  delete(id) {
    this.#sessions.delete(id);
  }
  /** Drops every session expired at `now` (default: the `now` option, else `Date.now()`); returns how many. */
  sweep(now = this.#now?.() ?? Date.now()) {
    let dropped = 0;
    for (const [id, session] of this.#sessions) {
      if (session.expiresAt <= now) {
        this.#sessions.delete(id);
        dropped++;
      }
    }
    return dropped;
  }
  /** Number of sessions held, expired ones included until read or swept. */
  get size() {
    return this.#sessions.size;
  }
};

// src/engine.ts
var DEFAULT_TTL_MS = 30 * 6e4;
var EMPTY = Object.freeze({});
var NO_SEGMENT = Object.freeze({ segment: EMPTY, token: encodeSegmentToken(EMPTY) });
var trusted = /* @__PURE__ */ new WeakSet();
var SessionEngine = class {
  /** The analysed app graph: cycles, inputs nothing writes, Mermaid and DOT drawings. */
  graph;
  #settings;
  #store;
  #clock;
  #ttlMs;
  #writable;
  #maxRetries;
  #generateId;
  #segment;
  #queue = new KeyedQueue();
  #validators;
  /** Approximate JSON size per namespaces object, so the size limit costs what changed, not the session. */
  #sizes = /* @__PURE__ */ new WeakMap();
  /** Checks the configuration (throws `ConfigError`) and indexes the app graph. */
  constructor(options = {}) {
    if (typeof options !== "object" || options === null) throw new ConfigError("options must be an object");
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`limits.${name} must be a positive integer`);
    }
    if (limits.maxDepth > 1e3) throw new ConfigError("limits.maxDepth must be at most 1000");
    const maxWaves = positiveInteger(options.maxWaves, 100, "maxWaves");
    if (options.timeoutMs !== void 0 && !(typeof options.timeoutMs === "number" && options.timeoutMs > 0)) {
      throw new ConfigError("timeoutMs must be a number > 0");
    }
    if (options.inspect !== void 0 && typeof options.inspect !== "function") throw new ConfigError("inspect must be a function");
    this.#validators = compileSchema(options.schema);
    this.#settings = {
      graph: buildGraph(options.apps ?? [], options.timeoutMs, this.#validators),
      limits,
      maxWaves,
      inspect: safeInspector(options.inspect)
    };
    this.#clock = options.clock ?? systemClock;
    if (typeof this.#clock?.now !== "function") throw new ConfigError("clock must have a now() method");
    const store = options.store ?? new MemoryStore({ now: () => this.#clock.now() });
    for (const method of ["get", "put", "delete"]) {
      if (typeof store?.[method] !== "function") throw new ConfigError(`store must have a ${method}() method`);
    }
    this.#store = store;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    if (!(typeof this.#ttlMs === "number" && this.#ttlMs > 0 && Number.isFinite(this.#ttlMs))) {
      throw new ConfigError("ttlMs must be a finite number > 0");
    }
    const writable = options.writableNamespaces ?? ["public"];
    if (!Array.isArray(writable)) throw new ConfigError("writableNamespaces must be an array of namespace names");
    for (const ns of writable) {
      const problem = nameProblem(ns);
      if (problem !== void 0) throw new ConfigError(`writableNamespaces: namespace ${problem}`);
    }
    this.#writable = new Set(writable);
    this.graph = analyseGraph(this.#settings.graph, this.#writable);
    if (options.cycles !== void 0 && options.cycles !== "allow" && options.cycles !== "refuse") {
      throw new ConfigError("cycles must be 'allow' or 'refuse'");
    }
    if (options.cycles === "refuse") refuseCycles(this.graph);
    this.#maxRetries = positiveInteger(options.maxConflictRetries, 5, "maxConflictRetries", 0);
    this.#generateId = options.generateId ?? randomId;
    if (typeof this.#generateId !== "function") throw new ConfigError("generateId must be a function");
    this.#segment = options.segment === void 0 ? void 0 : new SegmentSpec(options.segment);
  }
  /** The namespaces clients may write. */
  get writableNamespaces() {
    return [...this.#writable];
  }
  /** The limits in force. */
  get limits() {
    return this.#settings.limits;
  }
  async create(initial = {}) {
    const writes = await this.#validated(readChanges(initial, this.#settings.limits));
    const id = this.#generateId();
    assertId(id);
    const outcome = await this.#cycle(EMPTY, writes, "create", id);
    this.#checkLimits(EMPTY, outcome);
    const now = this.#clock.now();
    const session = freezeSession(id, 1, now, now, now + this.#ttlMs, outcome.namespaces);
    if (!await this.#put(session, void 0)) throw new ConflictError(id, 1);
    return { session, patch: outcome.patch, report: this.#report(outcome, 1) };
  }
  async get(id, options = {}) {
    assertId(id);
    if (typeof options !== "object" || options === null) throw new InvalidValueError("get options must be an object");
    const filter = options.items === void 0 ? void 0 : compilePatterns(options.items);
    const session = await this.#load(id);
    if (session === void 0 || filter === void 0) return session;
    const namespaces = {};
    for (const ns of Object.keys(session.namespaces)) {
      if (!filter.coversNamespace(ns)) continue;
      const params = session.namespaces[ns];
      const out = {};
      let any = false;
      for (const key of Object.keys(params)) {
        if (filter.matches(ns, key)) {
          out[key] = params[key];
          any = true;
        }
      }
      if (any) namespaces[ns] = Object.freeze(out);
    }
    return Object.freeze({ ...session, namespaces: Object.freeze(namespaces) });
  }
  async patch(id, changes, options = {}) {
    assertId(id);
    const writable = this.#writableFor(options);
    if (typeof changes === "function") {
      return this.#mutate(id, (session) => this.#validated(readRecipe(changes, session.namespaces, writable, this.#settings.limits)));
    }
    const checked = this.#validated(readChanges(changes, this.#settings.limits, writable));
    const writes = checked instanceof Promise ? await checked : checked;
    return this.#mutate(id, () => writes);
  }
  async applyJsonPatch(id, ops, options = {}) {
    assertId(id);
    const checked = checkJsonPatch(ops, this.#writableFor(options), this.#settings.limits);
    return this.#mutate(id, (session) => this.#validated(applyClientPatch(checked, session.namespaces, this.#settings.limits)));
  }
  /** Removes the session. No error when it does not exist. */
  async delete(id) {
    assertId(id);
    return this.#queue.run(id, async () => {
      try {
        await this.#store.delete(id);
      } catch (error) {
        throw new StoreError("delete", error);
      }
    });
  }
  async touch(id) {
    assertId(id);
    return this.#queue.run(id, async () => {
      for (let attempt = 1; ; attempt++) {
        const session = await this.#load(id);
        if (session === void 0) throw new SessionNotFoundError(id);
        const now = this.#clock.now();
        const next = freezeSession(id, session.version, session.createdAt, now, now + this.#ttlMs, session.namespaces);
        if (await this.#put(next, session.version)) return next;
        if (attempt > this.#maxRetries) throw new ConflictError(id, attempt);
      }
    });
  }
  async runCreate(initial = {}) {
    const writes = await this.#validated(readChanges(initial, this.#settings.limits));
    return this.#pure(await this.#cycle(EMPTY, writes, "create", void 0), EMPTY);
  }
  async runTransform(namespaces, changes) {
    const base = this.#checkNamespaces(namespaces);
    const writes = await this.#validated(readChanges(changes, this.#settings.limits));
    return this.#pure(await this.#cycle(base, writes, "transform", void 0), base);
  }
  /** Applies the `schema` validators to caller writes (sync when every validator is; throws `InvalidValueError`). */
  #validated(writes) {
    return this.#validators === void 0 ? writes : validateWrites(writes, this.#validators, this.#settings.limits);
  }
  /** {@link runCycle}, wrapped in `cycle:start` / `cycle:end` events when an inspector is set. */
  async #cycle(base, writes, kind, id) {
    const inspect = this.#settings.inspect;
    if (inspect === void 0) return runCycle(this.#settings, base, writes, kind, id);
    const started = performance.now();
    inspect({ type: "cycle:start", kind, sessionId: id, writes: writes.map((w) => `${w.namespace}.${w.key}`) });
    try {
      const outcome = await runCycle(this.#settings, base, writes, kind, id);
      inspect({ type: "cycle:end", kind, sessionId: id, durationMs: performance.now() - started, report: outcome.report });
      return outcome;
    } catch (error) {
      inspect({ type: "cycle:end", kind, sessionId: id, durationMs: performance.now() - started, error });
      throw error;
    }
  }
  #pure(outcome, base) {
    this.#checkLimits(base, outcome);
    trusted.add(outcome.namespaces);
    return { namespaces: outcome.namespaces, patch: outcome.patch, report: this.#report(outcome, 1) };
  }
  /**
   * The segment of a session (or of a pure result's namespaces) and its token: the configured
   * `segment.params` that are set. `{ segment: {}, token }` when none is set or no segment is
   * configured. Cached per (immutable) namespaces object.
   */
  segmentOf(source) {
    const namespaces = source?.namespaces;
    if (typeof namespaces !== "object" || namespaces === null) throw new InvalidValueError("segmentOf expects a session or { namespaces }");
    return this.#segment === void 0 ? NO_SEGMENT : this.#segment.of(namespaces);
  }
  /** The call's report: the cycle's, plus attempts and whether a segment param changed (cost: the changed params). */
  #report(outcome, attempts) {
    const segmentChanged = this.#segment !== void 0 && this.#segment.touchedBy(outcome.report.changed);
    return { ...outcome.report, attempts, segmentChanged };
  }
  #checkNamespaces(namespaces) {
    if (trusted.has(namespaces)) return namespaces;
    const draft = new Draft(EMPTY);
    for (const { namespace, key, value } of readChanges(namespaces, this.#settings.limits)) draft.set(namespace, key, value);
    const checked = draft.finish().namespaces;
    trusted.add(checked);
    return checked;
  }
  #writableFor(options) {
    const allow = options?.allow;
    if (allow === void 0) return this.#writable;
    if (!Array.isArray(allow)) throw new InvalidValueError("options.allow must be an array of namespace names");
    for (const ns of allow) {
      const problem = nameProblem(ns);
      if (problem !== void 0) throw new InvalidValueError(`options.allow: namespace ${problem}`);
    }
    return /* @__PURE__ */ new Set([...this.#writable, ...allow]);
  }
  /** The queued read-cycle-save loop of `patch` and `applyJsonPatch`, with compare-and-set retries. */
  #mutate(id, writesFor) {
    return this.#queue.run(id, async () => {
      for (let attempt = 1; ; attempt++) {
        const session = await this.#load(id);
        if (session === void 0) throw new SessionNotFoundError(id);
        if (attempt > 1) this.#settings.inspect?.({ type: "store:retry", sessionId: id, attempt });
        const writes = writesFor(session);
        const outcome = await this.#cycle(session.namespaces, writes instanceof Promise ? await writes : writes, "patch", id);
        const report = this.#report(outcome, attempt);
        if (outcome.report.changed.length === 0) return { session, patch: outcome.patch, report };
        this.#checkLimits(session.namespaces, outcome);
        const now = this.#clock.now();
        const next = freezeSession(id, session.version + 1, session.createdAt, now, now + this.#ttlMs, outcome.namespaces);
        if (await this.#put(next, session.version)) return { session: next, patch: outcome.patch, report };
        if (attempt > this.#maxRetries) throw new ConflictError(id, attempt);
      }
    });
  }
  #checkLimits(base, outcome) {
    if (outcome.namespaces === base) return;
    const limits = this.#settings.limits;
    const size = this.#sizeOf(base) + outcome.sizeDelta;
    if (size > limits.maxSessionBytes) {
      throw new InvalidValueError(`the session would be about ${size} bytes, over limits.maxSessionBytes (${limits.maxSessionBytes})`);
    }
    if (outcome.largestNamespace > limits.maxKeysPerNamespace) {
      throw new InvalidValueError(`a namespace would hold more than limits.maxKeysPerNamespace (${limits.maxKeysPerNamespace}) params`);
    }
    if (Object.keys(outcome.namespaces).length > limits.maxNamespaces) {
      throw new InvalidValueError(`the session would have more than limits.maxNamespaces (${limits.maxNamespaces}) namespaces`);
    }
    this.#sizes.set(outcome.namespaces, size);
  }
  #sizeOf(namespaces) {
    let size = this.#sizes.get(namespaces);
    if (size === void 0) {
      size = sizeOf(namespaces);
      this.#sizes.set(namespaces, size);
    }
    return size;
  }
  async #load(id) {
    let session;
    try {
      session = await this.#store.get(id);
    } catch (error) {
      throw new StoreError("get", error);
    }
    if (session === void 0 || session === null) return void 0;
    const problem = storedSessionProblem(session, id);
    if (problem !== void 0) throw new StoreError("get", new TypeError(`store.get("${id}") returned ${problem}`));
    if (session.expiresAt <= this.#clock.now()) return void 0;
    if (!frozenDownToNamespaces(session)) deepFreeze(session);
    return session;
  }
  async #put(session, expectedVersion) {
    const inspect = this.#settings.inspect;
    const started = inspect === void 0 ? 0 : performance.now();
    let written;
    try {
      written = await this.#store.put(session, expectedVersion);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw new StoreError("put", error);
      written = false;
    }
    if (typeof written !== "boolean") throw new StoreError("put", new TypeError("store.put must return (a promise of) a boolean"));
    if (inspect !== void 0) {
      const sessionId = session.id;
      inspect(
        written ? { type: "store:save", sessionId, version: session.version, durationMs: performance.now() - started } : { type: "store:conflict", sessionId, expectedVersion }
      );
    }
    return written;
  }
};
function freezeSession(id, version, createdAt, updatedAt, expiresAt, namespaces) {
  return Object.freeze({ id, version, createdAt, updatedAt, expiresAt, namespaces });
}
function frozenDownToNamespaces(session) {
  const namespaces = session.namespaces;
  if (!Object.isFrozen(session) || !Object.isFrozen(namespaces)) return false;
  return typeof namespaces !== "object" || namespaces === null || Object.values(namespaces).every((ns) => Object.isFrozen(ns));
}
function storedSessionProblem(value, id) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "something that is not a session";
  const s = value;
  if (s.id !== id) return `the session of another id (${typeof s.id === "string" ? s.id.slice(0, 128) : typeof s.id})`;
  if (!Number.isSafeInteger(s.version) || s.version < 1) return "a session whose version is not an integer >= 1";
  for (const time of ["createdAt", "updatedAt", "expiresAt"]) {
    if (typeof s[time] !== "number" || !Number.isFinite(s[time])) return `a session whose ${time} is not a finite number`;
  }
  const namespaces = s.namespaces;
  if (typeof namespaces !== "object" || namespaces === null || Array.isArray(namespaces)) return "a session without a namespaces object";
  for (const ns of Object.values(namespaces)) {
    if (typeof ns !== "object" || ns === null || Array.isArray(ns)) return "a session with a namespace that is not an object";
  }
  return void 0;
}
function deepFreeze(value) {
  if (typeof value !== "object" || value === null) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
function positiveInteger(value, fallback, name, min = 1) {
  if (value === void 0) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be an integer >= ${min}`);
  return value;
}

// test/bench/graphs.ts
function compile(params, body) {
  return new Function(...params, body);
}
function wideGraph(n2) {
  const apps = [];
  for (let i = 0; i < n2; i++) {
    apps.push({ name: `w${i}`, input: [["in", "x"]], output: ["out", `k${i}`], expr: `v0 + ${i}`, fn: (v) => v[0] + i });
  }
  return { apps, source: ["in", "x"], filler: {} };
}
function chainGraph(n2) {
  const apps = [];
  for (let i = 0; i < n2; i++) {
    apps.push({ name: `c${i}`, input: [["chain", `p${i}`]], output: ["chain", `p${i + 1}`], expr: "v0 + 1", fn: (v) => v[0] + 1 });
  }
  return { apps, source: ["chain", "p0"], filler: {} };
}
function scaleGraph(apps, params, extraNamespace = 0) {
  const list = [];
  const perNs = 100;
  const filler = {};
  for (let p = 0; p < params; p++) {
    const ns = `s${Math.floor(p / perNs)}`;
    (filler[ns] ??= {})[`f${p % perNs}`] = p;
  }
  for (let i = 0; i < apps; i++) {
    const ns = `s${Math.floor(i * 2 / perNs)}`;
    const j = i % (perNs / 2);
    delete filler[ns][`f${2 * j}`];
    delete filler[ns][`f${2 * j + 1}`];
    filler[ns][`in${j}`] = 0;
    filler[ns][`out${j}`] = 0;
    list.push({ name: `a${i}`, input: [[ns, `in${j}`]], output: [ns, `out${j}`], expr: "v0 * 2", fn: (v) => v[0] * 2 });
  }
  if (extraNamespace > 0) {
    const big = {};
    for (let p = 0; p < extraNamespace; p++) big[`b${p}`] = `value ${p}`;
    filler.big = big;
  }
  return { apps: list, source: ["s0", "in0"], filler };
}
function engineApps(graph) {
  return graph.apps.map((a) => {
    const input = {};
    for (const [ns, key] of a.input) (input[ns] ??= []).push(key);
    const [ons, okey] = a.output;
    return defineApp({
      name: a.name,
      input,
      output: { [ons]: [okey] },
      // e.g. (input) => { const v0 = input.in.x ?? 0; return { out: { k7: v0 + 7 } } }
      transform: compile(
        ["input"],
        `${a.input.map(([ns, key], i) => `const v${i} = input.${ns}.${key} ?? 0;`).join(" ")} return { ${ons}: { ${okey}: ${a.expr} } }`
      )
    });
  });
}
function engineFor(graph) {
  return new SessionEngine({
    apps: engineApps(graph),
    maxWaves: graph.apps.length + 10,
    limits: { maxSessionBytes: 1e9, maxNamespaces: 1e4, maxKeysPerNamespace: 2e5 }
  });
}
async function engineRunner(graph) {
  const engine = engineFor(graph);
  const [sns, skey] = graph.source;
  const { namespaces: base } = await engine.runTransform(graph.filler, { [sns]: { [skey]: -1 } });
  let last = base;
  return {
    run: async (v) => {
      const result = await engine.runTransform(base, { [sns]: { [skey]: v } });
      last = result.namespaces;
      return result;
    },
    values: () => outputsOf(graph, (ns, key) => last[ns]?.[key])
  };
}
function outputsOf(graph, read) {
  const out = {};
  for (const a of graph.apps) out[`${a.output[0]}.${a.output[1]}`] = read(a.output[0], a.output[1]);
  return out;
}

// test/bench/.prof-tmp.ts
var which = process.argv[2] ?? "wide";
var g = which === "wide" ? wideGraph(1e3) : which === "chain" ? chainGraph(300) : scaleGraph(10, 100);
var r = await engineRunner(g);
var t = performance.now();
var n = 0;
while (performance.now() - t < 4e3) {
  await r.run(n++ % 2);
}
console.log(which, (performance.now() - t) * 1e6 / n / (which === "wide" ? 1e3 : which === "chain" ? 300 : 1), "ns");
