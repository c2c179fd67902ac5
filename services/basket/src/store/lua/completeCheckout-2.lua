--[[
  Ordering placed the order of a checkout: take the checked-out quantities
  out of the basket and clear the pending checkout.

  Only what was checked out leaves the basket: a product added after the
  checkout stays, and a product whose quantity was raised afterwards keeps
  the difference (current - checked out; 0 or less removes it).

  Idempotent by order id: the effect and the removal of the pending record
  happen together, so a redelivered OrderPlaced (or one for an order that
  did not come from this basket) finds no pending checkout with its order id
  and changes nothing.

  KEYS[1] basket sorted set   basket:{usr:<userId>}
  KEYS[2] pending checkout    basket:{usr:<userId>}:checkout
  ARGV[1] order id of the OrderPlaced
  ARGV[2] TTL in seconds

  Reply: 1 applied, 0 nothing to do
  Errors (raised before any write): TRIB_BAD_ARGUMENTS, TRIB_CORRUPT_DATA
]]
local ttl = tonumber(ARGV[2])
if not ttl or ttl < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS completeCheckout: ttl expected')
end

local pending = redis.call('HMGET', KEYS[2], 'orderId', 'items')
if pending[1] ~= ARGV[1] then
  return 0
end
local ok, items = pcall(cjson.decode, pending[2] or '')
if not ok or type(items) ~= 'table' then
  return redis.error_reply('TRIB_CORRUPT_DATA completeCheckout: pending items are not a JSON array')
end
for _, item in ipairs(items) do
  if type(item) ~= 'table' or type(item.productId) ~= 'string' or type(item.quantity) ~= 'number' then
    return redis.error_reply('TRIB_CORRUPT_DATA completeCheckout: pending item without productId or quantity')
  end
end

for _, item in ipairs(items) do
  local current = redis.call('ZSCORE', KEYS[1], item.productId)
  if current then
    local left = tonumber(current) - item.quantity
    if left > 0 then
      redis.call('ZADD', KEYS[1], left, item.productId)
    else
      redis.call('ZREM', KEYS[1], item.productId)
    end
  end
end
redis.call('DEL', KEYS[2])
redis.call('EXPIRE', KEYS[1], ttl)
return 1
