--[[
  Drops a user from the sweep's due set, unless a checkout touched it since
  the sweep read it (a new checkout re-adds the user with a later score
  before recording itself, and must keep its entry).

  KEYS[1] due set        basket:checkouts:due
  ARGV[1] user id
  ARGV[2] the score the sweep read

  Reply: 1 removed, 0 kept
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
