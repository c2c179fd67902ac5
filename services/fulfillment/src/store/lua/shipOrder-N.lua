--[[
  Ships one order atomically, or says why it cannot.

  Digital products (e-books) have no stock: they are never checked against
  nor taken from stock, but a country that bans them still fails the order.
  An all-digital order is "shipped" without touching stock; mailing delivers
  the digital products (listed in the reply).

  N: the number of keys varies, 1 + one per distinct product of the order.
  Product keys are passed as KEYS (never built inside the script) so Redis
  and a Cluster client know every key the script touches. On a Cluster, an
  order's products would also have to share a slot (hash tags in keys.ts).

  KEYS[1]       dedup key        fulfillment:handled:<group>:<eventId>
  KEYS[1 + i]   product hash i   fulfillment:product:<productId> (stock, banned, digital)
  ARGV[1]       destination country (ISO alpha-2)
  ARGV[2]       dedup TTL in seconds
  ARGV[1 + 2i]  product id i     (reported in failures)
  ARGV[2 + 2i]  quantity i       (integer >= 1; ids are distinct, the caller merges lines)

  Reply: a JSON outcome string
    {"outcome":"SHIPPED"}                                          physical stock decremented
    {"outcome":"SHIPPED","digitalProductIds":[..]}                 the same, with the order's digital products
    {"outcome":"SHIPMENT_FAILED_BANNED_PRODUCT","productIds":[..]} stock untouched
    {"outcome":"SHIPMENT_FAILED_OUT_OF_STOCK","productIds":[..]}   stock untouched
    {"outcome":"UNKNOWN_PRODUCT","productIds":[..]}                nothing stored: retry later
  The first three are stored in the dedup key; a second call for the same
  event returns the stored outcome and changes nothing.

  Errors (raised before any write, since a Lua error does not roll back
  earlier writes): TRIB_BAD_ARGUMENTS, TRIB_CORRUPT_DATA
]]
local n = #KEYS - 1
local country = ARGV[1]
local ttl = tonumber(ARGV[2])
if n < 1 or #ARGV ~= 2 + 2 * n or not ttl or ttl <= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS shipOrder: expected 1 + n keys and 2 + 2n arguments')
end

local done = redis.call('GET', KEYS[1])
if done then
  return done
end

-- Read and validate everything first; decide; only then write.
local products = {}
local unknown = {}
for i = 1, n do
  local id = ARGV[1 + 2 * i]
  local quantity = tonumber(ARGV[2 + 2 * i])
  if not quantity or quantity < 1 or quantity % 1 ~= 0 then
    return redis.error_reply('TRIB_BAD_ARGUMENTS shipOrder: quantity of ' .. id .. ' must be a positive integer')
  end
  local fields = redis.call('HMGET', KEYS[1 + i], 'stock', 'banned', 'digital')
  if not fields[1] then
    table.insert(unknown, id)
  else
    local stock = tonumber(fields[1])
    local ok, banned = pcall(cjson.decode, fields[2] or '[]')
    if not stock or not ok or type(banned) ~= 'table' then
      return redis.error_reply('TRIB_CORRUPT_DATA shipOrder: product ' .. id .. ' has an unreadable stock or banned list')
    end
    -- Products created before the flag existed have no field: physical.
    products[i] = { id = id, quantity = quantity, stock = stock, banned = banned, digital = fields[3] == '1' }
  end
end
if #unknown > 0 then
  return cjson.encode({ outcome = 'UNKNOWN_PRODUCT', productIds = unknown })
end

local outcome
local banned = {}
for i = 1, n do
  for _, code in ipairs(products[i].banned) do
    if code == country then
      table.insert(banned, products[i].id)
      break
    end
  end
end
if #banned > 0 then
  outcome = cjson.encode({ outcome = 'SHIPMENT_FAILED_BANNED_PRODUCT', productIds = banned })
else
  local short = {}
  for i = 1, n do
    if not products[i].digital and products[i].stock < products[i].quantity then
      table.insert(short, products[i].id)
    end
  end
  if #short > 0 then
    outcome = cjson.encode({ outcome = 'SHIPMENT_FAILED_OUT_OF_STOCK', productIds = short })
  else
    local digital = {}
    for i = 1, n do
      if products[i].digital then
        table.insert(digital, products[i].id)
      else
        redis.call('HINCRBY', KEYS[1 + i], 'stock', -products[i].quantity)
      end
    end
    -- cjson encodes an empty table as {}, not []: the list is left out when empty.
    if #digital > 0 then
      outcome = cjson.encode({ outcome = 'SHIPPED', digitalProductIds = digital })
    else
      outcome = '{"outcome":"SHIPPED"}'
    end
  end
end

redis.call('SET', KEYS[1], outcome, 'EX', ttl)
return outcome
