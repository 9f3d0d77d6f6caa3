-- 40_session.lua — the session life cycle (the table `S`).
--
--   queued → offered → active → wrapup → closed
--   queued → abandoned | expired        offered → queued (decline, lapse) | abandoned
--   active → closed (no wrap-up)        closed → queued (reopen within reopen_window)
--   active → offered | queued (transfer, 47_transfer.lua)
--
-- Each handler validates, reads the session and whatever else it decides on, decides
-- (including where a session goes next: R.decide reads, never writes) and raises
-- OQ_STATE / OQ_AGENT / OQ_NOTFOUND before its first write, so a refused call changes
-- nothing and a call that fails on corrupt data half way through its reading writes
-- nothing either. Every transition sets `updated` and is one event in P:events.
--
-- Capacity is held from the offer until the session is closed (after wrap-up when there
-- is one). Whenever a transition frees an agent's capacity, the same call pulls the best
-- waiting session for that agent (R.pull), so routing never waits for a timer; only
-- expiries are left to oq_sweep. Accept frees nothing (the offer already held the slot),
-- so it does not route: the most frequent call of a busy centre stays cheap.
--
-- A session that ends (closed, abandoned, expired) stays readable for `retention` seconds
-- (P:ret, the sweep removes it then), or, with `archive` on, until the archive has taken it
-- (P:arq, oq_archived) and then for the rest of its retention.

local S = {}

local fail, istr = U.fail, U.istr
local TERMINAL = U.TERMINAL

-- How much room releasing one session of `class` opened: one slot, except under
-- voice_exclusive when the agent's last call ended, which reopens its chat and email
-- capacity as a whole.
function S.freed_room(ctx, a, class)
    if class == 'voice' and a.lv == 0 and ctx.cfg.policy == 'voice_exclusive' then
        return A.room(a)
    end
    return 1
end

