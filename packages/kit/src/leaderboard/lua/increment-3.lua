--[[
  Adds to members' scores once per operation id: the increments and the record
  of the id change together or not at all, so a redelivered event never
  double counts.

  Scores are stored negated (see scores.ts): the caller passes the negated
  increments as strings, so no number goes through Lua's lossy "%.14g"
  formatting on its way back to Redis.

  KEYS[1] scores       zset  <prefix>:{<board>}:scores    member -> -score
  KEYS[2] operations   zset  <prefix>:{<board>}:ops       operation id -> server time (ms) applied
  KEYS[3] day bucket   zset  <prefix>:{<board>}:day:<YYYY-MM-DD>  (untouched when ARGV[3] is 0)
  ARGV[1] operation id
  ARGV[2] dedup window in ms: ids older than this are forgotten (trimmed here)
  ARGV[3] day bucket expiry, unix ms; 0 = no bucket
  ARGV[4 + 2i] member i
  ARGV[5 + 2i] negated increment i (a finite decimal string)

  Reply: 1 applied, 0 duplicate operation (nothing changed)
  Errors (raised before any write, since a Lua error does not roll back
  earlier writes): TRIB_BAD_ARGUMENTS
]]
local window = tonumber(ARGV[2])
local bucketExpiry = tonumber(ARGV[3])
if ARGV[1] == '' or not window or window < 1 or window % 1 ~= 0 or not bucketExpiry or bucketExpiry < 0
  or #ARGV < 5 or #ARGV % 2 ~= 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS increment: operation id, window, bucket expiry and member/increment pairs are required')
end
for i = 4, #ARGV, 2 do
  local by = tonumber(ARGV[i + 1])
  if ARGV[i] == '' or not by or by ~= by or by == math.huge or by == -math.huge then
    return redis.error_reply('TRIB_BAD_ARGUMENTS increment: members must be non-empty and increments finite')
  end
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Forget ids older than the window first: the set stays bounded by (rate x window).
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - window))
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  return 0
end

-- A bucket whose retention has already passed is skipped: PEXPIREAT in the
-- past would delete the whole day's board.
local bucket = bucketExpiry > now
for i = 4, #ARGV, 2 do
  redis.call('ZINCRBY', KEYS[1], ARGV[i + 1], ARGV[i])
  if bucket then
    redis.call('ZINCRBY', KEYS[3], ARGV[i + 1], ARGV[i])
  end
end
if bucket then
  redis.call('PEXPIREAT', KEYS[3], ARGV[3])
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
-- An idle board's operation log disappears on its own.
redis.call('PEXPIRE', KEYS[2], window)
return 1
