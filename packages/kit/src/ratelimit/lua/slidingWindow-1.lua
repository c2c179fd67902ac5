--[[
  Sliding-window log: admits a request if fewer than `limit` were admitted in
  the last `window` milliseconds, counting each admitted request exactly.

  The clock is the Redis server's (TIME), never the caller's: clients with
  skewed clocks share one limit, and the check, the count and the insert
  happen in one atomic step, so concurrent callers cannot both take the last
  slot.

  KEYS[1] sorted set   <prefix>:<key>   member = one admitted unit, score = its time in ms
  ARGV[1] limit        integer >= 1
  ARGV[2] window ms    integer >= 1
  ARGV[3] cost         integer 1..limit (units this request takes)
  ARGV[4] member id    unique per call (the caller's random id)

  Reply: {allowed (1|0), remaining, retryAfterMs, resetMs}
    retryAfterMs  0 when allowed; else ms until enough units leave the window
    resetMs       ms until the window is empty again (the limit fully back)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if not limit or limit < 1 or limit % 1 ~= 0 or not window or window < 1 or window % 1 ~= 0
  or not cost or cost < 1 or cost % 1 ~= 0 or cost > limit or ARGV[4] == nil or ARGV[4] == '' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS slidingWindow: limit, window and cost must be integers, 1 <= cost <= limit')
end

-- Before Redis 5 a script that reads TIME must replicate its effects, not itself.
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])

if used + cost <= limit then
  for i = 1, cost do
    redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i)
  end
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - used - cost, 0, window}
end

-- Denied: wait until the oldest (used + cost - limit) units have left the window.
local blocking = redis.call('ZRANGE', KEYS[1], used + cost - limit - 1, used + cost - limit - 1, 'WITHSCORES')
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local retryAfter = math.max(1, math.ceil(tonumber(blocking[2]) + window - now))
local reset = math.max(1, math.ceil(tonumber(newest[2]) + window - now))
return {0, math.max(0, limit - used), retryAfter, reset}
