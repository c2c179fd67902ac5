--[[
  Reads, touches or rewrites a session, and slides its expiry, in one step.

  Sliding: every use pushes the expiry to now + idle ttl, capped by the
  absolute lifetime (createdAt + absolute ttl), after which the session is
  deleted whatever its use. Doing this in a script means a session cannot
  expire between the read and the extension, and a write never resurrects a
  session that expired or was destroyed a moment before.

  KEYS[1] session hash   <prefix>:<id>   fields: data (JSON), createdAt, touchedAt (ms)
  ARGV[1] mode           'read' | 'touch' | 'write'
  ARGV[2] idle ttl ms    integer >= 1
  ARGV[3] absolute ttl ms, integer >= 0 (0 = no absolute limit)
  ARGV[4] data           JSON text, for 'write' only

  Reply: nil when there is no live session; otherwise
    read   {data, createdAt}
    touch  1
    write  1
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local mode = ARGV[1]
local idle = tonumber(ARGV[2])
local absolute = tonumber(ARGV[3])
if (mode ~= 'read' and mode ~= 'touch' and mode ~= 'write') or not idle or idle < 1 or idle % 1 ~= 0
  or not absolute or absolute < 0 or absolute % 1 ~= 0 or (mode == 'write' and not ARGV[4]) then
  return redis.error_reply('TRIB_BAD_ARGUMENTS slideSession: mode read|touch|write, integer ttls, data for write')
end

local stored = redis.call('HMGET', KEYS[1], 'data', 'createdAt')
if not stored[1] then
  return nil
end
local createdAt = tonumber(stored[2]) or 0

if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local ttl = idle
if absolute > 0 then
  local left = createdAt + absolute - now
  if left <= 0 then
    redis.call('DEL', KEYS[1])
    return nil
  end
  ttl = math.min(ttl, left)
end

if mode == 'write' then
  redis.call('HSET', KEYS[1], 'data', ARGV[4], 'touchedAt', now)
else
  redis.call('HSET', KEYS[1], 'touchedAt', now)
end
redis.call('PEXPIRE', KEYS[1], ttl)
if mode == 'read' then
  return {stored[1], tostring(createdAt)}
end
return 1
