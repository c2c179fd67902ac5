--[[
  Stores a loaded value and releases the lock, but only if this loader still
  holds the lock. An invalidation deletes the lock, so a load that read the
  source before a change cannot write its old value back after it.

  KEYS[1] entry
  KEYS[2] lock
  ARGV[1] token
  ARGV[2] payload
  ARGV[3] ttlMs   fresh TTL (with jitter) + stale window

  Returns 1 when stored, 0 when the lock was lost (invalidated or expired).
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
