--[[
  OR-set remove (observed remove). Locally it removes the tags this region has
  seen for the member and logs them; with none seen it is ignored and not
  logged (the book's Table 4-2, step 7). Remotely it removes exactly the
  logged tags: one not seen here yet is remembered as a tombstone, so its add,
  arriving later from a third region, does not bring the member back.

  KEYS[1] log (local) or cursor of the source (remote)
  KEYS[2] value       set   the members, read with SMEMBERS
  KEYS[3] meta        hash  member -> its tags, space separated
  KEYS[4] tombstones  set   tags removed before their add arrived here
  KEYS[5] marker  string  <prefix>:op:<operation id> (see includes/admit.lua)
  ARGV[1..5] see includes/admit.lua
  ARGV[6] member
  ARGV[7] remote: the removed tags, space separated; local: ''
  ARGV[8] remote: the prefix of this region's cursor keys, to tell whether a
          tag's add was applied here (a key not in KEYS, but in the same slot:
          every key of a region shares its hash tag)
  ARGV[9] remote: this region's id

  Reply: local {'duplicate'} (its operation id is remembered) or {'applied', 'removed'|'ignored', entry id or ''}; remote {'applied'|'duplicate'|'gap'}
  Errors (before any write): TRIB_BAD_ARGUMENTS, TRIB_WRONG_TYPE (the key holds another type)
]]
--- @include "includes/admit"
local member, extra = ARGV[6], ARGV[7]
if not member or member == '' or (mode == 'remote' and (not extra or not ARGV[8] or not ARGV[9])) then
  return redis.error_reply('TRIB_BAD_ARGUMENTS setRemove: member, and for a remote remove its tags, cursor prefix and region')
end
local stop = begin(KEYS[1], KEYS[2], 'set')
if stop then return stop end

local function words(text)
  local list = {}
  for word in string.gmatch(text or '', '%S+') do list[#list + 1] = word end
  return list
end

if mode == 'local' then
  local tags = redis.call('HGET', KEYS[3], member)
  if not tags then return { 'applied', 'ignored', '' } end
  redis.call('HDEL', KEYS[3], member)
  redis.call('SREM', KEYS[2], member)
  remember()
  local id = redis.call('XADD', KEYS[1], '*', 't', 'srem', 'k', userKey, 'm', member, 'r', tags)
  return { 'applied', 'removed', id }
end

local removed = {}
for _, tag in ipairs(words(extra)) do
  if not string.match(tag, '^[^/]+/%d+%-%d+$') then
    return redis.error_reply('TRIB_BAD_ARGUMENTS setRemove: malformed tag ' .. tag)
  end
  removed[tag] = true
end
local kept = {}
for _, tag in ipairs(words(redis.call('HGET', KEYS[3], member))) do
  if removed[tag] then removed[tag] = nil else kept[#kept + 1] = tag end
end
-- Tags left over were not here: either their add has not arrived yet
-- (remember them) or this region removed them itself already (nothing to do).
for tag in pairs(removed) do
  local slash = string.find(tag, '/', 1, true)
  local origin, id = string.sub(tag, 1, slash - 1), string.sub(tag, slash + 1)
  local cursor = redis.call('GET', ARGV[8] .. origin) or '0-0'
  if ARGV[9] ~= origin and idBefore(cursor, id) then redis.call('SADD', KEYS[4], tag) end
end
if #kept == 0 then
  redis.call('HDEL', KEYS[3], member)
  redis.call('SREM', KEYS[2], member)
else
  redis.call('HSET', KEYS[3], member, table.concat(kept, ' '))
end
advance(KEYS[1])
return { 'applied' }
