--[[
  Schedules another attempt of a failed item after a delay.

  KEYS[1] processing list  <q>:processing:<workerId>
  KEYS[2] delayed zset     <q>:delayed
  KEYS[3] items hash       <q>:items
  ARGV[1] item id
  ARGV[2] delay in ms (>= 0)

  Reply: 1 scheduled; 0 not in the processing list any more (a sweep already
  put it back on pending) or already done elsewhere: nothing to schedule
]]
local delay = tonumber(ARGV[2])
if not delay or delay < 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS retry: the delay must be a non-negative number of ms')
end
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then
  return 0
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[2], now + delay, ARGV[1])
return 1
