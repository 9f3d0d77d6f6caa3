-- 48_pick.lua — waiting sessions as people see them, and taken by a person rather than by
-- routing (the table `PK`).
--
--   oq_waiting(aid, count)        the sessions waiting that aid may take, best first
--   oq_pick(sid, aid, by)         queued → offered to aid; by: aid itself, a supervisor, or ''
--                                 (an administrator: kamcmd, the REST API)
--   oq_agent_role(aid, role)      'agent' (the default) or 'supervisor'
--
-- Routing never offers a session again to an agent who declined it, let its offer lapse or
-- transferred it away, and offers only to agents with every required skill: with few
-- agents, a session can wait although someone is free. So every waiting session is shown
-- to the agents who may serve it (its class is one they take; a supervisor sees them all),
-- and a person may take it on purpose: an agent for itself from the desk's queue view, a
-- supervisor for a colleague. As with a transfer to a named agent, that is an explicit
-- choice: the target need not have the session's skills and may be one routing would skip,
-- but it must be available with room in the session's class (CAPACITY), by the rules
-- routing uses. The session is offered to the target (a phone call rings its phone); the
-- desk accepts at once a message session its agent picked for itself (desk.c). The wait
-- counts as any wait out of a queue does, and the transcript says who took it.

local PK = {}

local fail = U.fail

local ROLES = {agent = true, supervisor = true}

function PK.is_supervisor(ctx, aid)
    return rcall('HGET', A.key(ctx, aid), 'role') == 'supervisor'
end

function PK.fn_agent_role(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'aid role')
    local aid, role = V.id('agent id', args[1]), args[2]
    if not ROLES[role] then fail('ARG', 'role must be agent or supervisor') end
    A.must_exist(ctx, aid)
    rcall('HSET', A.key(ctx, aid), 'role', role)
    return 'OK'
end

local WAITING = {'channel', 'class', 'queue', 'customer', 'identity', 'skills', 'priority',
    'enq', 'transfer_at', 'created', 'ext', 'claimed_name'}
local MAX_WAITING = 200

-- The first `count` waiting sessions of every queue, merged: highest priority first, then
-- the longest waiting (the order routing takes them in). An agent sees those of the classes
-- it has capacity for, whatever its presence (it may be about to come available); a
-- supervisor sees every one (can_take: whether it has capacity for its class itself).
function PK.fn_waiting(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 2, 'aid count')
    local aid = V.id('agent id', args[1])
    local count = V.int('count', args[2], 1, MAX_WAITING)
    local a = A.load(ctx, aid)
    if not a then fail('NOTFOUND', 'agent ' .. aid) end
    local all = PK.is_supervisor(ctx, aid)
    local qs = rcall('SMEMBERS', ctx.P .. ':queues')
    tsort(qs)
    local cands = {}
    for i = 1, mmin(#qs, U.MAX_QUEUES) do
        local r = rcall('ZRANGE', ctx.P .. ':q:' .. qs[i], 0, count - 1, 'WITHSCORES')
        for j = 1, #r, 2 do
            cands[#cands + 1] = {sid = r[j], score = tonumber(r[j + 1]), pos = (j + 1) / 2}
        end
    end
    tsort(cands, function(x, y)
        if x.score ~= y.score then return x.score < y.score end
        return x.sid < y.sid
    end)
    local out = {}
    for _, c in ipairs_(cands) do
        if #out >= count then break end
        local v = rcall('HMGET', R.skey(ctx, c.sid), 'state', unpk(WAITING))
        local class = v[3]
        local mine = A.CAP[class] and a[A.CAP[class]] > 0
        if v[1] == 'queued' and (all or mine) then
            local e = {'sid', c.sid, 'position', U.dec(c.pos), 'can_take', mine and '1' or '0'}
            for k, name in ipairs_(WAITING) do
                e[#e + 1] = name; e[#e + 1] = v[k + 1] or ''
            end
            local cid = v[5] or ''
            local live = cid ~= '' and C.resolve(ctx, cid)
            e[#e + 1] = 'customer_name'
            e[#e + 1] = live and rcall('HGET', C.key(ctx, live), 'name') or ''
            out[#out + 1] = e
        end
    end
    return out
end

function PK.fn_pick(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'sid aid by')
    local sid, aid = V.sid(args[1]), V.id('agent id', args[2])
    -- by '': an administrator (kamcmd, the REST API with its key)
    local by = args[3] == '' and '' or V.id('picking agent id', args[3])
    if by ~= '' and by ~= aid and not PK.is_supervisor(ctx, by) then
        fail('AGENT', 'agent ' .. by .. ' is no supervisor: it may pick sessions only for itself')
    end
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'queued' then
        fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not waiting')
    end
    local b = A.load(ctx, aid)
    if not b then fail('NOTFOUND', 'agent ' .. aid) end
    if b.presence ~= 'available' then fail('CAPACITY', 'agent ' .. aid .. ' is ' .. b.presence) end
    if not A.free(ctx, b, s.class) then
        fail('CAPACITY', 'agent ' .. aid .. ' has no free ' .. s.class .. ' capacity')
    end
    s.where = W.where(ctx, s)
    local how = by == aid and ('picked up by ' .. aid)
        or ('assigned to ' .. aid .. ' by ' .. (by == '' and 'an administrator' or by))
    -- a note: who took it from which queue is the agents' business, not the customer's
    M.tx_add(ctx, sid, 'note', by, 'pick', how .. ' from queue ' .. s.queue, s.channel or '', s.ext)
    R.offer(ctx, s, b)
    A.save(ctx, b)
    return {sid, 'offered', aid}, ctx
end
