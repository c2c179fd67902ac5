--[[
  Ships an order of one product atomically, or says why it cannot: the
  decision, the stock decrement and the stored outcome in one script, in the
  product's slot. (An order of several products is shipped in steps, one
  product at a time: stock-store.ts.)

  A digital product (an e-book) has no stock: it is never checked against
  nor taken from stock, but a country that bans it still fails the order.

  KEYS[1] outcome key      fulfillment:{fulfillment:product:<productId>}:outcome:<group>:<eventId>
  KEYS[2] product hash     fulfillment:product:<productId> (stock, banned, digital)
  ARGV[1] destination country (ISO alpha-2)
  ARGV[2] outcome TTL in seconds
  ARGV[3] product id       (reported in failures)
  ARGV[4] quantity         (integer >= 1)

  Reply: a JSON outcome string
    {"outcome":"SHIPPED"}                                          physical stock decremented
    {"outcome":"SHIPPED","digitalProductIds":[id]}                 a digital product: nothing taken
    {"outcome":"SHIPMENT_FAILED_BANNED_PRODUCT","productIds":[id]} stock untouched
    {"outcome":"SHIPMENT_FAILED_OUT_OF_STOCK","productIds":[id]}   stock untouched
    {"outcome":"UNKNOWN_PRODUCT","productIds":[id]}                nothing stored: retry later
  The first three are stored in the outcome key; a second call for the same
  event returns the stored outcome and changes nothing.

  Errors (raised before any write, since a Lua error does not roll back
  earlier writes): TRIB_BAD_ARGUMENTS, TRIB_CORRUPT_DATA
]]
local country, ttl, id, quantity = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
if #ARGV ~= 4 or not ttl or ttl <= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS shipOneProduct: expected country, ttl, product id and quantity')
end
if not quantity or quantity < 1 or quantity % 1 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS shipOneProduct: quantity of ' .. id .. ' must be a positive integer')
end

local done = redis.call('GET', KEYS[1])
if done then
  return done
end

-- Read and validate first; decide; only then write.
local fields = redis.call('HMGET', KEYS[2], 'stock', 'banned', 'digital')
if not fields[1] then
  return cjson.encode({ outcome = 'UNKNOWN_PRODUCT', productIds = { id } })
end
local stock = tonumber(fields[1])
local ok, banned = pcall(cjson.decode, fields[2] or '[]')
if not stock or not ok or type(banned) ~= 'table' then
  return redis.error_reply('TRIB_CORRUPT_DATA shipOneProduct: product ' .. id .. ' has an unreadable stock or banned list')
end
-- Products created before the flag existed have no field: physical.
local digital = fields[3] == '1'

local outcome
local isBanned = false
for _, code in ipairs(banned) do
  if code == country then isBanned = true end
end
if isBanned then
  outcome = cjson.encode({ outcome = 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds = { id } })
elseif digital then
  outcome = cjson.encode({ outcome = 'SHIPPED', digitalProductIds = { id } })
elseif stock < quantity then
  outcome = cjson.encode({ outcome = 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds = { id } })
else
  redis.call('HINCRBY', KEYS[2], 'stock', -quantity)
  outcome = '{"outcome":"SHIPPED"}'
end

redis.call('SET', KEYS[1], outcome, 'EX', ttl)
return outcome
