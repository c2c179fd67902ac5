--[[
  Pushes the expiry out, only for the current holder.

  KEYS[1] lock   string  "<token>:<holder nonce>"
  ARGV[1] the value the holder set
  ARGV[2] new ttl in ms, from now (integer >= 1)

  Reply: 1 extended, 0 not the holder (the lease is lost)
  Errors: TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[2])
if not ttl or ttl < 1 or ttl % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS extend: an integer ttl >= 1 ms is required')
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ttl)
end
return 0
