--[[
  Once, at start: the last-heard set of earlier versions becomes part of the
  deadline index. A last-heard time is earlier than the deadline it leads
  to, so each adopted delivery is judged once, early; the verdict script
  decides on the delivery hash and moves it to its real deadline.

  KEYS[1] deadline index    delivery:{fleet}:due
  KEYS[2] legacy last-heard delivery:{fleet}:heard

  Reply: how many deliveries the legacy set held (0: nothing to adopt)
]]
local count = redis.call('ZCARD', KEYS[2])
if count == 0 then
  return 0
end
redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MIN')
redis.call('DEL', KEYS[2])
return count
