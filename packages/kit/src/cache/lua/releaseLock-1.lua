--[[
  Releases a loader's lock if it still holds it (after a failed load), so a
  waiter can take over at once instead of after the lock's expiry.

  KEYS[1] lock
  ARGV[1] token

  Returns 1 when released, 0 when the lock belonged to someone else or was gone.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
