--[[
  Gives back what holdStock took for one order event, once: the order could
  not be shipped as a whole (another of its products was short).

  KEYS[1] product hash   fulfillment:product:<productId>
  KEYS[2] hold marker    fulfillment:{fulfillment:product:<productId>}:hold:<group>:<eventId>
  ARGV[1] quantity       (the one taken)

  Reply: 1 given back now, 0 nothing held (never taken, or given back before)
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local quantity = tonumber(ARGV[1])
if not quantity or quantity < 1 or quantity % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS releaseStock: quantity must be a positive integer')
end
if redis.call('GET', KEYS[2]) ~= 'taken' then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'stock', quantity)
redis.call('SET', KEYS[2], 'released', 'KEEPTTL')
return 1
