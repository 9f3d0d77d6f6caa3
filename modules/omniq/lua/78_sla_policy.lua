-- 78_sla_policy.lua — service levels, what a tenant sets (the tables `SL` and `SLH`, the
-- clocks and alerts are 80_sla.lua's): its policies (oq_sla_set, oq_sla_del, oq_sla_list),
-- the people a queue's alerts tell (oq_queue_roles) and where each person is told
-- (oq_agent_notify). What a policy says: 80_sla.lua's header.

local SL = {}

-- the two files' helpers and constants, in one table (the library's 200 locals)
local SLH = {
    KINDS = {'first', 'reply', 'resolve'},
    FIRED = {first = 'sla_f', reply = 'sla_r', resolve = 'sla_z'},
    SAY = {first = 'first response', reply = 'reply', resolve = 'resolution'},
    -- a policy's fields and their defaults ('=' for overflow_skills: unchanged)
    DEFAULTS = {order = '100', queue = '', channel = '', tier = '', first = '0', reply = '0',
        resolve = '0', levels = '50,80,100', raise = '0', overflow_queue = '',
        overflow_skills = '=', notice = '', link = '', hours = '0', callback = '0',
        callback_notice = ''},
    FIELDS = {'order', 'queue', 'channel', 'tier', 'first', 'reply', 'resolve', 'levels',
        'raise', 'overflow_queue', 'overflow_skills', 'notice', 'link', 'hours', 'callback',
        'callback_notice'},
    SESSION = {'state', 'class', 'queue', 'channel', 'customer', 'agent', 'enq', 'ext',
        'sla', 'sla_f', 'sla_r', 'sla_z', 'sla_rc', 't_in', 't_out1', 'answered', 'closed_n'},
    TARGET_MAX = 31536000,   -- a year, in seconds
    -- the address a person is told at on the shipped channels: its pattern, and what to write
    ADDRESS = {
        sms = {'^[^:]+:%+?%d+$', 'sms:<gateway>:<number>, e.g. sms:kannel:+8613900000009'},
        email = {'^[^:]+:[^@:]+@[^@:]+$', 'email:<mailbox>:<address>, e.g. email:support:olga@example.com'},
        wechat = {'^[^:]+:[^:]+:[^:]+$', 'wechat:tpl:<appid>:<openid> or wechat:app:<corpid>:<userid>'},
    },
}

function SLH.pkey(P, name) return P .. ':sla:p:' .. name end

-- text with "{name}" replaced by value, taken as it is (no pattern in it)
function SLH.put(text, name, value)
    return (string.gsub(text, '{' .. name .. '}', (string.gsub(value, '%%', '%%%%'))))
