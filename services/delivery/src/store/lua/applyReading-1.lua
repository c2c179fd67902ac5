--[[
  Applies one drone reading to a delivery, or leaves it as it is.

  A reading is applied only if its seq is greater than the last applied one
  AND it does not move the status back: rank CREATED 1 < PICKED_UP 2 <
  IN_TRANSIT 3 < DELIVERED = FAILED 4, and a terminal delivery (rank 4)
  never changes again. So readings redelivered, late or out of order can
  only be dropped, and of DELIVERED and FAILED whichever comes first wins.
  Skipped steps are filled (CREATED -> IN_TRANSIT records PICKED_UP at the
  same time); FAILED is reached alone.

  Every reply lists the steps reached whose event is not marked sent yet
  (markSent-1.lua), whichever reading reached them: a crash or a failed
  publish after this script is repaired by the redelivery, or by the next
  reading of the delivery.

  KEYS[1] delivery hash   delivery:{<deliveryId>}
  ARGV[1] seq (integer >= 0)
  ARGV[2] at, drone time, ISO 8601
  ARGV[3] lat   ARGV[4] lon
  ARGV[5] batteryPct   ARGV[6] speedMps
  ARGV[7] droneId
  ARGV[8] target status: CREATED (TO_PICKUP) | PICKED_UP | IN_TRANSIT | DELIVERED | FAILED
  ARGV[9] failure reason, '' if none
  ARGV[10] now, ms (service clock: the watchdog's last-heard time)

  Reply: { code, snapshot, unsent }
    code 1 applied, 2 not applied (stale, backwards or terminal), 0 no such delivery
    snapshot: HMGET of the SNAPSHOT fields after the change (keys.ts SNAPSHOT_FIELDS)
    unsent: flat { status, at, ... } of the steps reached whose event is not marked sent
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local RANK = { CREATED = 1, PICKED_UP = 2, IN_TRANSIT = 3, DELIVERED = 4, FAILED = 4 }
local PATH = { 'CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED' }
--- @include "includes/snapshot"
--- @include "includes/finite"

local key = KEYS[1]
local seq = tonumber(ARGV[1])
local target = ARGV[8]
if not seq or seq < 0 or seq % 1 ~= 0 or not RANK[target] or not tonumber(ARGV[10]) then
  return redis.error_reply('TRIB_BAD_ARGUMENTS applyReading: seq, target status and time expected')
end
for i = 3, 6 do
  if not finite(ARGV[i]) then
    return redis.error_reply('TRIB_BAD_ARGUMENTS applyReading: position, battery and speed must be numbers')
  end
end

local current = redis.call('HMGET', key, 'status', 'seq')
local status = current[1]
if not status then
  return { 0, {}, {} }
end
local stored = tonumber(current[2]) or -1

local code = 2
if RANK[status] < 4 and seq > stored and RANK[target] >= RANK[status] then
  code = 1
  redis.call('HSET', key,
    'seq', ARGV[1], 'lastAt', ARGV[2], 'lat', ARGV[3], 'lon', ARGV[4],
    'batteryPct', ARGV[5], 'speedMps', ARGV[6], 'droneId', ARGV[7],
    'heardAt', ARGV[10], 'updatedAt', ARGV[2])
  if RANK[target] > RANK[status] then
    if target == 'FAILED' then
      redis.call('HSET', key, 'step:FAILED', ARGV[2])
      if ARGV[9] ~= '' then redis.call('HSET', key, 'reason', ARGV[9]) end
    else
      for i = RANK[status] + 1, RANK[target] do redis.call('HSET', key, 'step:' .. PATH[i], ARGV[2]) end
    end
    redis.call('HSET', key, 'status', target)
  end
end
return { code, redis.call('HMGET', key, unpack(SNAPSHOT)), unsent(key) }
