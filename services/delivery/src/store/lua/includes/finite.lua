--[[
  finite(value): true when an argument is a number a coordinate or a reading
  can hold. tonumber accepts 'nan' and 'inf' (strtod): neither is.
  (Inlined by the kit's loadLuaScript through `--- @include "includes/finite"`.)
]]
local function finite(value)
  local number = tonumber(value)
  return number ~= nil and number == number and number ~= math.huge and number ~= -math.huge
end
