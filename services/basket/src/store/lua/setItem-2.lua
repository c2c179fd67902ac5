--[[
  Sets the quantity of one product in a basket (Table 2-1: ZADD usr:<id> <quantity> <product>),
  or removes it with quantity 0, and restarts the inactivity clock.

  A script rather than ZADD + EXPIRE because a new product may join only
  while the basket has room (a checkout carries at most MAX items), and the
  check and the write must see the same basket.

  KEYS[1] basket sorted set   basket:{usr:<userId>}
  KEYS[2] pending checkout    basket:{usr:<userId>}:checkout (its TTL follows the basket's)
  ARGV[1] product id
  ARGV[2] quantity            integer 0..10000 (0 removes)
  ARGV[3] TTL in seconds      (the basket expires after this much inactivity)
  ARGV[4] max distinct products

  Reply: 'OK', or 'BASKET_FULL' (nothing written)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local quantity = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
if not quantity or quantity < 0 or quantity > 10000 or quantity % 1 ~= 0 or not ttl or ttl < 1 or not max or max < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS setItem: quantity 0..10000, ttl >= 1 and max >= 1 integers expected')
end

if quantity == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= max then
    return 'BASKET_FULL'
  end
  redis.call('ZADD', KEYS[1], quantity, ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return 'OK'
