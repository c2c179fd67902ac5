--[[
  Takes an order's quantity of one physical product for one order event, once
  (a step of an order of several products: stock-store.ts).

  KEYS[1] product hash   fulfillment:product:<productId> (stock)
  KEYS[2] hold marker    fulfillment:{fulfillment:product:<productId>}:hold:<group>:<eventId>
  ARGV[1] quantity       (integer >= 1)
  ARGV[2] marker TTL in seconds

  Reply: 'held' (taken now, or by an earlier attempt of the same event),
         'short' (less stock than the quantity: nothing taken),
         'unknown' (no such product: nothing taken)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS, TRIB_CORRUPT_DATA
]]
local quantity, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
if not quantity or quantity < 1 or quantity % 1 ~= 0 or not ttl or ttl <= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS holdStock: quantity must be a positive integer, ttl positive')
end
if redis.call('GET', KEYS[2]) == 'taken' then
  return 'held'
end
local stock = redis.call('HGET', KEYS[1], 'stock')
if not stock then
  return 'unknown'
end
stock = tonumber(stock)
if not stock then
  return redis.error_reply('TRIB_CORRUPT_DATA holdStock: ' .. KEYS[1] .. ' has an unreadable stock')
end
if stock < quantity then
  return 'short'
end
redis.call('HINCRBY', KEYS[1], 'stock', -quantity)
redis.call('SET', KEYS[2], 'taken', 'EX', ttl)
return 'held'
