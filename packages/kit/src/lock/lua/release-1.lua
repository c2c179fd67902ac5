--[[
  Releases the lock only if the caller still holds it: a holder whose lease
  expired must not delete the lock somebody else took since.

  KEYS[1] lock   string  "<token>:<holder nonce>"
  ARGV[1] the value the holder set

  Reply: 1 released, 0 not the holder (nothing changed)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
