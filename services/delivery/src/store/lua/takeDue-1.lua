--[[
  The watchdog's claim: the deliveries whose deadline has passed, oldest
  deadline first, at most `limit`, each moved on to `leaseUntil` in the same
  step. So a run costs what is due, not what is stored; two instances never
  take the same delivery at once; and one that a run takes but never settles
  (a crash, an error on that delivery) is taken again once the lease is
  over, without holding back the ones behind it. The verdict's own index
  write (syncFleet-4.lua) then replaces the lease with the real next
  deadline, or takes the delivery out.

  KEYS[1] deadline index   delivery:{fleet}:due
  ARGV[1] now, ms
  ARGV[2] limit (integer >= 1)
  ARGV[3] lease until, ms

  Reply: { due, ids }
    due: how many deadlines had passed (before this claim)
    ids: the deliveries taken, at most `limit`
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local leaseUntil = tonumber(ARGV[3])
if not now or not limit or limit < 1 or limit % 1 ~= 0 or not leaseUntil or leaseUntil <= now then
  return redis.error_reply('TRIB_BAD_ARGUMENTS takeDue: now, limit and a lease after now expected')
end
local due = redis.call('ZCOUNT', KEYS[1], '-inf', now)
if due == 0 then
  return { 0, {} }
end
local ids = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], 'XX', leaseUntil, id)
end
return { due, ids }
