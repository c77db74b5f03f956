/**
 * The Lua scripts the Redis backplane runs. Each touches the keys of one room (or one nick) only,
 * all under one hash tag, so they run on Redis Cluster as on one Redis.
 */

/**
 * Sequence the lines a node has for one room in one turn, atomically (Centrifugo does the same for
 * one line with HINCRBY + XADD + PUBLISH): number them, append them to the room's history stream
 * as **one entry** whose id is the number of the last line, trim the stream to the entries that
 * hold the room's last `history` lines, and publish them to every node in one message. One entry
 * per call, not per line, is what makes the stream cheap: an XADD with an exact MAXLEN per line
 * cost Redis more than the numbering and the publish together (docs/benchmarks.md). The layout of
 * the lines, the message and the entries is redis-wire.ts's.
 *
 * A room whose metadata is gone (Redis restarted without persistence, or evicted it) starts a new
 * epoch, and its old stream goes with it. A stream that has seen higher numbers than the metadata
 * (an older save restored only in part) is stepped past, so no number a client may have seen is
 * given to another line.
 *
 * Lines that reach Redis after their deadline are refused, not sequenced: the node has told their
 * senders by then that they were not sent (a SIGSTOPped Redis answers everything late, at SIGCONT).
 *
 * KEYS[1] the room's metadata hash (`epoch`, `seq`), KEYS[2] its history stream.
 * ARGV[1] the room's channel, ARGV[2] the history length, ARGV[3] an epoch for a new room,
 * ARGV[4] the deadline in Redis's clock (ms), ARGV[5..] the lines (wire text, one each).
 * Publishes `EPOCH FIRST COUNT` and the lines, a line each. Returns { epoch, first }.
 * Needs Redis 6.2 (XTRIM MINID).
 */
export const PUBLISH_LINES = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[4]) then
  return redis.error_reply('EXPIRED the lines reached Redis after their deadline and were not sent')
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[3]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
end
local n = #ARGV - 4
local last = redis.call('HINCRBY', KEYS[1], 'seq', n)
local function stepPast(seen)
  if seen > last - n then
    last = seen + n
    redis.call('HSET', KEYS[1], 'seq', last)
  end
end
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if top then stepPast(tonumber(string.match(top[1], '^(%d+)'))) end
local lines = table.concat(ARGV, '\\n', 5)
local added = redis.pcall('XADD', KEYS[2], last .. '-0', 'e', epoch, 'p', lines)
if type(added) == 'table' and added.err then
  -- Entries deleted from the top (XDEL) still hold their ids: go on above the highest ever given.
  local info = redis.call('XINFO', 'STREAM', KEYS[2])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then stepPast(tonumber(string.match(info[i + 1], '^(%d+)'))) end
  end
  redis.call('XADD', KEYS[2], last .. '-0', 'e', epoch, 'p', lines)
end
redis.call('XTRIM', KEYS[2], 'MINID', math.max(0, last - tonumber(ARGV[2]) + 1) .. '-0')
redis.call('PUBLISH', ARGV[1], epoch .. ' ' .. (last - n + 1) .. ' ' .. n .. '\\n' .. lines)
return { epoch, last - n + 1 }
`;

/**
 * Claim a nick, or refresh this owner's claim: free (or expired) → ours for ARGV[2] ms.
 * KEYS[1] the nick's key; ARGV[1] the owner (`node/member`), ARGV[2] the time to live in ms.
 * Returns 1 if the owner holds it now, 0 if another does.
 */
export const CLAIM_NICK = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** Let go of a nick if this owner holds it. KEYS[1] the nick's key; ARGV[1] the owner. */
export const RELEASE_NICK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * A node found the room's number below the last line it delivered (Redis lost a tail: a restart
 * from an older save, an asynchronous replica promoted): raise it, so that no number a client may
 * have seen is given to another line. KEYS[1] the room's metadata; ARGV[1] the epoch, ARGV[2] the
 * number the node saw last.
 */
export const RAISE_SEQ = `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if seq < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'seq', ARGV[2]) end
return 1
`;
