--[[
  Puts books lending sent back onto their shelves, once per event. The
  marker is set first and only a new marker lets the books go back: a
  redelivered event, arriving after one of its books was handed out again
  to a new request, must not put that book back on the shelf.

  KEYS[1] handled marker     shelving:{shelving:out}:handled:<eventId>
  KEYS[2] books handed out   shelving:out (hash bookId -> requestId)
  ARGV[1] marker TTL in seconds
  ARGV[2..] book ids

  Reply: -1 the event was already handled (nothing written), else the number
         of books that were handed out and are now on a shelf
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[1])
if not ttl or ttl < 1 or #ARGV < 2 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS shelve: ttl and at least one book id expected')
end

if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ttl) then
  return -1
end
local shelved = 0
for i = 2, #ARGV do
  shelved = shelved + redis.call('HDEL', KEYS[2], ARGV[i])
end
return shelved
