--[[
  Records the response of the request that holds the key, for replay.

  Only the holder named by its token may complete: a holder whose marker
  expired (it was too slow, or presumed dead) and was claimed again by a
  retry must not overwrite the newer holder's claim.

  KEYS[1] record hash    <prefix>:<scope>:<key>
  ARGV[1] token
  ARGV[2] status         HTTP status
  ARGV[3] content type
  ARGV[4] body
  ARGV[5] record ttl ms  integer >= 1 (how long the response is replayed)

  Reply: 1 recorded, 0 this caller no longer holds the key (nothing written)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[5])
if not tonumber(ARGV[2]) or not ARGV[4] or not ttl or ttl < 1 or ttl % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS completeRequest: status, body and an integer ttl are required')
end
local record = redis.call('HMGET', KEYS[1], 'state', 'token')
if record[1] ~= 'in-flight' or record[2] ~= ARGV[1] then
  return 0
end
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'contentType', ARGV[3], 'body', ARGV[4], 'completedAt', time[1])
redis.call('HDEL', KEYS[1], 'token')
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
