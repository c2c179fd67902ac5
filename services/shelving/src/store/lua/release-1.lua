--[[
  Puts books back on their shelves only where they are still held by one
  given request: the repair for a checkout whose answer lending never got
  (it refused the request SHELVING_UNAVAILABLE and never held the book).
  Conditional on the holder, so a redelivery, or a book since handed to
  another request, changes nothing.

  KEYS[1] books handed out   shelving:out (hash bookId -> requestId)
  ARGV[1] request id
  ARGV[2..] book ids

  Reply: how many books went back on a shelf
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
if ARGV[1] == nil or ARGV[1] == '' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS release: request id expected')
end
local released = 0
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    released = released + 1
  end
end
return released
