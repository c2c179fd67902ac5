--[[
  Brings the fleet-wide indexes in step with one delivery's state, as the
  delivery script just replied it. Runs as a second call because these keys
  (one geo set and one sorted set for every delivery) cannot share the
  delivery's hash tag. Calls may arrive out of order (two instances, a
  retry): the marker keeps the highest seq written, a call with an older seq
  does nothing, and once the delivery ended (`done`) nothing puts it back.

  KEYS[1] geo set of drones in flight   delivery:{fleet}:drones
  KEYS[2] last heard, sorted set        delivery:{fleet}:heard
  KEYS[3] fleet marker                  delivery:{fleet}:flight:<deliveryId>
  ARGV[1] deliveryId
  ARGV[2] state: a status, or GONE (the delivery hash no longer exists)
  ARGV[3] seq of that state (-1 before the first reading)
  ARGV[4] last heard, ms
  ARGV[5] lon, '' when no reading yet
  ARGV[6] lat, '' when no reading yet
  ARGV[7] marker TTL in seconds

  Reply: 1 written, 0 older than what the indexes hold (nothing written)
  Errors (raised before any write): BAD_ARGUMENTS
]]
local seq = tonumber(ARGV[3])
local heard = tonumber(ARGV[4])
local ttl = tonumber(ARGV[7])
if not seq or not heard or not ttl or ttl < 1 then
  return redis.error_reply('BAD_ARGUMENTS syncFleet: seq, time and ttl expected')
end
local marker = redis.call('GET', KEYS[3])
if marker == 'done' then
  return 0
end
local state = ARGV[2]
if state == 'DELIVERED' or state == 'FAILED' or state == 'GONE' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('SET', KEYS[3], 'done', 'EX', ttl)
  return 1
end
if marker and seq < (tonumber(marker) or -1) then
  return 0
end
if ARGV[5] ~= '' and ARGV[6] ~= '' then
  redis.call('GEOADD', KEYS[1], ARGV[5], ARGV[6], ARGV[1])
end
-- GT: a late call never makes a delivery look silent for longer than it is.
redis.call('ZADD', KEYS[2], 'GT', heard, ARGV[1])
redis.call('SET', KEYS[3], tostring(seq), 'EX', ttl)
return 1
