--[[
  Last-writer-wins register, a string or one field of a hash. Writes are
  ordered by a hybrid logical clock stamp "<ms>:<counter>:<region>": close to
  wall time, yet a write made after seeing another always gets the larger
  stamp, even when this region's clock runs behind; the region breaks ties.

  KEYS[1] log (local) or cursor of the source (remote)
  KEYS[2] value   string (field '') or hash (field given), read with GET / HGET
  KEYS[3] meta    hash    field ('' for a string) -> stamp of the value kept
  KEYS[4] clock   string  "<ms>:<counter>", this region's clock
  KEYS[5] marker  string  <prefix>:op:<operation id> (see includes/admit.lua)
  ARGV[1..5] see includes/admit.lua
  ARGV[6] field, '' for a string register
  ARGV[7] the value
  ARGV[8] remote: the write's stamp; local: ''

  Reply: local {'duplicate'} (its operation id is remembered) or {'applied', stamp, entry id}; remote {'applied'|'duplicate'|'gap'}
  Errors (before any write): TRIB_BAD_ARGUMENTS, TRIB_WRONG_TYPE (the key holds another type)
]]
--- @include "includes/admit"
local field, value, stamp = ARGV[6], ARGV[7], ARGV[8]

local function parseStamp(text)
  local l, c, origin = string.match(text or '', '^(%d+):(%d+):(.+)$')
  if not l then return nil end
  return tonumber(l), tonumber(c), origin
end

local function later(a, b)
  if not b then return true end
  local al, ac, ar = parseStamp(a)
  local bl, bc, br = parseStamp(b)
  if al ~= bl then return al > bl end
  if ac ~= bc then return ac > bc end
  return ar > br
end

if not field or not value or (mode == 'remote' and not parseStamp(stamp)) then
  return redis.error_reply('TRIB_BAD_ARGUMENTS register: field, value and (remote) a stamp are required')
end
local stop = begin(KEYS[1], KEYS[2], field == '' and 'string' or 'hash')
if stop then return stop end

local now = redis.call('TIME')
local physical = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local clockL, clockC = string.match(redis.call('GET', KEYS[4]) or '0:0', '^(%d+):(%d+)$')
clockL, clockC = tonumber(clockL), tonumber(clockC)
local nextL, nextC
if mode == 'local' then
  nextL = math.max(clockL, physical)
  nextC = (nextL == clockL) and clockC + 1 or 0
else
  local ml, mc = parseStamp(stamp)
  nextL = math.max(clockL, ml, physical)
  if nextL == clockL and nextL == ml then nextC = math.max(clockC, mc) + 1
  elseif nextL == clockL then nextC = clockC + 1
  elseif nextL == ml then nextC = mc + 1
  else nextC = 0 end
end
redis.call('SET', KEYS[4], string.format('%.0f:%.0f', nextL, nextC))
if mode == 'local' then stamp = string.format('%.0f:%.0f:%s', nextL, nextC, region) end

if later(stamp, redis.call('HGET', KEYS[3], field)) then
  if field == '' then redis.call('SET', KEYS[2], value) else redis.call('HSET', KEYS[2], field, value) end
  redis.call('HSET', KEYS[3], field, stamp)
end
if mode == 'remote' then
  advance(KEYS[1])
  return { 'applied' }
end
remember()
local id = redis.call('XADD', KEYS[1], '*', 't', 'lww', 'k', userKey, 'f', field, 'v', value, 's', stamp)
return { 'applied', stamp, id }
