--[[
  The delivery hash as the scripts answer it (inlined by the kit's
  loadLuaScript through `--- @include "includes/snapshot"`): SNAPSHOT is
  keys.ts SNAPSHOT_FIELDS, unsent() the steps whose event still has to go out.
]]
local SNAPSHOT = { 'status', 'seq', 'heardAt', 'lat', 'lon', 'droneId', 'batteryPct', 'packageId', 'orderId', 'reason', 'createdAt' }
local STEPS = { 'CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED', 'FAILED' }
-- Steps reached whose event is not known to be published yet: flat { status, at, ... }.
local function unsent(key)
  local fields = redis.call('HMGET', key,
    'step:CREATED', 'sent:CREATED', 'step:PICKED_UP', 'sent:PICKED_UP', 'step:IN_TRANSIT', 'sent:IN_TRANSIT',
    'step:DELIVERED', 'sent:DELIVERED', 'step:FAILED', 'sent:FAILED')
  local out = {}
  for i, status in ipairs(STEPS) do
    if fields[2 * i - 1] and not fields[2 * i] then
      out[#out + 1] = status
      out[#out + 1] = fields[2 * i - 1]
    end
  end
  return out
end
