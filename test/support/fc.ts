/**
 * Shared fast-check settings. Runs are sized for CI; `SESSIONFLOW_FC_RUNS` raises them for deep
 * local runs (e.g. `SESSIONFLOW_FC_RUNS=5000 npm test`), and `SESSIONFLOW_FC_SEED` replays a
 * reported failure. fast-check prints the seed and counterexample path of every failure; pass both
 * back (`SESSIONFLOW_FC_SEED=<seed> SESSIONFLOW_FC_PATH=<path>`) to replay it exactly.
 */
import fc from 'fast-check'

const envRuns = Number(process.env.SESSIONFLOW_FC_RUNS)
const envSeed = process.env.SESSIONFLOW_FC_SEED
const envPath = process.env.SESSIONFLOW_FC_PATH

/** Base seed of this run: fixed by default so CI runs are reproducible. */
export const FC_SEED = envSeed !== undefined && envSeed !== '' ? Number(envSeed) : 20261124

/**
 * Parameters for `fc.assert`: fixed seed (printed on failure by fast-check), `runs` scaled by
 * `SESSIONFLOW_FC_RUNS` when set.
 */
export function fcParams<T>(runs: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return {
    seed: FC_SEED,
    numRuns: Number.isFinite(envRuns) && envRuns > 0 ? Math.max(runs, envRuns) : runs,
    ...(envPath ? { path: envPath } : {}),
    verbose: 1,
    ...extra,
  }
}
