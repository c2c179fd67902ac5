--[[
  Takes books back from a user (the book's return transaction): the ids go
  into a temporary set; a book lent to this user leaves the lent hash (the
  book's apply_book_return), any other is refused and leaves the temporary
  set, which then holds the books returned. The user's counter drops by
  their number; they refill the automated storage up to its capacity, the
  rest go back to shelving in one BooksSentToShelving event. Records the
  outcome, publishes ReturnProcessed and acks the request entry, all at once.

  Idempotent: if the outcome hash exists only the XACK is repeated.

  KEYS[1] outcome hash       lending:request:<requestId>
  KEYS[2] temporary set      lending:return:<requestId>:temp
  KEYS[3] lent hash          lending:lent (bookId -> userId)
  KEYS[4] user's counter     lending:user:<userId>:count
  KEYS[5] user's books set   lending:user:<userId>:books
  KEYS[6] storage set        lending:storage
  KEYS[7] events stream      lending:events
  KEYS[8] requests stream    lending:requests
  ARGV[1] request id (the entry id on KEYS[8])
  ARGV[2] consumer group
  ARGV[3] user id
  ARGV[4] storage capacity
  ARGV[5] outcome TTL in seconds
  ARGV[6] now, ISO 8601 (processedAt)
  ARGV[7..14] ReturnProcessed envelope without data: id, type, version, time,
              source, correlationId, causationId, traceparent
  ARGV[15..22] BooksSentToShelving envelope without data, same fields
  ARGV[23..] the book ids brought back, in request order

  Reply: an array
    {'processed', returnedJson, refusedJson, storedJson, sentJson}   JSON arrays of book ids
    {'already'}                                                      decided before: only acked
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local requestId, group, userId = ARGV[1], ARGV[2], ARGV[3]
local capacity, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
if requestId == '' or group == '' or userId == '' or not capacity or not ttl or ttl < 1 or #ARGV < 23 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS returnBooks: request, group, user, capacity, ttl, now, envelopes and books expected')
end

--- @include "includes/lending"

if ackIfDecided(KEYS[1], KEYS[8], group, requestId) then
  return { 'already' }
end

local bookIds = {}
for i = 23, #ARGV do bookIds[#bookIds + 1] = ARGV[i] end
redis.call('DEL', KEYS[2])
redis.call('SADD', KEYS[2], unpack(bookIds))
for _, bookId in ipairs(bookIds) do
  if redis.call('HGET', KEYS[3], bookId) == userId then
    redis.call('HDEL', KEYS[3], bookId)
  else
    redis.call('SREM', KEYS[2], bookId)
  end
end

local returned, refused = {}, {}
for _, bookId in ipairs(bookIds) do
  if redis.call('SISMEMBER', KEYS[2], bookId) == 1 then
    returned[#returned + 1] = bookId
  else
    refused[#refused + 1] = bookId
  end
end

local stored, sent = {}, {}
if #returned > 0 then
  if redis.call('DECRBY', KEYS[4], #returned) <= 0 then
    redis.call('DEL', KEYS[4])
  end
  redis.call('SREM', KEYS[5], unpack(returned))
  stored, sent = refillStorage(KEYS[6], capacity, returned)
end
redis.call('DEL', KEYS[2])

local returnedJson, refusedJson = jsonArray(returned), jsonArray(refused)
redis.call('HSET', KEYS[1], 'kind', 'return', 'status', 'PROCESSED', 'userId', userId,
  'returnedBookIds', returnedJson, 'refusedBookIds', refusedJson, 'processedAt', ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
-- The outcome first: a reader waiting for this request's answer meets it before the shelving event.
xaddEvent(KEYS[7], 7, '{"requestId":' .. cjson.encode(requestId) .. ',"userId":' .. cjson.encode(userId)
  .. ',"returnedBookIds":' .. returnedJson .. ',"refusedBookIds":' .. refusedJson .. '}')
if #sent > 0 then
  xaddEvent(KEYS[7], 15, '{"requestId":' .. cjson.encode(requestId) .. ',"bookIds":' .. jsonArray(sent) .. '}')
end
redis.call('XACK', KEYS[8], group, requestId)
return { 'processed', returnedJson, refusedJson, jsonArray(stored), jsonArray(sent) }
