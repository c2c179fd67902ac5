--[[
  Token bucket: holds up to `capacity` tokens, refilled continuously at
  `rate` tokens per second; a request takes `cost` tokens or is refused.
  Bursts up to `capacity` pass at once, the long-run rate is `rate`.

  The clock is the Redis server's (TIME), never the caller's, and the refill,
  the check and the take are one atomic step.

  KEYS[1] hash        <prefix>:<key>   fields: tokens (number), at (ms of the last update)
  ARGV[1] capacity    integer >= 1
  ARGV[2] rate        tokens per second, number > 0
  ARGV[3] cost        integer 1..capacity

  Reply: {allowed (1|0), remaining (whole tokens), retryAfterMs, resetMs}
    retryAfterMs  0 when allowed; else ms until `cost` tokens are back
    resetMs       ms until the bucket is full again
  The key expires when the bucket would be full anyway, so an idle client
  costs no memory. Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if not capacity or capacity < 1 or capacity % 1 ~= 0 or not rate or rate <= 0
  or not cost or cost < 1 or cost % 1 ~= 0 or cost > capacity then
  return redis.error_reply('TRIB_BAD_ARGUMENTS tokenBucket: capacity and cost must be integers, 1 <= cost <= capacity, rate > 0')
end

if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if not tokens or not at then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)

local allowed = 0
local retryAfter = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retryAfter = math.max(1, math.ceil((cost - tokens) * 1000 / rate))
end

local reset = math.ceil((capacity - tokens) * 1000 / rate)
if reset <= 0 then
  redis.call('DEL', KEYS[1])
else
  -- %.17g keeps the fraction exact enough that refills never drift.
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
  redis.call('PEXPIRE', KEYS[1], reset)
end
return {allowed, math.floor(tokens), retryAfter, reset}
