--[[
  PN-counter: INCRBY on the value, and the region's own running contribution
  in the metadata (operations commute, so applying each exactly once is all
  convergence needs; the contributions show who added what).

  KEYS[1] log (local) or cursor of the source (remote)
  KEYS[2] value   string  integer, read with GET
  KEYS[3] meta    hash    region -> sum of its deltas
  KEYS[4] marker  string  <prefix>:op:<operation id> (see includes/admit.lua)
  ARGV[1..5] see includes/admit.lua
  ARGV[6] delta, a non-zero integer

  Reply: local {'duplicate'} (its operation id is remembered) or {'applied', new value, entry id}; remote {'applied'|'duplicate'|'gap'}
  Errors (before any write): TRIB_BAD_ARGUMENTS, TRIB_WRONG_TYPE (the key holds another type)
]]
--- @include "includes/admit"
local delta = ARGV[6]
if not delta or not string.match(delta, '^-?%d+$') then
  return redis.error_reply('TRIB_BAD_ARGUMENTS counter: delta must be an integer')
end
local stop = begin(KEYS[1], KEYS[2], 'string')
if stop then return stop end

local value = redis.call('INCRBY', KEYS[2], delta)
redis.call('HINCRBY', KEYS[3], region, delta)
if mode == 'remote' then
  advance(KEYS[1])
  return { 'applied' }
end
remember()
local id = redis.call('XADD', KEYS[1], '*', 't', 'counter', 'k', userKey, 'd', delta)
return { 'applied', value, id }
