--[[
  Accepts a lending request: lends the request's pre-reserved books to the
  user, records the outcome, publishes RequestAccepted and acks the request
  entry, all at once. The caller runs it as the ONLY command of a
  MULTI/EXEC under WATCH of the user's counter (the book's optimistic
  concurrency control); the limit is checked again here all the same.

  Idempotent: if the outcome hash exists the request was decided before
  (by an earlier attempt, or by another instance that reclaimed it), so
  only the XACK is repeated.

  KEYS[1] outcome hash       lending:request:<requestId>
  KEYS[2] reserved set       lending:request:<requestId>:reserved
  KEYS[3] user's counter     lending:user:<userId>:count
  KEYS[4] user's books set   lending:user:<userId>:books
  KEYS[5] lent hash          lending:lent (bookId -> userId)
  KEYS[6] events stream      lending:events
  KEYS[7] requests stream    lending:requests
  ARGV[1] request id (the entry id on KEYS[7])
  ARGV[2] consumer group
  ARGV[3] user id
  ARGV[4] most books a user may hold
  ARGV[5] outcome TTL in seconds
  ARGV[6] now, ISO 8601 (processedAt)
  ARGV[7..14] RequestAccepted envelope without data: id, type, version, time,
              source, correlationId, causationId, traceparent
  ARGV[15..] the requested book ids, in request order

  Reply: an array
    {'committed', lentJson, unavailableJson}   lent now; both JSON arrays of book ids
    {'already'}                                decided before: only acked
    {'limit', held}                            over the limit: nothing written (decide again)
    {'empty'}                                  nothing reserved: nothing written
  Errors (raised before any write): TRIB_BAD_ARGUMENTS, TRIB_CORRUPT_DATA
]]
local requestId, group, userId = ARGV[1], ARGV[2], ARGV[3]
local maxBooks, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
if requestId == '' or group == '' or userId == '' or not maxBooks or not ttl or ttl < 1 or #ARGV < 15 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS commitLending: request, group, user, limit, ttl, now, envelope and books expected')
end

--- @include "includes/lending"

if ackIfDecided(KEYS[1], KEYS[7], group, requestId) then
  return { 'already' }
end

local reserved = redis.call('SMEMBERS', KEYS[2])
if #reserved == 0 then
  return { 'empty' }
end
local held = tonumber(redis.call('GET', KEYS[3]) or '0')
if held + #reserved > maxBooks then
  return { 'limit', tostring(held) }
end

-- The request's order, then (never expected) reserved books it did not name, sorted.
local pending = {}
for _, bookId in ipairs(reserved) do pending[bookId] = true end
local lent, unavailable = {}, {}
for i = 15, #ARGV do
  local bookId = ARGV[i]
  if pending[bookId] then
    lent[#lent + 1] = bookId
    pending[bookId] = nil
  else
    unavailable[#unavailable + 1] = bookId
  end
end
local extra = {}
for bookId in pairs(pending) do extra[#extra + 1] = bookId end
table.sort(extra)
for _, bookId in ipairs(extra) do lent[#lent + 1] = bookId end

for _, bookId in ipairs(lent) do
  if redis.call('HEXISTS', KEYS[5], bookId) == 1 then
    return redis.error_reply('TRIB_CORRUPT_DATA commitLending: ' .. bookId .. ' is reserved and lent at once')
  end
end

redis.call('INCRBY', KEYS[3], #lent)
for _, bookId in ipairs(lent) do
  redis.call('HSET', KEYS[5], bookId, userId)
  redis.call('SADD', KEYS[4], bookId)
end
redis.call('DEL', KEYS[2])

local lentJson, unavailableJson = jsonArray(lent), jsonArray(unavailable)
redis.call('HSET', KEYS[1], 'kind', 'lend', 'status', 'ACCEPTED', 'userId', userId,
  'bookIds', lentJson, 'unavailableBookIds', unavailableJson, 'processedAt', ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
xaddEvent(KEYS[6], 7, '{"requestId":' .. cjson.encode(requestId) .. ',"userId":' .. cjson.encode(userId)
  .. ',"bookIds":' .. lentJson .. ',"unavailableBookIds":' .. unavailableJson .. '}')
redis.call('XACK', KEYS[7], group, requestId)
return { 'committed', lentJson, unavailableJson }
