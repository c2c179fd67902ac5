--[[
  OR-set add (add wins). Every add gets a unique tag, "<origin>/<entry id>";
  a member is in the set while it has at least one tag. A remove deletes only
  the tags its region had seen, so an add the remover had not seen survives.

  KEYS[1] log (local) or cursor of the source (remote)
  KEYS[2] value       set   the members, read with SMEMBERS
  KEYS[3] meta        hash  member -> its tags, space separated
  KEYS[4] tombstones  set   tags removed elsewhere before their add arrived here
  KEYS[5] marker  string  <prefix>:op:<operation id> (see includes/admit.lua)
  ARGV[1..5] see includes/admit.lua
  ARGV[6] member

  Reply: local {'duplicate'} (its operation id is remembered) or {'applied', 'applied', entry id}; remote {'applied'|'duplicate'|'gap'}
  Errors (before any write): TRIB_BAD_ARGUMENTS, TRIB_WRONG_TYPE (the key holds another type)
]]
--- @include "includes/admit"
local member = ARGV[6]
if not member or member == '' then
  return redis.error_reply('TRIB_BAD_ARGUMENTS setAdd: member is required')
end
local stop = begin(KEYS[1], KEYS[2], 'set')
if stop then return stop end

local id = entryId
if mode == 'local' then
  remember()
  id = redis.call('XADD', KEYS[1], '*', 't', 'sadd', 'k', userKey, 'm', member)
end
local tag = region .. '/' .. id
-- Each tag arrives here once, so a tombstone is needed only until its add does.
if redis.call('SREM', KEYS[4], tag) == 0 then
  local tags = redis.call('HGET', KEYS[3], member)
  redis.call('HSET', KEYS[3], member, tags and (tags .. ' ' .. tag) or tag)
  redis.call('SADD', KEYS[2], member)
end
if mode == 'remote' then
  advance(KEYS[1])
  return { 'applied' }
end
return { 'applied', 'applied', id }
