-- 35_route.lua — sessions as routing sees them, and matching in both directions (the
-- table `R`).
--
-- Session → agent (a session arrives or is re-queued): decided by the engine
-- (engine/route.c, R.decide): the customer's last agent if it can take it now, else the
-- best skilled agent with room: every required skill, the highest sum of the required
-- levels, then the least loaded, then the one idle longest, then the agent id; exact.
--
-- Agent → session (an agent frees room or comes available, R.pull): decided by the engine
-- too (engine/pull.c): sessions parked for the agent first, then the best (priority, then
-- age) waiting session across every class it has room in and every skill it has, found
-- through the P:wk head entries and, past them, the P:w members, bounded by lookahead; a
-- session only sessions it cannot take stand in front of beyond that is found by the sweep
-- (50_sweep.lua, rescue).

local R = {}

local istr, fail = U.istr, U.fail
R.FIELDS = {'id', 'state', 'class', 'skills', 'queue', 'priority', 'enq', 'offers', 'affinity',
    'agent', 'customer', 'channel', 'created', 'ext', 'transfer_at', 'node'}

function R.skey(ctx, sid)
    return ctx.P .. ':s:' .. sid
end

-- A session read with HMGET of R.FIELDS into the table routing works on.
function R.sess_from(v)
    if not v[1] then return nil end
    local n = U.num
    local s = {
        id = v[1], state = v[2], class = v[3], skills = U.split(v[4] or '', ','),
        skills_s = v[4] or '', queue = v[5], priority = n(v[6], 0, 'priority'),
        enq = n(v[7], 0, 'enq'), offers = n(v[8], 0, 'offers'), affinity = v[9] or '',
        agent = v[10] or '', customer = v[11] or '', channel = v[12], created = n(v[13], 0, 'created'),
        ext = v[14] or '', transfer_at = n(v[15], 0, 'transfer_at'), node = v[16] or '',
    }
    if not U.CLASS_SET[s.class] then fail('INTERNAL', 'session ' .. s.id .. ' has no class') end
    s.idx = W.idx(s.skills)
    s.score = (1000 - s.priority) * U.TWO42 + s.enq
    return s
end

function R.sess_load(ctx, sid)
    return R.sess_from(rcall('HMGET', R.skey(ctx, sid), unpk(R.FIELDS)))
end

function R.sess_require(ctx, sid)
    local s = R.sess_load(ctx, sid)
    if not s then fail('NOTFOUND', 'session ' .. sid) end
    return s
end

-- The agents this session must never be offered to again (P:s:<sid>:x): only sessions
-- that have been offered before can have any. Read once per call.
function R.declined(ctx, s)
    if s.offers == 0 then return {} end
    if not s.x then s.x = U.set_of(rcall('SMEMBERS', R.skey(ctx, s.id) .. ':x')) end
    return s.x
end

---------------------------------------------------------------------------
-- Session → agent
---------------------------------------------------------------------------

-- Where a queued session goes, decided without writing anything: {offer = agent},
-- {park = agent} or {} (wait). pref: the agent to try first (last agent, reopen agent);
-- park: whether the session may wait for pref when pref is full (affinity_wait). Decided
-- by the engine (engine/route.c, OMNIQ.LIB.DECIDE): the customer's agent if it can take
-- it, else the best agent with room, exactly; the session's decliners are never chosen.
function R.decide(ctx, s, pref, park)
    -- a message of a closed queue waits for the opening (calls to one are refused)
    if s.class ~= 'voice' then
        local opens = BH.hold_until(ctx, s.queue, ctx.now)
        if opens then return {hold = opens} end
    end
    local x = R.declined(ctx, s)
    local args = {}
    for aid in pairs_(x) do args[#args + 1] = aid end
    local r = E.run('omniq.lib.decide', ctx.P, s.class, s.skills_s, pref or '',
        park and '1' or '0', unpk(args))
    if r[1] == 'offer' then
        local a = A.load(ctx, r[2])
        if a then return {offer = a} end
    elseif r[1] == 'park' then
        local a = A.load(ctx, r[2])
        if a then return {park = a} end
    end
    return {}
end


-- The offer's own writes, once the session hash says offered: its deadline, the agent's
-- load, the counters and the event.
function R.offer_apply(ctx, s, a, direct)
    -- the sentinel rides along (+inf: never due), see A.FAIR_SENTINEL
    rcall('ZADD', ctx.P .. ':offers', istr(s.offer_exp), s.id, '+inf', A.FAIR_SENTINEL)
    A.take(ctx, a, s.id, s.class)
    X.count(ctx, 'offered')
    -- an offer that did not come out of a queue (a transfer to a named agent) is no sample
    if not direct then X.wait_sample(ctx, mmax(0, ctx.now - W.wait_from(s)), s.queue) end
    X.emit(ctx, 'offer', s.id, 'offered', a.id, s.channel, s.ext)
end

-- Mark s offered to a in memory (the fields an offer writes).
function R.offer_mark(ctx, s, a)
    s.state, s.agent, s.offers = 'offered', a.id, s.offers + 1
    s.offer_exp = ctx.now + ctx.cfg.offer_timeout * 1000
end

-- queued → offered (or active → offered: a transfer to a named agent, `direct`) for a
-- session whose hash exists. The caller saves the agent afterwards.
function R.offer(ctx, s, a, direct)
    W.remove(ctx, s)
    R.offer_mark(ctx, s, a)
    rcall('HSET', R.skey(ctx, s.id), 'state', 'offered', 'agent', a.id,
        'offer_exp', istr(s.offer_exp), 'offers', U.dec(s.offers), 'updated', ctx.ns)
    R.offer_apply(ctx, s, a, direct)
end

-- Carry out a decision of R.decide for a queued session whose hash exists (re-queue
-- after a decline, lapse or transfer; end of an affinity wait; a reopen). s.where says
-- where it waits now (nil = nowhere yet). Returns the agent offered to, or nil.
function R.apply(ctx, s, d)
    if d.offer then
        R.offer(ctx, s, d.offer)
        A.save(ctx, d.offer)
        return d.offer.id
    elseif d.park or d.hold then
        local to = d.park and d.park.id or W.OPENING
        W.remove(ctx, s)
        W.park(ctx, s, to, d.hold)
        rcall('HSET', R.skey(ctx, s.id), 'affinity', to)
        X.emit(ctx, 'park', s.id, 'queued', to, s.channel, s.ext)
        return nil
    end
    if s.where ~= 'w' then
        W.remove(ctx, s)
        W.insert(ctx, s)
    end
    return nil
end

---------------------------------------------------------------------------
-- Agent → session
---------------------------------------------------------------------------

-- Offer the agent waiting sessions for the room that was just opened: `limit` is what the
-- event freed (one slot for a close, decline or lapse; everything when the agent comes
-- available or gets more capacity: nil). The agent is saved first (its presence, skills or
-- capacity may have changed here), then the engine pulls (engine/pull.c, OMNIQ.LIB.PULL:
-- sessions parked for it, then the best waiting one it may take, bounded by `lookahead`).
-- deep: the sweep's rescue, which looks 16 times further. Returns the sids offered; the
-- agent in memory is stale afterwards (reload it to use it again).
function R.pull(ctx, a, limit, deep)
    A.save(ctx, a)
    return E.run('omniq.lib.pull', ctx.P, a.id, limit and U.dec(limit) or '', deep and '1' or '0')
end
