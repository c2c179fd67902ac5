--[[
  Sorted-set counter (a leaderboard): ZINCRBY of one member. Integer deltas
  only: floating-point sums taken in a different order in two regions could
  differ in the last bit, and then they would never converge.

  KEYS[1] log (local) or cursor of the source (remote)
  KEYS[2] value   zset  member -> score, read with ZRANGE / ZSCORE
  KEYS[3] marker  string  <prefix>:op:<operation id> (see includes/admit.lua)
  ARGV[1..5] see includes/admit.lua
  ARGV[6] member
  ARGV[7] delta, an integer

  Reply: local {'duplicate'} (its operation id is remembered) or {'applied', new score, entry id}; remote {'applied'|'duplicate'|'gap'}
  Errors (before any write): TRIB_BAD_ARGUMENTS, TRIB_WRONG_TYPE (the key holds another type)
]]
--- @include "includes/admit"
local member, delta = ARGV[6], ARGV[7]
if not member or member == '' or not delta or not string.match(delta, '^-?%d+$') then
  return redis.error_reply('TRIB_BAD_ARGUMENTS sortedIncr: member and an integer delta are required')
end
local stop = begin(KEYS[1], KEYS[2], 'zset')
if stop then return stop end

local score = redis.call('ZINCRBY', KEYS[2], delta, member)
if mode == 'remote' then
  advance(KEYS[1])
  return { 'applied' }
end
remember()
local id = redis.call('XADD', KEYS[1], '*', 't', 'zincr', 'k', userKey, 'm', member, 'd', delta)
return { 'applied', score, id }
