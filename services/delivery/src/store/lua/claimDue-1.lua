--[[
  The watchdog's claim in one fleet shard: of the deliveries it picked as
  due (the oldest deadlines of every shard, read just before), each one
  whose deadline is still at or before `now` is moved on to `leaseUntil`, in
  the same step. So two instances never take the same delivery at once (the
  first moves it past `now`); and one that a run takes but never settles (a
  crash, an error on that delivery) is taken again once the lease is over.
  The verdict's own index write (syncFleet-4.lua) then replaces the lease
  with the real next deadline, or takes the delivery out.

  KEYS[1] deadline index of a shard   delivery:{fleet:<n>}:due
  ARGV[1] now, ms
  ARGV[2] lease until, ms
  ARGV[3..] the deliveries to take

  Reply: the deliveries taken, in the order given
  Errors (raised before any write): TRIB_BAD_ARGUMENTS
]]
local now = tonumber(ARGV[1])
local leaseUntil = tonumber(ARGV[2])
if not now or not leaseUntil or leaseUntil <= now then
  return redis.error_reply('TRIB_BAD_ARGUMENTS claimDue: now and a lease after now expected')
end
local taken = {}
for i = 3, #ARGV do
  local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i]))
  if score and score <= now then
    redis.call('ZADD', KEYS[1], 'XX', leaseUntil, ARGV[i])
    taken[#taken + 1] = ARGV[i]
  end
end
return taken
