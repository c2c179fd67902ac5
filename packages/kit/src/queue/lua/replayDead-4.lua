--[[
  Puts one dead item back on the queue with a fresh attempt count.

  KEYS[1] dead list      <q>:dead
  KEYS[2] items hash     <q>:items
  KEYS[3] attempts hash  <q>:attempts
  KEYS[4] pending list   <q>:pending
  ARGV[1] the dead record exactly as stored (LREM matches it by value)
  ARGV[2] item id
  ARGV[3] payload

  Reply: 1 replayed; 0 the record is gone (replayed already) or the id is
  queued again already (the record is then just removed)
]]
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then
  return 0
end
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('LPUSH', KEYS[4], ARGV[2])
return 1
