--[[
  Stores a new session, unless the id is already taken.

  The creation time comes from the Redis clock (TIME), the same clock that
  later enforces the absolute lifetime, so client clock skew never shortens
  or extends a session.

  KEYS[1] session hash   <prefix>:<id>   fields: data (JSON), createdAt, touchedAt (ms)
  ARGV[1] data           JSON text (validated by the caller)
  ARGV[2] idle ttl ms    integer >= 1

  Reply: the creation time in ms, or 0 when the id is taken (nothing written)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[2])
if not ttl or ttl < 1 or ttl % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS createSession: idle ttl must be an integer >= 1')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'createdAt', now, 'touchedAt', now)
redis.call('PEXPIRE', KEYS[1], ttl)
return now
