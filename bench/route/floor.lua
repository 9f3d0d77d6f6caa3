#!lua name=omniq_floor
-- floor.lua — the least a Redis function can do for one assignment cycle in
-- omniq's data model, with no routing at all: what the session, the agent, the
-- customer and the two event streams must record when a session is offered,
-- accepted and closed. No argument checks, no search, no reads beyond the
-- one each step needs. run.sh loads it (into the bench's own server only,
-- as a library apart from omniq) and times each step pipelined with
-- redis-benchmark: the cycles per second it reaches bound what any design
-- built on Redis functions, as the issue asks, can reach on this machine.
-- KEYS[1] = tenant prefix, ARGV[1] = a session number (redis-benchmark's
-- __rand_int__), so that keys vary as they do in a real run.

local function ev(P, sid, state)
    local t = redis.call('TIME')
    local at = string.format('%s%03d', t[1], math.floor(tonumber(t[2]) / 1000))
    redis.call('XADD', P .. ':s:' .. sid .. ':ev', '*', 'state', state, 'at', at,
        'agent', 'a' .. (sid % 1000), 'reason', state)
    redis.call('XADD', P .. ':events', 'MAXLEN', '~', '100000', '*', 'type', state,
        'sid', sid, 'agent', 'a' .. (sid % 1000), 'state', state, 'channel', 'web', 'ext', '')
    return at
end

-- a session arrives and is offered at once (enqueue with a free agent)
redis.register_function('floor_offer', function(keys, args)
    local P, sid = keys[1], args[1]
    local aid = 'a' .. (sid % 1000)
    local cid = redis.call('HGET', P .. ':ident', 'web:' .. sid) or redis.call('INCR', P .. ':seq:c')
    redis.call('HSET', P .. ':ident', 'web:' .. sid, cid)
    local at = ev(P, sid, 'offered')
    redis.call('HSET', P .. ':s:' .. sid, 'id', sid, 'channel', 'web', 'class', 'chat',
        'customer', cid, 'skills', 'sk01', 'state', 'offered', 'agent', aid, 'created', at,
        'updated', at, 'offer_exp', at)
    redis.call('ZADD', P .. ':c:' .. cid .. ':hist', at, sid)
    redis.call('ZADD', P .. ':offers', at, sid)
    redis.call('SADD', P .. ':a:' .. aid .. ':ss', sid)
    redis.call('HINCRBY', P .. ':a:' .. aid, 'load:chat', 1)
    redis.call('HINCRBY', P .. ':a:' .. aid, 'load:total', 1)
    return 1
end)

-- the agent accepts the offer (the customer's key stands in by the session
-- number: the real accept reads it from the session first, one read more)
redis.register_function('floor_accept', function(keys, args)
    local P, sid = keys[1], args[1]
    local at = ev(P, sid, 'active')
    redis.call('HSET', P .. ':s:' .. sid, 'state', 'active', 'updated', at)
    redis.call('ZREM', P .. ':offers', sid)
    redis.call('HSET', P .. ':c:' .. sid, 'last_agent', 'a' .. (sid % 1000), 'last_agent_at', at)
    return 1
end)

-- the agent closes it and its capacity is freed
redis.register_function('floor_close', function(keys, args)
    local P, sid = keys[1], args[1]
    local aid = 'a' .. (sid % 1000)
    local at = ev(P, sid, 'closed')
    redis.call('HSET', P .. ':s:' .. sid, 'state', 'closed', 'updated', at)
    redis.call('SREM', P .. ':a:' .. aid .. ':ss', sid)
    redis.call('HINCRBY', P .. ':a:' .. aid, 'load:chat', -1)
    redis.call('HINCRBY', P .. ':a:' .. aid, 'load:total', -1)
    redis.call('HINCRBY', P .. ':stat', 'closed', 1)
    return 1
end)
