--[[
  Lets a finished delivery expire once delivery-history holds it. NX: a
  redelivered DeliveryRecorded does not push the expiry back.

  KEYS[1] delivery hash   delivery:{<deliveryId>}
  ARGV[1] retention in seconds

  Reply: 1 expiry set, 2 it had one already, -1 not finished (left as it is), 0 no such delivery
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[1])
if not ttl or ttl < 1 or ttl % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS expireDelivery: retention must be a positive integer')
end
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return 0
end
if status ~= 'DELIVERED' and status ~= 'FAILED' then
  return -1
end
return redis.call('EXPIRE', KEYS[1], ttl, 'NX') == 1 and 1 or 2
