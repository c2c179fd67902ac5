--[[
  Gives a key back without recording anything (the request failed in a way a
  retry may fix, e.g. a 503), so the next request with it runs afresh.

  KEYS[1] record         <prefix>:<scope>:<key> (a hash while in flight)
  ARGV[1] token

  Reply: 1 released, 0 this caller no longer holds the key (nothing written)
]]
--- @include "includes/record-type"
local kind = recordType(KEYS[1])
if kind ~= 'hash' then
  return 0
end
local record = redis.call('HMGET', KEYS[1], 'state', 'token')
if record[1] ~= 'in-flight' or record[2] ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
