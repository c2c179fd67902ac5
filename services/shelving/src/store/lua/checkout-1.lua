--[[
  Hands a book from its shelf to a lending request, idempotently: the same
  request asking again (lending retried after a crash or a lost reply) gets
  the same yes, another request gets no.

  KEYS[1] books handed out   shelving:out (hash bookId -> requestId)
  ARGV[1] book id
  ARGV[2] request id

  Reply: an array
    {'handed'}            the book was on a shelf: now handed to this request
    {'already'}           already handed to this request: nothing written
    {'held', requestId}   handed to another request: nothing written
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
if ARGV[1] == nil or ARGV[1] == '' or ARGV[2] == nil or ARGV[2] == '' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS checkout: book id and request id expected')
end

local holder = redis.call('HGET', KEYS[1], ARGV[1])
if not holder then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return { 'handed' }
end
if holder == ARGV[2] then
  return { 'already' }
end
return { 'held', holder }
