-- badlib.lua - the omniq function library made wrong on demand (test_faults.py, badlib.py).
-- badlib.py loads the real library's own code (FUNCTION LIST WITHCODE) with this file in
-- front of it and each redis.register_function of it turned into oq_bad_register: every
-- function keeps its name and notes each call in list bad:calls, and answers as the real
-- one does unless hash bad:mode holds a shape for it (or under '*'): then it answers that
-- malformed reply and does nothing else. Registered without flags: a no-writes function
-- could not count itself (the C side calls FCALL, never FCALL_RO).
local HUGE = 4611686018427387904 -- 2^62: exact in Lua's doubles, far past any count or id

local function long_array()
    local t = {}
    for i = 1, 5000 do t[i] = tostring(i) end
    return t
end

local shapes = {
    ['nil'] = function() return nil end,
    int = function() return 7 end,
    huge = function() return HUGE end,
    negative = function() return -HUGE end,
    string = function() return 'garbage' end,
    empty_string = function() return '' end,
    status = function() return {ok = 'QUEUED'} end,
    empty = function() return {} end,
    short = function() return {'1'} end,
    ints = function() return {HUGE, -HUGE, HUGE, HUGE, HUGE, HUGE, HUGE, HUGE} end,
    nested = function() return {{'1'}, {'queued'}, {{}}, {}, {}, {}, {}, {}} end,
    nils = function() return {false, false, false, false, false, false, false, false} end,
    long = long_array,
    bigstr = function() return string.rep('9', 1000000) end,
    binary = function() return {'1\0\255', 'queued\n', '\0', '0', '\255'} end,
    odd = function() return {'id', '1', 'state'} end,
    -- shaped like a session reply, with a field that would mislead a caller that trusts it
    badsid = function() return {'12ab', 'offered', 'alice', '0', '1', '1-0', '0'} end,
    longsid = function()
        return {string.rep('7', 40), 'offered', 'alice', '0', '1', '1-0', '0'}
    end,
    longagent = function()
        return {'1', 'offered', string.rep('a', 300), '0', '1', '1-0', '0'}
    end,
    nostate = function() return {'1', '', '', '0', '1', '1-0', '0'} end,
    badflag = function() return {'1', 'queued', '', '1', '1', '1-0', '9'} end,
    -- errors: not ours (no OQ_ prefix), an empty tag, a runtime error of the script
    error = function() return redis.error_reply('something broke') end,
    error_oq = function() return redis.error_reply('OQ_') end,
    raise = function() error('a runtime failure') end,
}

-- (name, callback) or {function_name = name, callback = callback, ...}; type() does not exist
-- while a library loads, but a string answers nil for .function_name too
local function oq_bad_register(spec, cb)
    local name = spec.function_name or spec
    cb = spec.callback or cb
    redis.register_function(name, function(keys, args)
        redis.call('RPUSH', 'bad:calls', name)
        local mode = redis.call('HGET', 'bad:mode', name) or redis.call('HGET', 'bad:mode', '*')
        if mode and mode ~= 'real' then return (shapes[mode] or shapes.error)() end
        return cb(keys, args)
    end)
end
