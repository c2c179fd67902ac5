--[[
  Brings the fleet-wide indexes in step with one delivery's state, as the
  delivery script just replied it. Runs as a second call because these keys
  (one geo set and two sorted sets for every delivery) cannot share the
  delivery's hash tag. Calls may arrive out of order (two instances, a
  retry): the marker keeps the highest seq written, a call with an older seq
  does nothing, and once the delivery ended (`done`) nothing puts it back.

  The deadline is a function of the state at a seq (created or last heard,
  plus a timeout), so a call at the seq the marker holds writes the same
  deadline again, and a newer seq may move it earlier: a delivery's first
  reading turns the long wait for a drone into the short silence timeout.

  KEYS[1] geo set of drones in flight   delivery:{fleet:<n>}:drones (n: the delivery's shard, keys.ts fleetShard)
  KEYS[2] deadline index, sorted set    delivery:{fleet:<n>}:due
  KEYS[3] queue for a drone, sorted set delivery:{fleet:<n>}:waiting
  KEYS[4] fleet marker                  delivery:{fleet:<n>}:flight:<deliveryId>
  ARGV[1] deliveryId
  ARGV[2] state: a status, or GONE (the delivery hash no longer exists)
  ARGV[3] seq of that state (-1 before the first reading)
  ARGV[4] created or last heard, ms (the queue's order while seq is -1)
  ARGV[5] next deadline, ms
  ARGV[6] lon, '' when no reading yet
  ARGV[7] lat, '' when no reading yet
  ARGV[8] marker TTL in seconds

  Reply: 1 written, 0 older than what the indexes hold (nothing written)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local seq = tonumber(ARGV[3])
local heard = tonumber(ARGV[4])
local deadline = tonumber(ARGV[5])
local ttl = tonumber(ARGV[8])
if not seq or not heard or not deadline or not ttl or ttl < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS syncFleet: seq, times and ttl expected')
end
local marker = redis.call('GET', KEYS[4])
if marker == 'done' then
  return 0
end
local state = ARGV[2]
if state == 'DELIVERED' or state == 'FAILED' or state == 'GONE' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('SET', KEYS[4], 'done', 'EX', ttl)
  return 1
end
if marker and seq < (tonumber(marker) or -1) then
  return 0
end
if ARGV[6] ~= '' and ARGV[7] ~= '' then
  redis.call('GEOADD', KEYS[1], ARGV[6], ARGV[7], ARGV[1])
end
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
if seq < 0 then
  redis.call('ZADD', KEYS[3], 'NX', heard, ARGV[1])
else
  redis.call('ZREM', KEYS[3], ARGV[1])
end
redis.call('SET', KEYS[4], tostring(seq), 'EX', ttl)
return 1
