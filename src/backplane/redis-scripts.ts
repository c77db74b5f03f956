/**
 * The Lua scripts the Redis backplane runs. Each touches the keys of one room (or one nick) only,
 * all under one hash tag, so they run on Redis Cluster as on one Redis.
 */

/**
 * Sequence the lines a node has for one room in one turn, atomically (Centrifugo does the same for
 * one line with HINCRBY + XADD + PUBLISH): number them, append each to the room's history stream
 * with its number as its id, trimmed to the history length, and publish them to every node in one
 * message. A room whose metadata is gone (Redis restarted without persistence, or evicted it)
 * starts a new epoch, and its old stream goes with it.
 *
 * Lines that reach Redis after their deadline are refused, not sequenced: the node has told their
 * senders by then that they were not sent (a SIGSTOPped Redis answers everything late, at SIGCONT).
 *
 * KEYS[1] the room's metadata hash (`epoch`, `seq`), KEYS[2] its history stream.
 * ARGV[1] the room's channel, ARGV[2] the history length, ARGV[3] an epoch for a new room,
 * ARGV[4] the deadline in Redis's clock (ms), ARGV[5..] the lines (JSON, one each).
 * Publishes `EPOCH FIRST COUNT` and the lines, a line each. Returns { epoch, first }.
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
local first = redis.call('HINCRBY', KEYS[1], 'seq', n) - n + 1
local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', ARGV[2], first .. '-0', 'e', epoch, 'p', ARGV[5])
if type(added) == 'table' and added.err then
  -- The stream has seen higher numbers than the metadata (an older save restored only in part):
  -- go on above them rather than reuse a number a client may have seen.
  local info = redis.call('XINFO', 'STREAM', KEYS[2])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then first = tonumber(string.match(info[i + 1], '^(%d+)')) + 1 end
  end
  redis.call('HSET', KEYS[1], 'seq', first + n - 1)
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], first .. '-0', 'e', epoch, 'p', ARGV[5])
end
for i = 2, n do
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], (first + i - 1) .. '-0', 'e', epoch, 'p', ARGV[4 + i])
end
redis.call('PUBLISH', ARGV[1], epoch .. ' ' .. first .. ' ' .. n .. '\\n' .. table.concat(ARGV, '\\n', 5))
return { epoch, first }
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