end
-- a policy, or a queue with business hours (the look sends a new session's closed notice)
function SLH.on(ctx) return rcall('EXISTS', ctx.P .. ':sla:pol', ctx.P .. ':bhq') > 0 end

-- "50,80,100" → {50, 80, 100}: three points, each 1..1000 per cent, rising
function SLH.levels(v)
    local p = {}
    for x in sgmatch(v, '[^,]+') do p[#p + 1] = V.int('level', x, 1, 1000) end
    if #p ~= 3 or p[1] >= p[2] or p[2] >= p[3] then
        U.fail('ARG', 'levels must be three rising per cents, such as 50,80,100')
    end
    return p
end

-- One field of a policy, validated: its canonical value.
function SLH.check(f, v)
    if f == 'order' then return U.istr(V.int('order', v, 0, 1000000)) end
    if f == 'queue' or f == 'overflow_queue' then return v == '' and v or V.id(f, v) end
    if f == 'channel' then return v == '' and v or V.channel(v) end
    if f == 'tier' then return V.str('tier', v, L.ID_MAX, true) end
    if f == 'first' or f == 'reply' or f == 'resolve' then
        return U.istr(V.int(f, v, 0, SLH.TARGET_MAX))
    end
    if f == 'levels' then SLH.levels(v); return v end
    if f == 'raise' then return U.istr(V.int('raise', v, 0, L.PRIORITY_MAX)) end
    if f == 'overflow_skills' then
        if v == '=' then return v end
        return tconcat(V.session_skills(v), ',')
    end
    if f == 'notice' or f == 'callback_notice' then return V.str(f, v, L.SLA_NOTICE_MAX, true) end
    if f == 'callback' then return U.istr(V.int('callback', v, 0, 1)) end
    if f == 'link' then return V.str('link', v, L.TEXT_MAX, true) end
    if f == 'hours' then return U.istr(V.int('hours', v, 0, 1)) end
    local shown = string.gsub(ssub(f, 1, 40), '[%z\1-\31\127]', '?')
    U.fail('ARG', "unknown field '" .. shown .. "': one of " .. tconcat(SLH.FIELDS, ', '))
end

-- A policy as a table, or nil.
function SLH.load(ctx, name)
    local v = rcall('HMGET', SLH.pkey(ctx.P, name), unpk(SLH.FIELDS))
    if not v[1] then return nil end
    local p = {name = name}
    for i, f in ipairs_(SLH.FIELDS) do p[f] = v[i] or SLH.DEFAULTS[f] end
    p.pct = SLH.levels(p.levels)
    p.target = {first = tonum(p.first), reply = tonum(p.reply), resolve = tonum(p.resolve)}
    return p
end

-- oq_sla_set name field value [field value ...]: a policy made or changed (fields not
-- given keep their value, or their default in a new one). A policy must have a target.
function SL.fn_set(keys, args)
    local ctx = X.begin(keys)
    if #args < 3 or #args % 2 ~= 1 then
        U.fail('ARG', 'wrong number of arguments, expected: name field value [field value...]')
    end
    local name = V.id('policy name', args[1])
    local upd, seen = {}, {}
    for i = 2, #args, 2 do
        local f = args[i]
        if seen[f] then U.fail('ARG', 'field ' .. f .. ' given twice') end
        seen[f] = true
        upd[#upd + 1] = f
        upd[#upd + 1] = SLH.check(f, args[i + 1])
    end
    local key = SLH.pkey(ctx.P, name)
    local new = rcall('EXISTS', key) == 0
    if new and rcall('ZCARD', ctx.P .. ':sla:pol') >= L.SLA_POLICIES_MAX then
        U.fail('CAPACITY', 'a tenant has at most ' .. L.SLA_POLICIES_MAX .. ' policies')
    end
    -- the policy as it will be, checked whole before it is written
    local cur = {}
    local v = rcall('HMGET', key, unpk(SLH.FIELDS))
    for i, f in ipairs_(SLH.FIELDS) do cur[f] = v[i] or SLH.DEFAULTS[f] end
    for i = 1, #upd, 2 do cur[upd[i]] = upd[i + 1] end
    if cur.first == '0' and cur.reply == '0' and cur.resolve == '0' then
        U.fail('ARG', 'a policy needs a target: first, reply or resolve (seconds)')
    end
    local all = {}
    for _, f in ipairs_(SLH.FIELDS) do all[#all + 1] = f; all[#all + 1] = cur[f] end
    rcall('HSET', key, unpk(all))
    rcall('ZADD', ctx.P .. ':sla:pol', cur.order, name)
    return 'OK'
end

-- oq_sla_del name: 1 when it was there. Sessions it matched stop being looked at.
function SL.fn_del(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'name')
    local name = V.id('policy name', args[1])
    rcall('ZREM', ctx.P .. ':sla:pol', name)
    return rcall('DEL', SLH.pkey(ctx.P, name))
end

-- oq_sla_list: [[name, <name>, field, value, ...], ...] in the order they are matched.
function SL.fn_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    local out = {}
    for _, name in ipairs_(rcall('ZRANGE', ctx.P .. ':sla:pol', 0, -1)) do
        local v = rcall('HMGET', SLH.pkey(ctx.P, name), unpk(SLH.FIELDS))
        local e = {'name', name}
        for i, f in ipairs_(SLH.FIELDS) do e[#e + 1] = f; e[#e + 1] = v[i] or SLH.DEFAULTS[f] end
        out[#out + 1] = e
    end
    return out
end

-- oq_queue_roles queue [owner supervisor manager]: who is told for the queue's sessions
-- (agent ids, "" for nobody): OK; with the queue alone, the three as they are
-- [owner, <id>, supervisor, <id>, manager, <id>].
function SL.fn_queue_roles(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 1 then V.args(args, 4, 'queue [owner supervisor manager]') end
    local q = V.id('queue', args[1])
    local key = ctx.P .. ':qr:' .. q
    if #args == 1 then
        local v = rcall('HMGET', key, 'owner', 'supervisor', 'manager')
        return {'owner', v[1] or '', 'supervisor', v[2] or '', 'manager', v[3] or ''}
    end
    local roles = {'owner', 'supervisor', 'manager'}
    for i = 2, 4 do
        if args[i] ~= '' then V.id(roles[i - 1], args[i]) end
    end
    rcall('HSET', key, 'owner', args[2], 'supervisor', args[3], 'manager', args[4])
    return 'OK'
end

-- "desk,wechat:oa:main:oX,sms:+86..." → the list, each checked
function SLH.targets(v)
    local out = {}
    if v == '' then return out end
    for t in sgmatch(v, '[^,]+') do
        if t ~= 'desk' then
            local ch, addr = smatch(t, '^([^:]+):(.+)$')
            if not ch then
                U.fail('ARG', 'a target is desk or <channel>:<address>, not ' .. t)
            end
            V.channel(ch)
            V.str('address', addr, L.TEXT_MAX, false)
            -- the shipped senders' addresses (a person has no session to say the rest)
            local want = SLH.ADDRESS[ch]
            if want and not smatch(addr, want[1]) then
                U.fail('ARG', ch .. ' target ' .. t .. ': write ' .. want[2])
            end
        end
        out[#out + 1] = t
    end
    if #out > L.NOTIFY_TARGETS_MAX then
        U.fail('ARG', 'at most ' .. L.NOTIFY_TARGETS_MAX .. ' targets')
    end
    return out
end

-- oq_agent_notify aid targets: where the agent is told of alerts ("" for the desk only).
function SL.fn_agent_notify(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'aid targets')
    local aid = V.id('agent id', args[1])
    V.str('targets', args[2], L.TEXT_MAX * L.NOTIFY_TARGETS_MAX, true)
    local t = SLH.targets(args[2])
    if rcall('EXISTS', A.key(ctx, aid)) == 0 then U.fail('NOTFOUND', 'agent ' .. aid) end
    rcall('HSET', A.key(ctx, aid), 'notify', tconcat(t, ','))
    return 'OK'
end
