--[[
  Records a user's checkout, once: the pending checkout is the source of
  truth from which CheckoutRequested is (re-)published until ordering's
  OrderPlaced clears it.

  The caller read the basket and the product prices first (the prices live
  under other hash tags, which a Cluster script may not touch) and passes
  that snapshot; the script records it only if the basket still holds
  exactly those quantities, so the snapshot is the basket at this instant.

  KEYS[1] basket sorted set   basket:{usr:<userId>}
  KEYS[2] pending checkout    basket:{usr:<userId>}:checkout
  ARGV[1] order id to use if a new checkout is recorded
  ARGV[2] now, ms since the epoch
  ARGV[3] TTL in seconds
  ARGV[4] snapshot, JSON [{productId, quantity, unitPriceCents}], stored verbatim
          (re-encoding with cjson would turn large integers into 1e+12 notation)

  Reply: an array
    {'existing', orderId, itemsJson, createdAt}   a checkout is pending: nothing written
    {'created',  orderId, itemsJson, createdAt}   recorded now
    {'empty'}                                     nothing to check out
    {'changed'}                                   the basket differs from the snapshot: read again
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[3])
if ARGV[1] == '' or not tonumber(ARGV[2]) or not ttl or ttl < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS checkout: order id, now and ttl expected')
end

local pending = redis.call('HMGET', KEYS[2], 'orderId', 'items', 'createdAt')
if pending[1] then
  return { 'existing', pending[1], pending[2] or '', pending[3] or '' }
end

local ok, items = pcall(cjson.decode, ARGV[4])
if not ok or type(items) ~= 'table' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS checkout: snapshot must be a JSON array')
end
for _, item in ipairs(items) do
  if type(item) ~= 'table' or type(item.productId) ~= 'string' or type(item.quantity) ~= 'number' then
    return redis.error_reply('TRIB_BAD_ARGUMENTS checkout: snapshot items need productId and quantity')
  end
end

local count = redis.call('ZCARD', KEYS[1])
if count == 0 then
  return { 'empty' }
end
if count ~= #items then
  return { 'changed' }
end
for _, item in ipairs(items) do
  local quantity = redis.call('ZSCORE', KEYS[1], item.productId)
  if not quantity or tonumber(quantity) ~= item.quantity then
    return { 'changed' }
  end
end

redis.call('HSET', KEYS[2], 'orderId', ARGV[1], 'items', ARGV[4], 'createdAt', ARGV[2])
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
return { 'created', ARGV[1], ARGV[4], ARGV[2] }
