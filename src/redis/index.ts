/**
 * `sessionflow/redis`: a session store on Redis (or any server speaking its commands), with the
 * host's own client. See README.md in this folder.
 */
export { PUT_SCRIPT, RedisStore } from './store'
export type { IoredisLike, NodeRedisLike, RedisClientLike, RedisSend, RedisStoreOptions } from './store'
