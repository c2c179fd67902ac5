--[[
  Rejects a lending request and undoes its reservations (the book's
  compensation): the reserved books refill the automated storage up to its
  capacity (the book's refill_automated_storage), the others go back to
  shelving in one BooksSentToShelving event (the book's books_to_stream).
  Records the outcome, publishes RequestRejected and acks the request entry,
  all at once. Also used with an empty reserved set (NONE_AVAILABLE) and
  when shelving could not be reached (SHELVING_UNAVAILABLE).

  Idempotent: if the outcome hash exists only the XACK is repeated.

  KEYS[1] outcome hash       lending:request:<requestId>
  KEYS[2] reserved set       lending:request:<requestId>:reserved
  KEYS[3] storage set        lending:storage
  KEYS[4] events stream      lending:events
  KEYS[5] requests stream    lending:requests
  ARGV[1] request id (the entry id on KEYS[5])
  ARGV[2] consumer group
  ARGV[3] user id
  ARGV[4] storage capacity
  ARGV[5] outcome TTL in seconds
  ARGV[6] now, ISO 8601 (processedAt)
  ARGV[7] reason: LIMIT_EXCEEDED | NONE_AVAILABLE | SHELVING_UNAVAILABLE
  ARGV[8] requested book ids, JSON array
  ARGV[9] book ids at fault, JSON array
  ARGV[10] RequestRejected data, JSON (built and validated by the caller)
  ARGV[11..18] RequestRejected envelope without data: id, type, version,
               time, source, correlationId, causationId, traceparent
  ARGV[19..26] BooksSentToShelving envelope without data, same fields

  Reply: an array
    {'rejected', storedJson, sentJson}   books put in storage / sent to shelving, JSON arrays
    {'already'}                          decided before: only acked
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local requestId, group, userId = ARGV[1], ARGV[2], ARGV[3]
local capacity, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
if requestId == '' or group == '' or userId == '' or not capacity or not ttl or ttl < 1 or #ARGV ~= 26 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS undoReservations: 26 arguments expected')
end

--- @include "includes/lending"

if ackIfDecided(KEYS[1], KEYS[5], group, requestId) then
  return { 'already' }
end

local reserved = redis.call('SMEMBERS', KEYS[2])
table.sort(reserved)
local stored, sent = refillStorage(KEYS[3], capacity, reserved)
redis.call('DEL', KEYS[2])

redis.call('HSET', KEYS[1], 'kind', 'lend', 'status', 'REJECTED', 'userId', userId, 'reason', ARGV[7],
  'bookIds', ARGV[8], 'bookIdsAtFault', ARGV[9], 'processedAt', ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
-- The outcome first: a reader waiting for this request's answer meets it before the shelving event.
xaddEvent(KEYS[4], 11, ARGV[10])
if #sent > 0 then
  xaddEvent(KEYS[4], 19, '{"requestId":' .. cjson.encode(requestId) .. ',"bookIds":' .. jsonArray(sent) .. '}')
end
redis.call('XACK', KEYS[5], group, requestId)
return { 'rejected', jsonArray(stored), jsonArray(sent) }
