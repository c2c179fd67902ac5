--[[
  Records the response of the request that holds the key, for replay.

  Only the holder named by its token may complete: a holder whose marker
  expired (it was too slow, or presumed dead) and was claimed again by a
  retry must not overwrite the newer holder's claim.

  The record becomes one string, "<status>\n<fingerprint>\n<contentType>\n<body>":
  a record is kept a day and written for every POST that carries a key, and
  as a string it takes 0.3 KB of Redis instead of a hash's 0.7 KB
  (docs/benchmarks.md, Memory). Neither the status, the base64url fingerprint
  nor a header value holds a newline; the body, which may, comes last.

  KEYS[1] record         <prefix>:<scope>:<key>
  ARGV[1] token
  ARGV[2] status         HTTP status
  ARGV[3] content type
  ARGV[4] body
  ARGV[5] record ttl ms  integer >= 1 (how long the response is replayed)

  Reply: 1 recorded, 0 this caller no longer holds the key (nothing written)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
--- @include "includes/record-type"
local ttl = tonumber(ARGV[5])
if not tonumber(ARGV[2]) or not ARGV[4] or not ttl or ttl < 1 or ttl % 1 ~= 0 or string.find(ARGV[3], '\n', 1, true) then
  return redis.error_reply('TRIB_BAD_ARGUMENTS completeRequest: status, a content type without newlines, body and an integer ttl are required')
end
local kind = recordType(KEYS[1])
if kind ~= 'hash' then
  return 0
end
local record = redis.call('HMGET', KEYS[1], 'state', 'token', 'fingerprint')
if record[1] ~= 'in-flight' or record[2] ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2] .. '\n' .. record[3] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4], 'PX', ttl)
return 1
