--[[
  Adds an item to a queue once: a second push of the same id, while the item
  is queued or within the dedup window after it was pushed, changes nothing.

  KEYS[1] items hash      <q>:items     id -> payload
  KEYS[2] seen zset       <q>:seen      id -> pushed at (ms)
  KEYS[3] pending list    <q>:pending
  ARGV[1] item id
  ARGV[2] payload (JSON text, validated by the caller)
  ARGV[3] dedup window in ms (> 0)

  Reply: 1 added, 0 duplicate
]]
local window = tonumber(ARGV[3])
if not window or window <= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS push: the dedup window must be a positive number of ms')
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Forget ids older than the window first, so the set stays bounded.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - window))
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('LPUSH', KEYS[3], ARGV[1])
return 1
