--[[
  Takes the lock if nobody holds it, with an expiry, and hands out the next
  fencing token. The token counter never expires: tokens must keep growing
  for as long as anything may compare them.

  KEYS[1] lock     string  <prefix>:{<name>}        "<token>:<holder nonce>", PX ttl
  KEYS[2] counter  string  <prefix>:{<name>}:fence  last token handed out
  ARGV[1] holder nonce (random, unique per acquisition attempt)
  ARGV[2] ttl in ms (integer >= 1)

  Reply: { 1, token } acquired; { 0, pttl } held by someone else (pttl in ms)
  Errors: TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[2])
if ARGV[1] == '' or not ttl or ttl < 1 or ttl % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS acquire: holder nonce and an integer ttl >= 1 ms are required')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return { 0, redis.call('PTTL', KEYS[1]) }
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ttl)
return { 1, token }
