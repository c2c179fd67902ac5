--[[
  The user's step of a return (the book's return transaction, for one
  user): each book the user holds leaves the user's set and count, any
  other is refused, once. A book still pending (taken by a lending request
  whose inventory step has not lent it yet) is refused too: given back
  now, the return would put it into storage and the lend would then mark
  it lent, a book lent and in storage at once.

  KEYS[1] user's counter     lending:{user:<userId>}:count
  KEYS[2] user's books set   lending:{user:<userId>}:books
  KEYS[3] step marker        lending:{user:<userId>}:step:<requestId>
  KEYS[4] pending set        lending:{user:<userId>}:pending
  ARGV[1] marker TTL in seconds
  ARGV[2..] the book ids brought back, in request order

  Reply: the step marker, JSON {"returned":[..],"refused":[..]} (now, or by an earlier attempt)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[1])
if not ttl or ttl < 1 or #ARGV < 2 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS giveBack: ttl and at least one book expected')
end

--- @include "includes/lending"

local done = redis.call('GET', KEYS[3])
if done then
  return done
end
local returned, refused, seen = {}, {}, {}
for i = 2, #ARGV do
  local bookId = ARGV[i]
  if not seen[bookId] then
    seen[bookId] = true
    if redis.call('SISMEMBER', KEYS[2], bookId) == 1 and redis.call('SISMEMBER', KEYS[4], bookId) == 0 then
      returned[#returned + 1] = bookId
    else
      refused[#refused + 1] = bookId
    end
  end
end
if #returned > 0 then
  if redis.call('DECRBY', KEYS[1], #returned) <= 0 then
    redis.call('DEL', KEYS[1])
  end
  redis.call('SREM', KEYS[2], unpack(returned))
end
local json = '{"returned":' .. jsonArray(returned) .. ',"refused":' .. jsonArray(refused) .. '}'
redis.call('SET', KEYS[3], json, 'EX', ttl)
return json
