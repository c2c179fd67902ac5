--[[
  A member and its neighbours, read in one step so the rank and the window
  agree even while scores change.

  KEYS[1] scores zset (negated scores, highest score first in ascending order)
  ARGV[1] member
  ARGV[2] radius: how many neighbours on each side (integer >= 0)

  Reply: false when the member is not ranked, else
    { start, member1, negatedScore1, member2, negatedScore2, ... }
  where start is the 0-based position of the first entry.
  Errors: TRIB_BAD_ARGUMENTS
]]
local radius = tonumber(ARGV[2])
if not radius or radius < 0 or radius % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS around: radius must be a non-negative integer')
end
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then
  return false
end
local start = math.max(0, rank - radius)
local entries = redis.call('ZRANGE', KEYS[1], start, rank + radius, 'WITHSCORES')
table.insert(entries, 1, start)
return entries
