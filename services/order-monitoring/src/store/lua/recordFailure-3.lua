--[[
  Counts one failed order, once: the counter, the recent list and the dedup
  marker change together or not at all, so a redelivery never double counts.

  KEYS[1] dedup key        order-monitoring:{order-monitoring:failures}:handled:<group>:<eventId>
  KEYS[2] counts hash      order-monitoring:failures (reason -> count)
  KEYS[3] recent list      order-monitoring:{order-monitoring:failures}:recent (newest first)
  ARGV[1] failure reason
  ARGV[2] recent entry     JSON {orderId, reason, at}
  ARGV[3] dedup TTL in seconds
  ARGV[4] recent list length cap

  Reply: 1 counted, 0 already counted (nothing changed)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
if ARGV[1] == '' or not ttl or ttl <= 0 or not cap or cap < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS recordFailure: reason, ttl and cap are required')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('LPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], 0, cap - 1)
redis.call('SET', KEYS[1], '1', 'EX', ttl)
return 1
