--[[
  recordType(key): the TYPE of a request record, 'hash' while in flight (or
  done in the older layout), 'string' once done, 'none' when absent. TYPE's
  status reply reaches Lua as a table under RESP2 and RESP3 alike.
  (Inlined by the kit's loadLuaScript through `--- @include "includes/record-type"`.)
]]
local function recordType(key)
  local kind = redis.call('TYPE', key)
  if type(kind) == 'table' then kind = kind.ok end
  return kind
end
