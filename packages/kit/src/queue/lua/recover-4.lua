--[[
  Gives back the items of a worker that is gone: everything in its processing
  list returns to pending, at the taking end, and the worker is unregistered.
  Atomic, so an item is never in both lists nor in neither.

  KEYS[1] heartbeat       <q>:worker:<workerId>   (expires unless refreshed)
  KEYS[2] processing list <q>:processing:<workerId>
  KEYS[3] pending list    <q>:pending
  KEYS[4] workers set     <q>:workers
  ARGV[1] worker id
  ARGV[2] '1' to recover even though the heartbeat is present (the worker
          itself, closing), '0' to leave a live worker alone (the sweep)

  Reply: items moved, or -1 when the worker is alive and was left alone
]]
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
local moved = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'RIGHT') do
  moved = moved + 1
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
return moved
