--[[
  Moves retries whose delay has passed back to pending, at the taking end so
  they are next, and says when the next one is due.

  KEYS[1] delayed zset   <q>:delayed
  KEYS[2] pending list   <q>:pending
  ARGV[1] most items to move in one call (> 0)

  Reply: {moved, ms until the next retry is due or -1 when none is waiting}
]]
local limit = tonumber(ARGV[1])
if not limit or limit < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS promote: the limit must be positive')
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('RPUSH', KEYS[2], id)
end
local nextDue = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = -1
if nextDue[2] then
  wait = math.max(0, tonumber(nextDue[2]) - now)
end
return { #due, wait }
