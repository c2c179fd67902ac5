--[[
  Helpers shared by lending's scripts (inlined by the kit's
  loadLuaScript through `--- @include "includes/lending"`).
]]

-- A JSON array of strings; cjson would encode an empty table as {}.
local function jsonArray(list)
  local parts = {}
  for i, value in ipairs(list) do parts[i] = cjson.encode(value) end
  return '[' .. table.concat(parts, ',') .. ']'
end

-- XADDs an event whose envelope (without data) is ARGV[from .. from + 7], in the kit's field order.
local function xaddEvent(stream, from, data)
  return redis.call('XADD', stream, '*',
    'id', ARGV[from], 'type', ARGV[from + 1], 'version', ARGV[from + 2], 'time', ARGV[from + 3],
    'source', ARGV[from + 4], 'correlationId', ARGV[from + 5], 'causationId', ARGV[from + 6],
    'traceparent', ARGV[from + 7], 'data', data)
end

-- The book's refill_automated_storage and books_to_stream: books go into storage while it has
-- room (up to capacity); returns the stored ones and the ones to send back to shelving.
local function refillStorage(storageKey, capacity, books)
  local free = capacity - redis.call('SCARD', storageKey)
  local stored, sent = {}, {}
  for _, bookId in ipairs(books) do
    if free > 0 then
      redis.call('SADD', storageKey, bookId)
      stored[#stored + 1] = bookId
      free = free - 1
    else
      sent[#sent + 1] = bookId
    end
  end
  return stored, sent
end
