--[[
  Records a request's outcome and publishes its events, both or neither:
  the outcome hash lives in the slot of the events stream for this.

  KEYS[1] outcome hash       lending:{lending:events}:request:<requestId>
  KEYS[2] events stream      lending:events
  ARGV[1] outcome TTL in seconds
  ARGV[2] k, the number of field/value pairs of the outcome
  ARGV[3 .. 2 + 2k] the outcome's fields and values
  then per event 9 arguments: its envelope without data (id, type, version,
  time, source, correlationId, causationId, traceparent), then its data JSON

  Reply: 1 recorded and published, 0 decided before (nothing written)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl, k = tonumber(ARGV[1]), tonumber(ARGV[2])
if not ttl or ttl < 1 or not k or k < 1 or (#ARGV - 2 - 2 * k) % 9 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS recordOutcome: ttl, fields and whole events expected')
end

--- @include "includes/lending"

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * k))
redis.call('EXPIRE', KEYS[1], ttl)
for from = 3 + 2 * k, #ARGV, 9 do
  xaddEvent(KEYS[2], from, ARGV[from + 8])
end
return 1
