--[[
  Moves an item to the dead list with the reason, and forgets it.

  KEYS[1] processing list  <q>:processing:<workerId>
  KEYS[2] dead list        <q>:dead
  KEYS[3] items hash       <q>:items
  KEYS[4] attempts hash    <q>:attempts
  ARGV[1] item id
  ARGV[2] error text
  ARGV[3] attempts made
  ARGV[4] bound of the dead list (> 0): the oldest records beyond it are dropped
  ARGV[5] time of failure (ISO 8601, for people)

  Reply: 1 buried; 0 the item has no payload any more (done or buried elsewhere)
]]
local bound = tonumber(ARGV[4])
if not bound or bound < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS bury: the dead-list bound must be positive')
end
redis.call('LREM', KEYS[1], 1, ARGV[1])
local payload = redis.call('HGET', KEYS[3], ARGV[1])
if not payload then
  return 0
end
local record = cjson.encode({
  id = ARGV[1],
  payload = payload,
  error = ARGV[2],
  attempts = tonumber(ARGV[3]),
  failedAt = ARGV[5],
})
redis.call('LPUSH', KEYS[2], record)
redis.call('LTRIM', KEYS[2], 0, bound - 1)
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
