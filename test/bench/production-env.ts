/**
 * Imported first by `run.ts`, before any peer loads: the peers are measured as users deploy them.
 * MobX's `dist/index.js` loads its development build (extra checks, slower) unless `NODE_ENV` is
 * `production`; every part's child process inherits the setting. The engine never reads it.
 */
process.env.NODE_ENV = 'production'
