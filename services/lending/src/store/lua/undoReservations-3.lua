--[[
  The inventory's step of rejecting a lending request (the book's
  compensation), once: the reserved books refill the automated storage up to
  its capacity (the book's refill_automated_storage), the others are to go
  back to shelving (the book's books_to_stream). Also for an empty reserved
  set (NONE_AVAILABLE) and when shelving could not be reached.

  KEYS[1] reserved set       lending:{lending:storage}:reserved:<requestId>
  KEYS[2] storage set        lending:storage
  KEYS[3] settled marker     lending:{lending:storage}:settled:<requestId>
  ARGV[1] storage capacity
  ARGV[2] marker TTL in seconds
  ARGV[3] reason: LIMIT_EXCEEDED | NONE_AVAILABLE | SHELVING_UNAVAILABLE
  ARGV[4] the books at fault, a JSON array (kept for the outcome)

  Reply: the settled marker, JSON {"kind":"undone","reason":..,"atFault":[..],"stored":[..],"sent":[..]}
  (now, or by an earlier attempt; another kind if the request was settled otherwise)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local capacity, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
if not capacity or not ttl or ttl < 1 or (ARGV[3] or '') == '' or not pcall(cjson.decode, ARGV[4] or '') then
  return redis.error_reply('TRIB_BAD_ARGUMENTS undoReservations: capacity, ttl, reason and the books at fault expected')
end

--- @include "includes/lending"

local done = redis.call('GET', KEYS[3])
if done then
  return done
end
local reserved = redis.call('SMEMBERS', KEYS[1])
table.sort(reserved)
local stored, sent = refillStorage(KEYS[2], capacity, reserved)
redis.call('DEL', KEYS[1])
local json = '{"kind":"undone","reason":' .. cjson.encode(ARGV[3]) .. ',"atFault":' .. ARGV[4] .. ',"stored":' .. jsonArray(stored) .. ',"sent":' .. jsonArray(sent) .. '}'
redis.call('SET', KEYS[3], json, 'EX', ttl)
return json
