-- 74_chan.lua — a channel's own small values (the table `CH`), shared by every process and
-- node of a tenant: a provider's access token, a fetch cursor, and a lease that lets one
-- holder at a time refresh or fetch them. Channel modules reach them through the core's
-- API (chan_get, chan_set, chan_lease), never by key.
--
--   oq_chan_get channel name                  {value, pttl} (pttl -1: kept), or {} unset
--   oq_chan_get channel name name ...         the first of the names (CHAN_NAMES_MAX at
--                                             most) that is set: {value, pttl, i} (i from
--                                             1), or {}: one call for a chain of lookups
--   oq_chan_set channel name value ttl_ms     ttl 0: kept until changed; value '': deleted
--   oq_chan_set channel name value ttl_ms name value ...
--                                             each so (CHAN_NAMES_MAX at most, one ttl),
--                                             all checked before any is written
--   oq_chan_lease channel name owner ttl_ms   {1, pttl}: owner holds it now (taken, or its
--                                             own renewed); {0, pttl}: another holds it for
--                                             pttl more ms. ttl 0: owner gives it up.
--   oq_chan_part channel name index total value ttl_ms
--                                             one part of a message that comes in parts:
--                                             {0, have}: kept, have of total are here;
--                                             {1, v1..vtotal}: the last one came, all of them
--                                             in order (and forgotten). A part given again
--                                             replaces itself. ttl_ms counts from the first.
--   oq_chan_parts_due channel                 one message whose parts did not all come in
--                                             time, taken: {name, total, i, v, i, v ...}
--                                             (the parts that came, in order), or {}
--
-- P:ch:<channel>:v:<name> and P:ch:<channel>:l:<name> (the holder's name), strings with
-- their own expiry; P:ch:<channel>:p:<name> (hash: n the total, then index -> part) and
-- P:ch:<channel>:pz (zset: name -> the ms its parts are due by) for messages in parts. Names are CHAN_NAME_MAX bytes of [A-Za-z0-9._:@-], values CHAN_VALUE_MAX.

local CH = {}

local fail = U.fail

local function name_arg(v)
    V.str('name', v, L.CHAN_NAME_MAX, false)
    if not smatch(v, '^[%w%._:@%-]+$') then
        fail('ARG', 'name may only contain letters, digits and . _ : @ -')
    end
    return v
end

local function key(ctx, channel, kind, name)
    return ctx.P .. ':ch:' .. channel .. ':' .. kind .. ':' .. name
end

function CH.fn_get(keys, args)
    local ctx = X.begin_ro(keys)
    local n = #args - 1
    if n < 1 or n > L.CHAN_NAMES_MAX then
        fail('ARG', 'wrong number of arguments, expected: channel name [name ...] (at most '
            .. L.CHAN_NAMES_MAX .. ' names)')
    end
    local channel = V.channel(args[1])
    for i = 2, #args do name_arg(args[i]) end
    for i = 2, #args do
        local k = key(ctx, channel, 'v', args[i])
        local v = rcall('GET', k)
        if v then
            if n == 1 then return {v, U.istr(rcall('PTTL', k))} end
            return {v, U.istr(rcall('PTTL', k)), i - 1}
        end
    end
    return {}
end

-- a value as oq_chan_set and oq_chan_part keep it
function CH.value_arg(v)
    if type_(v) ~= 'string' or #v > L.CHAN_VALUE_MAX then
        fail('ARG', 'value longer than ' .. L.CHAN_VALUE_MAX .. ' bytes')
    end
    if sfind(v, '%z') then fail('ARG', 'value contains a NUL byte') end
    return v
end

function CH.fn_set(keys, args)
    local ctx = X.begin(keys)
    if #args < 4 or #args % 2 ~= 0 or #args > 2 + 2 * L.CHAN_NAMES_MAX then
        fail('ARG', 'wrong number of arguments, expected: channel name value ttl_ms '
            .. '[name value ...]')
    end
    local channel = V.channel(args[1])
    local sets = {{name_arg(args[2]), CH.value_arg(args[3])}}
    local ttl = V.int('ttl_ms', args[4], 0, L.CHAN_TTL_MAX)
    for i = 5, #args, 2 do sets[#sets + 1] = {name_arg(args[i]), CH.value_arg(args[i + 1])} end
    for _, nv in ipairs_(sets) do
        local k, v = key(ctx, channel, 'v', nv[1]), nv[2]
        if v == '' then
            rcall('DEL', k)
        elseif ttl == 0 then
            rcall('SET', k, v)
        else
            rcall('SET', k, v, 'PX', ttl)
        end
    end
    return 'OK'
end

function CH.fn_lease(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 4, 'channel name owner ttl_ms')
    local k = key(ctx, V.channel(args[1]), 'l', name_arg(args[2]))
    local owner = V.str('owner', args[3], L.CHAN_NAME_MAX, false)
    local ttl = V.int('ttl_ms', args[4], 0, L.CHAN_TTL_MAX)
    local held = rcall('GET', k)
    if held and held ~= owner then return {0, U.istr(rcall('PTTL', k))} end
    if ttl == 0 then
        if held then rcall('DEL', k) end
        return {1, '0'}
    end
    rcall('SET', k, owner, 'PX', ttl)
    return {1, U.istr(ttl)}
end


function CH.parts_of(pk, total)
    local out = {1}
    for i = 1, total do out[i + 1] = rcall('HGET', pk, tostr(i)) end
    return out
end

function CH.fn_part(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 6, 'channel name index total value ttl_ms')
    local channel = V.channel(args[1])
    local name = name_arg(args[2])
    local total = V.int('total', args[4], 1, L.CHAN_PARTS_MAX)
    local index = V.int('index', args[3], 1, total)
    local v = CH.value_arg(args[5])
    local ttl = V.int('ttl_ms', args[6], 1, L.CHAN_TTL_MAX)
    local pk, zk = key(ctx, channel, 'p', name), ctx.P .. ':ch:' .. channel .. ':pz'
    local n = rcall('HGET', pk, 'n')
    if n and tonum(n) ~= total then
        fail('ARG', 'total ' .. total .. ' differs from the ' .. n .. ' its other parts said')
    end
    if total == 1 then return {1, v} end
    if not n then
        if rcall('ZCARD', zk) >= L.CHAN_PART_SETS_MAX then
            fail('CAPACITY', L.CHAN_PART_SETS_MAX .. ' messages wait for parts already')
        end
        rcall('HSET', pk, 'n', tostr(total))
        rcall('ZADD', zk, ctx.now + ttl, name)
    end
    rcall('HSET', pk, tostr(index), v)
    local have = rcall('HLEN', pk) - 1
    if have < total then return {0, have} end
    local out = CH.parts_of(pk, total)
    rcall('DEL', pk)
    rcall('ZREM', zk, name)
    return out
end

function CH.fn_parts_due(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'channel')
    local channel = V.channel(args[1])
    local zk = ctx.P .. ':ch:' .. channel .. ':pz'
    local due = rcall('ZRANGEBYSCORE', zk, '-inf', ctx.now, 'LIMIT', 0, 1)
    if #due == 0 then return {} end
    local name = due[1]
    local pk = key(ctx, channel, 'p', name)
    local total = tonum(rcall('HGET', pk, 'n') or '0')
    local out = {name, tostr(total)}
    for i = 1, total do
        local v = rcall('HGET', pk, tostr(i))
        if v then out[#out + 1] = tostr(i); out[#out + 1] = v end
    end
    rcall('DEL', pk)
    rcall('ZREM', zk, name)
    return out
end
