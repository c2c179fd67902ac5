--[[
  Records a product's initial stock, banned countries and whether it is
  digital (no stock is counted for it), once.

  Creating a product twice (a redelivery, or a replayed ProductCreated with a
  new event id) must not reset stock that orders already decremented: the
  product hash is written only if it does not exist yet.

  KEYS[1] dedup key      fulfillment:{fulfillment:product:<productId>}:created:<group>:<eventId> (the product's slot)
  KEYS[2] product hash   fulfillment:product:<productId>
  ARGV[1] initial stock  (integer >= 0)
  ARGV[2] banned countries, JSON array of strings
  ARGV[3] dedup TTL in seconds
  ARGV[4] digital: '1' or '0'

  Reply: 1 created, 2 product already known (left untouched), 0 event already handled
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local stock = tonumber(ARGV[1])
local ttl = tonumber(ARGV[3])
if not stock or stock < 0 or stock % 1 ~= 0 or not ttl or ttl <= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS createProduct: stock and ttl must be non-negative integers')
end
local ok, banned = pcall(cjson.decode, ARGV[2])
if ARGV[4] ~= '1' and ARGV[4] ~= '0' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS createProduct: digital must be 1 or 0')
end
if not ok or type(banned) ~= 'table' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS createProduct: banned countries must be a JSON array')
end

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local reply = 2
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'stock', ARGV[1], 'banned', ARGV[2], 'digital', ARGV[4])
  reply = 1
end
redis.call('SET', KEYS[1], tostring(reply), 'EX', ttl)
return reply
