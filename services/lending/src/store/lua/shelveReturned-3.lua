--[[
  The inventory's step of a return, once: the books the user gave back
  (giveBack) leave the lent hash (the book's apply_book_return) and refill
  the automated storage up to its capacity; the rest are to go back to
  shelving.

  KEYS[1] lent hash          lending:{lending:storage}:lent (bookId -> userId)
  KEYS[2] storage set        lending:storage
  KEYS[3] settled marker     lending:{lending:storage}:settled:<requestId>
  ARGV[1] user id
  ARGV[2] storage capacity
  ARGV[3] marker TTL in seconds
  ARGV[4..] the books returned (none: only the marker is written)

  Reply: the settled marker, JSON {"kind":"returned","stored":[..],"sent":[..]} (now, or by an earlier attempt)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local userId, capacity, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if userId == '' or not capacity or not ttl or ttl < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS shelveReturned: user, capacity and ttl expected')
end

--- @include "includes/lending"

local done = redis.call('GET', KEYS[3])
if done then
  return done
end
local books = {}
for i = 4, #ARGV do
  local bookId = ARGV[i]
  if redis.call('HGET', KEYS[1], bookId) == userId then
    redis.call('HDEL', KEYS[1], bookId)
  end
  books[#books + 1] = bookId
end
local stored, sent = refillStorage(KEYS[2], capacity, books)
local json = '{"kind":"returned","stored":' .. jsonArray(stored) .. ',"sent":' .. jsonArray(sent) .. '}'
redis.call('SET', KEYS[3], json, 'EX', ttl)
return json
