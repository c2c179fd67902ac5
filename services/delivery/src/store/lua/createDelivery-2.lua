--[[
  Creates a delivery, CREATED, unless it exists or existed.

  The scheduled marker outlives the hash (which expires once history has the
  delivery), so a PackageCreated replayed later does not schedule the
  package a second time.

  KEYS[1] delivery hash      delivery:{<deliveryId>}
  KEYS[2] scheduled marker   delivery:{<deliveryId>}:scheduled
  ARGV[1] deliveryId
  ARGV[2] packageId
  ARGV[3] orderId
  ARGV[4] pickup lat    ARGV[5] pickup lon
  ARGV[6] dropoff lat   ARGV[7] dropoff lon
  ARGV[8] now, ISO 8601
  ARGV[9] now, ms
  ARGV[10] marker TTL in seconds

  Reply: { code, snapshot, unsent }
    code 1 created, 2 exists already (untouched), 0 existed and expired (nothing written)
    snapshot: HMGET of the SNAPSHOT fields below (keys.ts SNAPSHOT_FIELDS)
    unsent: flat { status, at, ... } of the steps reached whose event is not marked sent
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
--- @include "includes/snapshot"
--- @include "includes/finite"

for i = 4, 7 do
  if not finite(ARGV[i]) then
    return redis.error_reply('TRIB_BAD_ARGUMENTS createDelivery: coordinates must be numbers')
  end
end
local nowMs = tonumber(ARGV[9])
local ttl = tonumber(ARGV[10])
if not nowMs or nowMs % 1 ~= 0 or not ttl or ttl < 1 or ARGV[8] == '' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS createDelivery: time and ttl expected')
end

local code
if redis.call('EXISTS', KEYS[1]) == 1 then
  code = 2
elseif redis.call('EXISTS', KEYS[2]) == 1 then
  return { 0, {}, {} }
else
  redis.call('HSET', KEYS[1],
    'deliveryId', ARGV[1], 'packageId', ARGV[2], 'orderId', ARGV[3],
    'pickupLat', ARGV[4], 'pickupLon', ARGV[5], 'dropoffLat', ARGV[6], 'dropoffLon', ARGV[7],
    'status', 'CREATED', 'seq', '-1',
    'createdAt', ARGV[8], 'updatedAt', ARGV[8], 'heardAt', ARGV[9],
    'step:CREATED', ARGV[8])
  redis.call('SET', KEYS[2], '1', 'EX', ttl)
  code = 1
end
return { code, redis.call('HMGET', KEYS[1], unpack(SNAPSHOT)), unsent(KEYS[1]) }
