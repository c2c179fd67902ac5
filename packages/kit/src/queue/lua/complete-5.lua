--[[
  Marks an item done: removes it from the worker's processing list and drops
  its payload and attempt count.

  If the item is no longer in the processing list, a sweep took it back to
  pending while this worker was stalled (its heartbeat expired); remove it
  from pending and delayed too, so it is not processed again needlessly.
  A worker that already took it again sees no payload and drops it.

  KEYS[1] processing list  <q>:processing:<workerId>
  KEYS[2] pending list     <q>:pending
  KEYS[3] delayed zset     <q>:delayed
  KEYS[4] items hash       <q>:items
  KEYS[5] attempts hash    <q>:attempts
  ARGV[1] item id

  Reply: 1 removed from the processing list, 0 it had been swept
]]
local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
if removed == 0 then
  redis.call('LREM', KEYS[2], 0, ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return removed
