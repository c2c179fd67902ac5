--[[
  Registers a worker id: takes back anything a previous holder of the id left
  in its processing list, then sets the heartbeat. Refuses an id whose
  heartbeat is alive (another live worker uses it).

  KEYS[1] heartbeat       <q>:worker:<workerId>
  KEYS[2] processing list <q>:processing:<workerId>
  KEYS[3] pending list    <q>:pending
  KEYS[4] workers set     <q>:workers
  ARGV[1] worker id
  ARGV[2] heartbeat TTL in ms (> 0)

  Reply: items given back to pending
  Errors: TRIB_WORKER_ID_IN_USE, TRIB_BAD_ARGUMENTS
]]
local ttl = tonumber(ARGV[2])
if not ttl or ttl < 1 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS register: the heartbeat TTL must be positive')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('TRIB_WORKER_ID_IN_USE register: worker ' .. ARGV[1] .. ' has a live heartbeat')
end
local moved = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'RIGHT') do
  moved = moved + 1
end
redis.call('SET', KEYS[1], '1', 'PX', ttl)
redis.call('SADD', KEYS[4], ARGV[1])
return moved
