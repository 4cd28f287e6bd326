/**
 * `sessionflow/redis`: a session store and a transform cache on Redis (or any server speaking its
 * commands), with the host's own client. See README.md in this folder.
 */
export { PUT_SCRIPT, ROTATE_SCRIPT, RedisStore } from './store'
export type { IoredisLike, NodeRedisLike, RedisClientLike, RedisSend, RedisStoreOptions } from './store'
export { RedisTransformCache } from './transform-cache'
export type { RedisTransformCacheOptions } from './transform-cache'
