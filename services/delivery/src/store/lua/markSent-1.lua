--[[
  Records that the events of some steps were published, so no later reply
  lists them as unsent. Only steps the delivery reached, and never on a
  delivery that is gone: an HSET there would bring back a hash of one field.

  KEYS[1] delivery hash   delivery:{<deliveryId>}
  ARGV[1..] statuses whose DeliveryStatusChanged was published

  Reply: the number of steps marked (0 when the delivery is gone)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local marked = 0
for _, status in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], 'step:' .. status) == 1 then
    redis.call('HSET', KEYS[1], 'sent:' .. status, '1')
    marked = marked + 1
  end
end
return marked
