-- Shared by every operation script. An operation is either local (ARGV[1]
-- 'local': applied here first, then appended to this region's log) or remote
-- (ARGV[1] 'remote': an entry of another region's log). A remote entry is
-- applied only as the direct successor of the last one applied from its
-- source, which is what makes replication exactly once and in order even when
-- a replicator pipelines, is restarted, or two of them race.
--
-- Common ARGV: [1] 'local'|'remote', [2] region (local: this one; remote: the
-- entry's origin), [3] remote: entry id; local: how many seconds to remember
-- the operation id ('' for an operation without one), [4] previous entry id
-- the replicator read after (remote) or '', [5] the user key.
-- The last KEYS element is the local operation's marker,
-- <prefix>:op:<operation id>: a local write with an operation id is applied
-- once while its marker lives (an event handler's redelivery). Remote entries
-- and writes without an id pass a placeholder that is never touched.

local function parseId(id)
  local dash = string.find(id, '-', 1, true)
  if not dash then return nil end
  local ms, seq = tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
  if not ms or not seq then return nil end
  return ms, seq
end

-- True when stream id a sorts strictly before b.
local function idBefore(a, b)
  local ams, aseq = parseId(a)
  local bms, bseq = parseId(b)
  if ams ~= bms then return ams < bms end
  return aseq < bseq
end

local mode, region, entryId, previousId, userKey = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if (mode ~= 'local' and mode ~= 'remote') or region == '' or not userKey then
  return redis.error_reply('TRIB_BAD_ARGUMENTS mode, region and key are required')
end
if mode == 'remote' and (not parseId(entryId) or not parseId(previousId)) then
  return redis.error_reply('TRIB_BAD_ARGUMENTS a remote operation needs its entry id and the previous id')
end
local markerKey = KEYS[#KEYS]
local rememberFor = mode == 'local' and entryId ~= '' and tonumber(entryId) or nil
if mode == 'local' and entryId ~= '' and (not rememberFor or rememberFor < 1 or rememberFor % 1 ~= 0) then
  return redis.error_reply('TRIB_BAD_ARGUMENTS the operation id must be kept a whole number of seconds')
end

-- 'duplicate' (already applied: a remote entry at or before the cursor, or
-- a local operation id still remembered), 'gap' (remote: an earlier entry is
-- missing, the replicator must re-read from the cursor) or nil (apply it).
local function admit(cursorKey)
  if mode == 'local' then
    if rememberFor and redis.call('EXISTS', markerKey) == 1 then return 'duplicate' end
    return nil
  end
  local cursor = redis.call('GET', cursorKey) or '0-0'
  if not idBefore(cursor, entryId) then return 'duplicate' end
  if cursor ~= previousId then return 'gap' end
  return nil
end

-- Called after the effect, so a failing effect leaves the cursor where it was.
local function advance(cursorKey)
  redis.call('SET', cursorKey, entryId)
end

-- A key holds one type in every region. Checked before any write: a Lua
-- error does not undo the writes made before it, so a remote entry of the
-- wrong type would otherwise leave half its effect behind.
local function checkType(key, expected)
  local actual = redis.call('TYPE', key)['ok']
  if actual ~= 'none' and actual ~= expected then
    return redis.error_reply('TRIB_WRONG_TYPE ' .. userKey .. ' holds a ' .. actual .. ', not a ' .. expected)
  end
  return nil
end

-- The start every operation script shares, once its own arguments are
-- valid: nil to go ahead, or what the script must reply (an error, or a
-- remote entry's 'duplicate' / 'gap').
local function begin(bookkeepingKey, valueKey, expectedType)
  local wrong = checkType(valueKey, expectedType)
  if wrong then return wrong end
  local refused = admit(bookkeepingKey)
  if refused then return { refused } end
  return nil
end

-- A local operation with an id: remembered with its effect, atomically.
local function remember()
  if rememberFor then redis.call('SET', markerKey, '1', 'EX', rememberFor) end
end
