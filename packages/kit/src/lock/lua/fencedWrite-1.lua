--[[
  Applies a write only for a fencing token at least as high as any token this
  resource has seen, and records the token with the value. A holder whose
  lease ran out (a GC pause, a slow network) and who writes late presents an
  older token than the holder after it, and is refused.

  KEYS[1] resource  hash  <prefix>:{<resource>}  fields: token (highest seen), value
  ARGV[1] fencing token (integer >= 1)
  ARGV[2] value

  Reply: { 1, token } written; { 0, highest } refused (nothing changed)
  Errors: TRIB_BAD_ARGUMENTS
]]
local token = tonumber(ARGV[1])
if not token or token < 1 or token % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS fencedWrite: the fencing token must be an integer >= 1')
end
local highest = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
if token < highest then
  return { 0, highest }
end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'value', ARGV[2])
return { 1, token }