function S.set_state(ctx, s, state, extra)
    s.state = state
    local args = {'state', state, 'updated', ctx.ns}
    if extra then for _, v in ipairs_(extra) do args[#args + 1] = v end end
    rcall('HSET', R.skey(ctx, s.id), unpk(args))
end

-- An ended session waits for the sweep to remove it (see the header).
local function retain(ctx, sid)
    if ctx.cfg.archive == 1 then
        rcall('ZADD', ctx.P .. ':arq', ctx.ns, sid)
    else
        rcall('ZADD', ctx.P .. ':ret', istr(ctx.now + ctx.cfg.retention * 1000), sid)
    end
end

-- A session leaves the live set (closed, abandoned, expired).
function S.terminate(ctx, s, state, typ, agent, extra)
    S.set_state(ctx, s, state, extra)
    if s.node and s.node ~= '' then rcall('SREM', ctx.P .. ':node:' .. s.node, s.id) end
    X.count(ctx, state)
    retain(ctx, s.id)
    X.emit(ctx, typ, s.id, state, agent, s.channel, s.ext)
    S.sla_ended(ctx, s.id)
end

-- An offer lapsed or was declined: give the slot back and remember the agent as one this
-- session must never be offered to again. The agent is saved by the caller (R.pull).
function S.unoffer(ctx, s, a, aid)
    rcall('ZREM', ctx.P .. ':offers', s.id)
    rcall('SADD', R.skey(ctx, s.id) .. ':x', aid)
    if a then A.release(ctx, a, s.id, s.class) end
end

-- Where a session that goes back to the queue (decline, lapse, transfer to a queue) goes
-- next, decided before anything is written: never to `aid` (it joins the decliners), to
-- the customer's last agent first when it may take it, never parked.
function S.requeue_decide(ctx, s, aid)
    R.declined(ctx, s)[aid] = true
    s.offers = mmax(s.offers, 1)      -- it has decliners from now on
    s.state, s.agent, s.where = 'queued', '', nil
    return R.decide(ctx, s, C.pref_agent(ctx, s.customer), false)
end

-- Back to the queue (from offered or active), the decision made: the state, the event,
-- then the decision carried out. `extra`: more fields to write with the state.
function S.requeue_apply(ctx, s, d, typ, aid, extra)
    local fields = {'agent', '', 'offer_exp', ''}
    for _, v in ipairs_(extra or {}) do fields[#fields + 1] = v end
    S.set_state(ctx, s, 'queued', fields)
    X.emit(ctx, typ, s.id, 'queued', aid, s.channel, s.ext)
    R.apply(ctx, s, d)
end

-- Terminal exit from queued/offered (close or abandon before it was taken).
function S.abandon(ctx, s, extra)
    if s.state == 'queued' then
        s.where = W.where(ctx, s)
        W.remove(ctx, s)
        S.terminate(ctx, s, 'abandoned', 'abandon', '', extra)
    else
        local a = A.load(ctx, s.agent)
        rcall('ZREM', ctx.P .. ':offers', s.id)
        S.terminate(ctx, s, 'abandoned', 'abandon', s.agent, extra)
        if a then
            A.release(ctx, a, s.id, s.class)
            R.pull(ctx, a, S.freed_room(ctx, a, s.class))
        end
    end
end

-- wrapup/active → closed: the agent's work is over; its slot pulls the next.
function S.finish(ctx, s, extra)
    local a = A.load(ctx, s.agent)
    if s.state == 'wrapup' then rcall('ZREM', ctx.P .. ':wu', s.id) end
    S.terminate(ctx, s, 'closed', 'close', s.agent, extra)
    if a then
        A.release(ctx, a, s.id, s.class)
        R.pull(ctx, a, S.freed_room(ctx, a, s.class))
    end
end

-- The customer's most recent session on this channel among its last `lookahead` history
-- entries: sid, state, updated (nil when none).
function S.latest_on(ctx, cid, channel)
    local hist = C.hist_recent(C.hist_get(ctx, cid), ctx.cfg.lookahead)
    for _, sid in ipairs_(hist) do
        local v = rcall('HMGET', R.skey(ctx, sid), 'channel', 'state', 'updated')
        if v[1] == channel then return sid, v[2], U.num(v[3], 0, 'updated') end
    end
    return nil
end

function S.reply(ctx, s, cid)
    if s.position then return {s.id, s.state, s.agent or '', s.position, cid} end
    local pos = 0
    if s.state == 'queued' then
        pos = (rcall('ZRANK', ctx.P .. ':q:' .. s.queue, s.id) or -1) + 1
    end
    return {s.id, s.state, s.agent or '', U.dec(pos), cid}
end

---------------------------------------------------------------------------
-- Handlers
---------------------------------------------------------------------------

-- Reopen the customer's session `rsid` (closed within reopen_window): back to queued,
-- offered to its previous agent first.
local function reopen(ctx, rsid, cid, ext, node)
    local s = R.sess_require(ctx, rsid)
    local prev = s.agent
    s.enq = ctx.now
    s.score = (1000 - s.priority) * U.TWO42 + s.enq
    s.state, s.agent, s.where = 'queued', '', nil
    if ext ~= '' then s.ext = ext end
    local d = R.decide(ctx, s, prev ~= '' and prev or C.pref_agent(ctx, cid), true)
    rcall('ZREM', ctx.P .. ':ret', rsid)
    rcall('ZREM', ctx.P .. ':arq', rsid)
    s.node = node or ''
    if s.node ~= '' then rcall('SADD', ctx.P .. ':node:' .. s.node, s.id) end
    S.set_state(ctx, s, 'queued', {'agent', '', 'enq', ctx.ns, 'offer_exp', '', 'ext', s.ext,
        'node', s.node, 'promised', istr(X.wait_avg(ctx, s.queue)),
        'answered', ''})
    X.count(ctx, 'enqueued')
    X.emit(ctx, 'reopen', s.id, 'queued', prev, s.channel, s.ext)
    S.sla_reopen(ctx, s.id)
    R.apply(ctx, s, d)
    return s
end

-- Open (or reopen) a session for a customer contact, arguments validated, and route it.
-- Returns the session and the customer id. What may be reopened (closed within
-- reopen_window): the customer's latest session on the channel, or with `thread` the
-- session the contact answers (a mail's thread, oq_ingest), or none when thread is false.
function S.enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext, node, thread)
    local cust = C.for_contact(ctx, canon)
    if cust and ctx.cfg.reopen_window > 0 and thread ~= false then
        local sid, state, updated
        if thread then
            local v = rcall('HMGET', R.skey(ctx, thread), 'state', 'updated')
            sid, state, updated = thread, v[1], U.num(v[2] or '0', 0, 'updated')
        else
            sid, state, updated = S.latest_on(ctx, cust.cid, channel)
        end
        if sid and state == 'closed' and ctx.now - updated <= ctx.cfg.reopen_window * 1000 then
            C.note_ident(ctx, cust, ident)
            return reopen(ctx, sid, cust.cid, ext, node), cust.cid
        end
    end

    local skills_s = tconcat(skills, ',')
    local s = {state = 'queued', class = class, skills = skills, skills_s = skills_s,
               queue = queue, priority = prio, enq = ctx.now, offers = 0, affinity = '',
               agent = '', channel = channel, created = ctx.now, ext = ext, transfer_at = 0,
               idx = W.idx(skills), score = (1000 - prio) * U.TWO42 + ctx.now, node = node or ''}
    -- where it goes and every write: the engine's (engine/session.c, OMNIQ.LIB.ENQUEUE)
    local r = E.run('omniq.lib.enqueue', ctx.P, channel, class, ident, canon, skills_s,
        U.dec(prio), queue, ext, s.node, cust and cust.cid or '', cust and cust.pref or '')
    s.id, s.state, s.agent, s.position, s.customer = r[1], r[2], r[3], r[4], r[5]
    return s, r[5]
end

-- The arguments a contact opens a session with: args[first..first+6] = channel class
-- identity skills priority queue ext, validated.
function S.open_args(args, first)
    local channel = V.channel(args[first])
    return channel, V.class(args[first + 1], channel), args[first + 2],
        V.identity(args[first + 2]), V.session_skills(args[first + 3]),
        V.int('priority', args[first + 4], 0, L.PRIORITY_MAX), V.queue(args[first + 5]),
        V.str('ext', args[first + 6], L.TEXT_MAX, true)
end

-- The 8th argument, optional: the node that holds the contact (a phone call's kamailio),
-- whose sessions end when its lease runs out (oq_node_lease, SW.nodes_lost). A call to a
-- queue outside its business hours is refused (OQ_CLOSED): a caller cannot wait overnight;
-- a message waits, and is told once (80_sla.lua).
function S.fn_enqueue(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 8 then V.args(args, 7, 'channel class identity skills priority queue ext [node]') end
    local node = args[8] and args[8] ~= '' and V.id('node', args[8]) or ''
    local channel, class, ident, canon, skills, prio, queue, ext = S.open_args(args, 1)
    if class == 'voice' then BH.refuse_closed(ctx, queue, ident, canon) end
    local s, cid = S.enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext, node)
    return S.reply(ctx, s, cid), ctx
end

-- oq_open_live: as oq_enqueue, but a customer with a live session on this channel (queued,
-- offered or active) gets that one back, with '1' as a 6th element ('0': opened). One
-- conversation per customer and messaging channel however many devices or tabs write at
-- once: two sockets of one app user, or two tabs of one visitor, that both had no session
-- opened two. A session in wrap-up is over for the customer: the next contact opens anew.
local LIVE = {queued = true, offered = true, active = true}

-- Two more arguments, optional: claimed_name and claimed_contact of a new session (what the
-- visitor typed about themselves: labels, never identities; see SESSION_SET).
function S.fn_open_live(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 9 then
        V.args(args, 7, 'channel class identity skills priority queue ext [claimed_name claimed_contact]')
    end
    local channel, class, ident, canon, skills, prio, queue, ext = S.open_args(args, 1)
    local cn = V.str('claimed_name', args[8] or '', L.TEXT_MAX, true)
    local cc = V.str('claimed_contact', args[9] or '', L.TEXT_MAX, true)
    local cust = C.for_contact(ctx, canon)
    if cust then
        local sid, state = S.latest_on(ctx, cust.cid, channel)
        if sid and LIVE[state] then
            local r = S.reply(ctx, R.sess_require(ctx, sid), cust.cid)
            r[6] = '1'
            return r
        end
    end
    local s, cid = S.enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext, '')
    -- written before the script ends: whoever reads the session on its offer event sees them
    if cn ~= '' then rcall('HSET', R.skey(ctx, s.id), 'claimed_name', cn) end
    if cc ~= '' then rcall('HSET', R.skey(ctx, s.id), 'claimed_contact', cc) end
    local r = S.reply(ctx, s, cid)
    r[6] = '0'
    return r, ctx
end

-- Arguments of accept, decline (and miss, with one more): (sid, aid, ...) of a session
-- offered to aid.
function S.offered_to(keys, args, nargs, usage)
    local ctx = X.begin(keys)
    V.args(args, nargs or 2, usage or 'sid aid')
    local sid, aid = V.sid(args[1]), V.id('agent id', args[2])
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'offered' then fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not offered') end
    if s.agent ~= aid then fail('AGENT', 'session ' .. sid .. ' is not offered to ' .. aid) end
    return ctx, s, sid, aid
end

-- The most frequent call of a busy centre, written for its cost: the five fields it needs,
-- no session table, every write direct.
function S.fn_decline(keys, args)
    local ctx, s, sid, aid = S.offered_to(keys, args)
    local a = A.load(ctx, aid)
    if not a then fail('AGENT', 'agent ' .. aid .. ' does not exist') end
    local d = S.requeue_decide(ctx, s, aid)
    S.unoffer(ctx, s, a, aid)
    X.count(ctx, 'declined')
    S.requeue_apply(ctx, s, d, 'decline', aid)
    R.pull(ctx, a, S.freed_room(ctx, a, s.class))
    return {sid, s.state, s.agent or ''}, ctx
end

-- The close of a queued or offered session (an abandon): what OMNIQ.CLOSE hands back
-- ("library", nothing written); an agent's session is the engine's to close.
local function close_in_library(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'sid disposition')
    local sid = V.sid(args[1])
    local disp = V.disposition(args[2])
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'queued' and s.state ~= 'offered' then
        fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. '; the engine closes it')
    end
    S.abandon(ctx, s, disp ~= '' and {'disposition', disp} or nil)
    return {sid, s.state}, ctx
end

-- The close of a session an agent holds runs in the engine (engine/session.c,
-- OMNIQ.CLOSE, the pull that follows too); a queued or offered session (an abandon) is
-- closed here (90_register.lua).
S.fn_close_queued = close_in_library

function S.fn_abandon(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'sid')
    local sid = V.sid(args[1])
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'queued' and s.state ~= 'offered' then
        fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. '; only queued or offered sessions are abandoned')
    end
    -- a customer who asked to be called back leaves and keeps the place (79_followup.lua)
    local cb = rcall('HGET', R.skey(ctx, sid), 'callback_to')
    if s.state == 'queued' and cb and cb ~= '' then return 'CALLBACK' end
    S.abandon(ctx, s, nil)
    return 'OK', ctx
end

function S.fn_wrapup_done(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'sid')
    local sid = V.sid(args[1])
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'wrapup' then fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not wrapup') end
    S.finish(ctx, s, nil)
    return 'OK', ctx
end

-- Fields a desk or survey may set on a session at any time. csat also becomes the
-- customer's last_csat; follow_up (a date, "" clears it) is also kept in P:followups,
-- scored by that date, so that the return visits due on some days are one range read away
-- (oq_followups), and keeps an ended session in Redis until that day (50_sweep.lua); it is
-- also a follow-up that comes on that day like any other (79_followup.lua S.follow_up_date:
-- moved with the date, cancelled with it).
-- claimed_name, claimed_contact: what a visitor typed about themselves (the widget's name and
-- contact): a label on this session for the agent, marked unverified, and never an identity -
-- nothing links it to a customer, so a typed phone number opens nobody's history.
local SESSION_SET = {tags = L.TAGS_MAX, csat = 0, nps = 0, disposition = 0, follow_up = 0,
    claimed_name = L.TEXT_MAX, claimed_contact = L.TEXT_MAX}

function S.fn_session_set(keys, args)
    local ctx = X.begin(keys)
    if #args < 3 or #args % 2 ~= 1 then
        fail('ARG', 'wrong number of arguments, expected: sid field value [field value...]')
    end
    local sid = V.sid(args[1])
    local upd, csat, follow, follow_v = {}, nil, nil, nil
    for i = 2, #args, 2 do
        local f, v = args[i], args[i + 1]
        local lim = SESSION_SET[f]
        if not lim then
            fail('ARG', 'field must be one of tags, csat, nps, disposition, follow_up, claimed_name, claimed_contact')
        end
        if f == 'csat' then
            V.int('csat', v, 1, 5); csat = v
        elseif f == 'nps' then
            V.int('nps', v, 0, 10)
        elseif f == 'follow_up' then
            -- false: clear it; the last one given wins, as it does in the hash
            if v == '' then follow = false else follow = V.date('follow_up', v) end
            follow_v = v
        elseif f == 'disposition' then
            V.disposition(v)
        else
            V.str(f, v, lim, true)
        end
        upd[#upd + 1] = f; upd[#upd + 1] = v
    end
    local s = R.sess_require(ctx, sid)
    local live = csat and C.resolve(ctx, s.customer)
    rcall('HSET', R.skey(ctx, sid), unpk(upd))
    if live then rcall('HSET', C.key(ctx, live), 'last_csat', csat) end
    if follow then
        rcall('ZADD', ctx.P .. ':followups', istr(follow), sid)
    elseif follow == false then
        rcall('ZREM', ctx.P .. ':followups', sid)
    end
    if follow ~= nil then S.follow_up_date(ctx, s, follow, follow_v) end
    return 'OK', ctx
end
