--[[
  The inventory's step of accepting a lending request: the books the user
  took (takeLoan) leave the request's reserved set and are lent to the
  user, once.

  KEYS[1] reserved set       lending:{lending:storage}:reserved:<requestId>
  KEYS[2] lent hash          lending:{lending:storage}:lent (bookId -> userId)
  KEYS[3] settled marker     lending:{lending:storage}:settled:<requestId>
  ARGV[1] user id
  ARGV[2] marker TTL in seconds
  ARGV[3..] the books to lend

  Reply: the settled marker, JSON {"kind":"lent","lent":[..]} (now, or by an
  earlier attempt; another kind if the request was settled otherwise)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS, TRIB_CORRUPT_DATA
]]
local userId, ttl = ARGV[1], tonumber(ARGV[2])
if userId == '' or not ttl or ttl < 1 or #ARGV < 3 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS lendReserved: user, ttl and at least one book expected')
end

--- @include "includes/lending"

local done = redis.call('GET', KEYS[3])
if done then
  return done
end
local books = {}
for i = 3, #ARGV do
  local bookId = ARGV[i]
  local holder = redis.call('HGET', KEYS[2], bookId)
  if holder and holder ~= userId then
    return redis.error_reply('TRIB_CORRUPT_DATA lendReserved: ' .. bookId .. ' is reserved and lent to ' .. holder .. ' at once')
  end
  books[#books + 1] = bookId
end
for _, bookId in ipairs(books) do
  redis.call('HSET', KEYS[2], bookId, userId)
end
redis.call('DEL', KEYS[1])
local json = '{"kind":"lent","lent":' .. jsonArray(books) .. '}'
redis.call('SET', KEYS[3], json, 'EX', ttl)
return json
