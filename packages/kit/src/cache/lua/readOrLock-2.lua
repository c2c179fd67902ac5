--[[
  Reads a cache entry and, when it is not fresh, tries to become its loader.

  An entry lives for (fresh TTL + stale window); it is fresh while its
  remaining PTTL is above the stale window. Redis's own clock decides, so
  instances with skewed clocks agree.

  KEYS[1] entry   string, the encoded value
  KEYS[2] lock    string, the loader's token (SET NX PX: it always expires)
  ARGV[1] staleWindowMs
  ARGV[2] token   random, identifies this loader
  ARGV[3] lockTtlMs
  ARGV[4] force   '1': treat the entry as absent (it failed to decode)

  Returns {state, locked, payload}:
    state   'fresh' | 'stale' | 'absent'
    locked  1 when this caller now holds the lock (never for 'fresh')
    payload the stored string, or nil when absent
]]
local payload = redis.call('GET', KEYS[1])
local state = 'absent'
if payload and ARGV[4] ~= '1' then
  local pttl = redis.call('PTTL', KEYS[1])
  if pttl == -1 or pttl > tonumber(ARGV[1]) then
    return {'fresh', 0, payload}
  end
  state = 'stale'
end
local locked = 0
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  locked = 1
end
return {state, locked, payload}
