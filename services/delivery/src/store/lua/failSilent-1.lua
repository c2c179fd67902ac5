--[[
  The watchdog's verdict on a delivery not heard from since the cutoff:
  FAILED with the given reason, unless it was heard from since (a reading
  applied after the watchdog listed it) or it has ended already. The same
  status rule as applyReading: a terminal delivery never changes, so a late
  DELIVERED and the watchdog cannot both win. Several instances may judge the
  same delivery; the first FAILED sticks and the others see it terminal.

  KEYS[1] delivery hash   delivery:{<deliveryId>}
  ARGV[1] cutoff, ms: silent means last heard at or before it
  ARGV[2] now, ISO 8601
  ARGV[3] reason for a delivery that has had readings (DRONE_LOST)
  ARGV[4] cutoff, ms, for a delivery with no reading yet (seq -1): it waits in
          the simulator's queue for a free drone, which is not silence; past
          this longer cutoff it fails with NO_DRONE_AVAILABLE

  Reply: { code, snapshot, unsent }
    code 1 failed now, 2 already terminal, 3 heard from since the cutoff, 0 no such delivery
    snapshot: HMGET of the SNAPSHOT fields after the change (keys.ts SNAPSHOT_FIELDS)
    unsent: flat { status, at, ... } of the steps reached whose event is not marked sent
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
--- @include "includes/snapshot"

local cutoff = tonumber(ARGV[1])
local waitingCutoff = tonumber(ARGV[4])
if not cutoff or not waitingCutoff or ARGV[2] == '' or ARGV[3] == '' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS failSilent: cutoff, time, reason and waiting cutoff expected')
end

local key = KEYS[1]
local status = redis.call('HGET', key, 'status')
if not status then
  return { 0, {}, {} }
end
local code
if status == 'DELIVERED' or status == 'FAILED' then
  code = 2
else
  local waiting = (tonumber(redis.call('HGET', key, 'seq')) or -1) < 0
  local heardAt = tonumber(redis.call('HGET', key, 'heardAt')) or 0
  if heardAt > (waiting and waitingCutoff or cutoff) then
    code = 3
  else
    local reason = waiting and 'NO_DRONE_AVAILABLE' or ARGV[3]
    redis.call('HSET', key, 'status', 'FAILED', 'reason', reason, 'step:FAILED', ARGV[2], 'updatedAt', ARGV[2])
    code = 1
  end
end
return { code, redis.call('HMGET', key, unpack(SNAPSHOT)), unsent(key) }
