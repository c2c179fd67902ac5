--[[
  Claims an idempotency key for one request, or says what became of it.

  Claim and check are one step, so of N concurrent requests with one key
  exactly one is told 'acquired'. The claim is an in-flight marker with a
  short expiry: if its holder dies before finishing, the key frees itself.

  KEYS[1] record         <prefix>:<scope>:<key>
          in flight: a hash (state 'in-flight', fingerprint, token, startedAt)
          done: a string "<status>\n<fingerprint>\n<contentType>\n<body>"
          (completeRequest); a hash with state 'done' and those fields is
          the older layout, still read
  ARGV[1] fingerprint    hash of method, path and body
  ARGV[2] token          random, identifies this holder to complete/release
  ARGV[3] in-flight ttl ms, integer >= 1

  Reply:
    {'acquired'}                                   the caller runs the request
    {'mismatch'}                                   the key was used for another request
    {'done', status, contentType, body}            replay this response
    {'in-flight', pttl}                            another holder is running it
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
--- @include "includes/record-type"
local ttl = tonumber(ARGV[3])
if not ARGV[1] or ARGV[1] == '' or not ARGV[2] or ARGV[2] == '' or not ttl or ttl < 1 or ttl % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS beginRequest: fingerprint, token and an integer ttl are required')
end

local kind = recordType(KEYS[1])
if kind == 'string' then
  local done = redis.call('GET', KEYS[1])
  local afterStatus = string.find(done, '\n', 1, true)
  local afterFingerprint = afterStatus and string.find(done, '\n', afterStatus + 1, true)
  local afterType = afterFingerprint and string.find(done, '\n', afterFingerprint + 1, true)
  if not afterType then
    return redis.error_reply('TRIB_UNEXPECTED_REPLY beginRequest: a done record without its four parts')
  end
  if string.sub(done, afterStatus + 1, afterFingerprint - 1) ~= ARGV[1] then
    return {'mismatch'}
  end
  return {'done', string.sub(done, 1, afterStatus - 1), string.sub(done, afterFingerprint + 1, afterType - 1), string.sub(done, afterType + 1)}
end

local record = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'status', 'contentType', 'body')
if not record[1] then
  if redis.replicate_commands then redis.replicate_commands() end
  local time = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'state', 'in-flight', 'fingerprint', ARGV[1], 'token', ARGV[2], 'startedAt', time[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {'acquired'}
end
if record[2] ~= ARGV[1] then
  return {'mismatch'}
end
if record[1] == 'done' then
  return {'done', record[3], record[4], record[5]}
end
return {'in-flight', redis.call('PTTL', KEYS[1])}
