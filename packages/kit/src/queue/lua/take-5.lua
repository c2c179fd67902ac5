--[[
  A worker's take without waiting, in one round trip: puts due retries back
  at the taking end of pending (as many as ARGV[1], server clock), then moves
  up to ARGV[2] items from pending into the worker's processing list,
  counting an attempt for each and reading its payload. A worker with a
  backlog in front of it pays one call per take instead of three (promote,
  BLMOVE, and the MULTI of HINCRBY and HGET); when nothing is pending it
  falls back to a blocking BLMOVE.

  An id whose payload is gone (finished or buried by another worker after a
  sweep gave it back) is dropped here: off the processing list, its count
  forgotten, and reported with a false payload.

  KEYS[1] delayed zset     <q>:delayed
  KEYS[2] pending list     <q>:pending
  KEYS[3] processing list  <q>:processing:<workerId>
  KEYS[4] items hash       <q>:items
  KEYS[5] attempts hash    <q>:attempts
  ARGV[1] most due retries to promote (> 0)
  ARGV[2] most items to take (> 0)

  Reply: {ms until the next retry is due or -1 when none is waiting,
          id, attempt, payload or false, id, attempt, payload or false, ...}
  Errors (before any write): TRIB_BAD_ARGUMENTS
]]
local promoteLimit = tonumber(ARGV[1])
local takeLimit = tonumber(ARGV[2])
if not promoteLimit or promoteLimit < 1 or not takeLimit or takeLimit < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS take: the limits must be positive')
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, promoteLimit)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('RPUSH', KEYS[2], id)
end
local nextDue = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = -1
if nextDue[2] then
  wait = math.max(0, tonumber(nextDue[2]) - now)
end
local reply = { wait }
for _ = 1, takeLimit do
  local id = redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT')
  if not id then break end
  local attempt = redis.call('HINCRBY', KEYS[5], id, 1)
  local payload = redis.call('HGET', KEYS[4], id)
  if not payload then
    redis.call('LREM', KEYS[3], 1, id)
    redis.call('HDEL', KEYS[5], id)
  end
  reply[#reply + 1] = id
  reply[#reply + 1] = attempt
  reply[#reply + 1] = payload
end
return reply
