--[[
  Appends a request or return to the request stream once per Idempotency-Key:
  a client that retries after a lost answer (the service died after the
  XADD, or the gateway gave up waiting) gets the first entry's id instead of
  a second request. The key and the entry are written together.

  KEYS[1] requests stream    lending:requests
  KEYS[2] key record hash    lending:idempotency:<event type>:<key> (requestId, fingerprint)
  ARGV[1] fingerprint of the request (user, books)
  ARGV[2] seconds the record is kept
  ARGV[3..] the envelope's fields, as XADD takes them

  Returns {'appended', id}, {'replayed', id}, or {'mismatch', id} when the
  key was used for a different request.
]]
local held = redis.call('HMGET', KEYS[2], 'requestId', 'fingerprint')
if held[1] then
  if held[2] ~= ARGV[1] then return {'mismatch', held[1]} end
  return {'replayed', held[1]}
end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
redis.call('HSET', KEYS[2], 'requestId', id, 'fingerprint', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {'appended', id}
