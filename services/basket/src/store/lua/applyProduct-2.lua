--[[
  Applies a catalog event to the basket's copy of a product: only the
  fields the event carries, each only if the event is newer than the one
  that last wrote that field.

  Why positions: the kit retries a failed entry without holding back the
  entries behind it, so a ProductCreated retried after a ProductChanged of
  the same product would otherwise write back the old price. Both come from
  one stream ('catalog:events'), so stream entry ids order them.

  KEYS[1] handled marker   basket:product:{<productId>}:handled:<group>:<eventId>
  KEYS[2] product copy     basket:product:{<productId>} (name, nameAt, priceCents, priceAt)
  ARGV[1] stream entry id of the event, '<ms>-<seq>'
  ARGV[2] marker TTL in seconds
  ARGV[3..] field/value pairs; fields are 'name' and 'priceCents'

  Reply: -1 event already handled (nothing written), else the number of fields written
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local function position(id)
  local ms, seq = string.match(id or '', '^(%d+)-(%d+)$')
  if not ms then return nil end
  return { tonumber(ms), tonumber(seq) }
end
local function newer(a, b)
  return a[1] > b[1] or (a[1] == b[1] and a[2] > b[2])
end

local at = position(ARGV[1])
local ttl = tonumber(ARGV[2])
if not at or not ttl or ttl < 1 or #ARGV < 4 or #ARGV % 2 ~= 0 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS applyProduct: position, ttl and field/value pairs expected')
end
for i = 3, #ARGV, 2 do
  local field = ARGV[i]
  if field ~= 'name' and field ~= 'priceCents' then
    return redis.error_reply('TRIB_BAD_ARGUMENTS applyProduct: unknown field ' .. field)
  end
  if field == 'priceCents' and not string.match(ARGV[i + 1], '^%d+$') then
    return redis.error_reply('TRIB_BAD_ARGUMENTS applyProduct: priceCents must be a non-negative integer')
  end
end

if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
local written = 0
for i = 3, #ARGV, 2 do
  local field = ARGV[i]
  local stored = position(redis.call('HGET', KEYS[2], field .. 'At'))
  if not stored or newer(at, stored) then
    redis.call('HSET', KEYS[2], field, ARGV[i + 1], field .. 'At', ARGV[1])
    written = written + 1
  end
end
redis.call('SET', KEYS[1], tostring(written), 'EX', ttl)
return written
