--[[
  Writes a sent mail to the mail log, once: a second call with the same mail
  id (the job ran again after a crash) changes nothing.

  A user's index keeps their newest mails only; a mail it drops leaves the
  log altogether (its hash, its order's index, the global index), so the log
  is bounded by users × the per-user bound and not by the TTL alone (at a
  hundred orders a second, 30 days of mails would be hundreds of GB of
  memory). All keys share the {mails} hash tag: the dropped mails' keys,
  built here from the prefixes, are in this script's slot.

  KEYS[1] mail hash         mailing:{mails}:mail:<mailId>
  KEYS[2] user index zset   mailing:{mails}:by-user:<userId>
  KEYS[3] order index zset  mailing:{mails}:by-order:<orderId> (ignored when ARGV[6] is '0')
  KEYS[4] global index zset mailing:{mails}:all
  ARGV[1] mail id
  ARGV[2] sent at (ms since the epoch, the index score)
  ARGV[3] TTL of the mail hash and the per-user/per-order indexes, in seconds
  ARGV[4] most mails kept for one user
  ARGV[5] most mails kept in the global index
  ARGV[6] '1' when the mail belongs to an order
  ARGV[7] key prefix of a mail hash (KEYS[1] less the mail id)
  ARGV[8] key prefix of an order index (KEYS[3] less the order id)
  ARGV[9..] field, value, ... of the mail hash

  Reply: 1 recorded, 0 already recorded
  Errors (before any write): TRIB_BAD_ARGUMENTS
]]
local sentAt = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local perUser = tonumber(ARGV[4])
local global = tonumber(ARGV[5])
if not sentAt or not ttl or ttl < 1 or not perUser or perUser < 1 or not global or global < 1
  or (ARGV[7] or '') == '' or (ARGV[8] or '') == '' or (#ARGV - 8) % 2 ~= 0 or #ARGV < 10 then
  return redis.error_reply('TRIB_BAD_ARGUMENTS recordMail: expected sentAt, ttl, bounds, order flag, key prefixes and field/value pairs')
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local fields = {}
for i = 9, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ttl)
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[3], sentAt, ARGV[1])
  redis.call('EXPIRE', KEYS[3], ttl)
end
redis.call('ZADD', KEYS[4], sentAt, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(global + 1))
redis.call('ZADD', KEYS[2], sentAt, ARGV[1])
redis.call('EXPIRE', KEYS[2], ttl)
-- Usually one mail at most: the bound was kept by the previous write.
local dropped = redis.call('ZRANGE', KEYS[2], 0, -(perUser + 1))
if #dropped > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(perUser + 1))
  for _, mailId in ipairs(dropped) do
    local hash = ARGV[7] .. mailId
    local orderId = redis.call('HGET', hash, 'orderId')
    if orderId then
      redis.call('ZREM', ARGV[8] .. orderId, mailId)
    end
    redis.call('DEL', hash)
    redis.call('ZREM', KEYS[4], mailId)
  end
end
return 1
