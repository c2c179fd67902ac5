--[[
  The user's step of accepting a lending request: checks the limit and takes
  the request's books onto the user's count and set, once. The books are
  also marked on loan but not yet lent (the pending set) until the
  inventory's step has lent them (lendReserved, then loanLent clears them):
  a return of the same user handled meanwhile refuses them (giveBack). The
  caller runs it as the ONLY command of a MULTI/EXEC under WATCH of the
  user's counter (the book's optimistic concurrency control); the limit is
  checked again here all the same.

  KEYS[1] user's counter     lending:{user:<userId>}:count
  KEYS[2] user's books set   lending:{user:<userId>}:books
  KEYS[3] step marker        lending:{user:<userId>}:step:<requestId>
  KEYS[4] pending set        lending:{user:<userId>}:pending
  ARGV[1] most books a user may hold
  ARGV[2] marker TTL in seconds
  ARGV[3..] the books to lend (the request's reservations), in order

  Reply: an array
    {'taken', booksJson}     taken now
    {'already', booksJson}   taken by an earlier attempt of the same request
    {'limit', held}          over the limit: nothing written
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local maxBooks, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
if not maxBooks or not ttl or ttl < 1 or #ARGV < 3 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS takeLoan: limit, ttl and at least one book expected')
end

--- @include "includes/lending"

local done = redis.call('GET', KEYS[3])
if done then
  return { 'already', done }
end
local books = {}
for i = 3, #ARGV do books[#books + 1] = ARGV[i] end
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if held + #books > maxBooks then
  return { 'limit', tostring(held) }
end
redis.call('INCRBY', KEYS[1], #books)
redis.call('SADD', KEYS[2], unpack(books))
redis.call('SADD', KEYS[4], unpack(books))
local json = jsonArray(books)
redis.call('SET', KEYS[3], json, 'EX', ttl)
return { 'taken', json }
