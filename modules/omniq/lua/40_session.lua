-- 40_session.lua — the session life cycle.
--
--   queued → offered → active → wrapup → closed
--   queued → abandoned | expired        offered → queued (decline, lapse) | abandoned
--   active → closed (no wrap-up)        closed → queued (reopen within reopen_window)
--   active → offered | queued (transfer, 47_transfer.lua)
--
-- Each handler reads the session, decides whether the transition is legal
-- and raises OQ_STATE / OQ_AGENT / OQ_NOTFOUND before its first write, so a
-- refused call changes nothing. Every transition sets `updated`, appends to
-- P:s:<sid>:ev and to P:events.
--
-- Capacity is held from the offer until the session is closed (after wrap-up
-- when there is one). Whenever a transition frees an agent's capacity, the
-- same call pulls the best waiting session for that agent (pull()), so
-- routing never waits for a timer; only expiries are left to oq_sweep.
--
-- Accept frees nothing (the offer already held the slot), so it does not
-- route; this keeps the most frequent call of a busy centre cheap.

-- How much room releasing one session of `class` opened: one slot, except
-- under voice_exclusive when the agent's last call ended, which reopens its
-- chat and email capacity as a whole.
local function freed_room(ctx, a, class)
    if class == 'voice' and a.load.voice == 0 and ctx.cfg.policy == 'voice_exclusive' then
        return agent_room(a)
    end
    return 1
end

local function sess_require(ctx, sid)
    local s = sess_load(ctx, sid)
    if not s then fail('NOTFOUND', 'session ' .. sid) end
    return s
end

local function set_state(ctx, s, state, extra)
    s.state = state
    local args = {'state', state, 'updated', istr(ctx.now)}
    if extra then for _, v in ipairs(extra) do args[#args + 1] = v end end
    redis.call('HSET', skey(ctx, s.id), unpack(args))
end

-- A session leaves the live set (closed, abandoned, expired).
local function terminate(ctx, s, state, typ, agent, extra)
    set_state(ctx, s, state, extra)
    redis.call('ZREM', ctx.P .. ':sessions', s.id)
    stat_incr(ctx, state)
    emit(ctx, typ, s.id, state, agent, nil, s)
end

-- Offer lapsed or declined: give the slot back, remember the agent as one
-- this session must never be offered to again, and route the session anew
-- (keeping its enq, hence its place). Returns the agent object (saved).
local function unoffer(ctx, s, a)
    redis.call('ZREM', ctx.P .. ':offers', s.id)
    redis.call('SADD', skey(ctx, s.id) .. ':x', a.id)
    agent_release(ctx, a, s.id, s.class)
end

-- Back to the queue from offered (decline, lapse) or active (a transfer to
-- a queue, whose `extra` fields are written with the state).
local function requeue(ctx, s, typ, aid, extra)
    local fields = {'agent', '', 'offer_exp', ''}
    for _, v in ipairs(extra or {}) do fields[#fields + 1] = v end
    set_state(ctx, s, 'queued', fields)
    s.agent = ''
    emit(ctx, typ, s.id, 'queued', aid, nil, s)
    s.where = nil
    route_session(ctx, s, cust_pref_agent(ctx, s.customer), false)
end

-- Terminal exit from queued/offered (close or abandon before it was taken).
local function abandon_session(ctx, s, reason)
    if s.state == 'queued' then
        s.where = sess_where(ctx, s)
        wait_remove(ctx, s)
        terminate(ctx, s, 'abandoned', 'abandon', '', reason)
    else
        local a = agent_load(ctx, s.agent)
        redis.call('ZREM', ctx.P .. ':offers', s.id)
        terminate(ctx, s, 'abandoned', 'abandon', s.agent, reason)
        if a then
            agent_release(ctx, a, s.id, s.class)
            pull(ctx, a, freed_room(ctx, a, s.class))
        end
    end
end

-- wrapup/active → closed: the agent's work is over; its slot pulls the next.
local function finish(ctx, s, extra)
    local a = agent_load(ctx, s.agent)
    if s.state == 'wrapup' then redis.call('ZREM', ctx.P .. ':wu', s.id) end
    terminate(ctx, s, 'closed', 'close', s.agent, extra)
    if a then
        agent_release(ctx, a, s.id, s.class)
        pull(ctx, a, freed_room(ctx, a, s.class))
    end
end

-- The customer's most recent session on this channel among its last
-- `lookahead` history entries: sid, state, updated (nil when none).
local function latest_on(ctx, cid, channel)
    local hist = redis.call('ZREVRANGE', ctx.P .. ':c:' .. cid .. ':hist', 0, ctx.cfg.lookahead - 1)
    for _, sid in ipairs(hist) do
        local v = redis.call('HMGET', skey(ctx, sid), 'channel', 'state', 'updated')
        if v[1] == channel then return sid, v[2], num(v[3], 0) end
    end
    return nil
end

-- That session, if it is closed and was closed within the reopen window.
local function find_reopen(ctx, cid, channel)
    local sid, state, updated = latest_on(ctx, cid, channel)
    if sid and state == 'closed' and ctx.now - updated <= ctx.cfg.reopen_window * 1000 then
        return sid
    end
    return nil
end

local function enqueue_reply(ctx, s, cid)
    local pos = 0
    if s.state == 'queued' then
        pos = (redis.call('ZRANK', ctx.P .. ':q:' .. s.queue, s.id) or -1) + 1
    end
    return {s.id, s.state, s.agent or '', tostring(pos), cid}
end

---------------------------------------------------------------------------
-- Handlers
---------------------------------------------------------------------------

-- Open (or reopen) a session for a customer contact, arguments validated,
-- and route it. Returns the session and the customer id.
local function enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext)
    local P = ctx.P
    local cid = redis.call('HGET', P .. ':ident', canon)
    local pref = nil   -- a new customer has no last agent
    if cid then
        cid, pref = cust_live_pref(ctx, cid)
        -- Remember the identity as given (sms:+1.. next to phone:+1..): the
        -- channels reply to the address they know.
        redis.call('SADD', P .. ':c:' .. cid .. ':ids', ident)
    else
        cid = cust_create(ctx, ident, canon)
    end

    if ctx.cfg.reopen_window > 0 then
        local rsid = find_reopen(ctx, cid, channel)
        if rsid then
            local s = sess_load(ctx, rsid)
            local prev = s.agent
            s.enq = ctx.now
            s.score = (1000 - s.priority) * TWO42 + s.enq
            local extra = {'agent', '', 'enq', istr(ctx.now), 'offer_exp', ''}
            if ext ~= '' then extra[#extra + 1] = 'ext'; extra[#extra + 1] = ext; s.ext = ext end
            set_state(ctx, s, 'queued', extra)
            s.agent = ''
            redis.call('ZADD', P .. ':sessions', istr(s.created), s.id)
            stat_incr(ctx, 'enqueued')
            emit(ctx, 'reopen', s.id, 'queued', prev, nil, s)
            route_session(ctx, s, prev ~= '' and prev or cust_pref_agent(ctx, cid), true)
            return s, cid
        end
    end

    local sid = tostring(redis.call('INCR', P .. ':seq:s'))
    local now = istr(ctx.now)
    local skills_s = table.concat(skills, ',')
    redis.call('HSET', skey(ctx, sid), 'id', sid, 'channel', channel, 'class', class,
        'queue', queue, 'customer', cid, 'identity', ident, 'skills', skills_s,
        'priority', tostring(prio), 'state', 'queued', 'agent', '', 'created', now,
        'updated', now, 'enq', now, 'offer_exp', '', 'offers', '0', 'ext', ext, 'affinity', '')
    redis.call('ZADD', P .. ':sessions', now, sid)
    redis.call('ZADD', P .. ':c:' .. cid .. ':hist', now, sid)
    redis.call('SADD', P .. ':queues', queue)
    stat_incr(ctx, 'enqueued')
    emit(ctx, 'enqueue', sid, 'queued', '', nil, {channel = channel, ext = ext})
    local s = {id = sid, state = 'queued', class = class, skills = skills, skills_s = skills_s,
               queue = queue, priority = prio, enq = ctx.now, offers = 0, affinity = '',
               agent = '', customer = cid, channel = channel, created = ctx.now, ext = ext,
               idx = wait_idx(skills), score = (1000 - prio) * TWO42 + ctx.now}
    route_session(ctx, s, pref, true)
    return s, cid
end

-- The arguments a contact opens a session with: args[first..first+6] =
-- channel class identity skills priority queue ext, validated.
local function open_args(args, first)
    local channel = v_channel(args[first])
    return channel, v_class(args[first + 1], channel), args[first + 2],
        canon_identity(args[first + 2]), v_session_skills(args[first + 3]),
        v_int('priority', args[first + 4], 0, 1000), v_queue(args[first + 5]),
        v_str('ext', args[first + 6], MAX_ID, true)
end

local function fn_enqueue(keys, args)
    local ctx = begin(keys)
    need_args(args, 7, 'channel class identity skills priority queue ext')
    local s, cid = enqueue(ctx, open_args(args, 1))
    return enqueue_reply(ctx, s, cid)
end

-- Arguments of accept, decline (and miss, with one more): (sid, aid, ...) of a session
-- offered to aid.
local function offered_to(keys, args, nargs, usage)
    local ctx = begin(keys)
    need_args(args, nargs or 2, usage or 'sid aid')
    local sid, aid = v_sid(args[1]), v_name('agent id', args[2])
    local s = sess_require(ctx, sid)
    if s.state ~= 'offered' then fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not offered') end
    if s.agent ~= aid then fail('AGENT', 'session ' .. sid .. ' is not offered to ' .. aid) end
    return ctx, s, sid, aid
end

local function fn_accept(keys, args)
    local ctx, s, sid, aid = offered_to(keys, args)
    redis.call('ZREM', ctx.P .. ':offers', sid)
    set_state(ctx, s, 'active', {'offer_exp', ''})
    local live = cust_resolve(ctx, s.customer)
    if live then
        redis.call('HSET', ctx.P .. ':c:' .. live, 'last_agent', aid, 'last_agent_at', istr(ctx.now))
    end
    -- misses counts *consecutive* lapses: a taken offer proves presence.
    redis.call('HSET', akey(ctx, aid), 'misses', '0')
    stat_incr(ctx, 'accepted')
    emit(ctx, 'accept', sid, 'active', aid, nil, s)
    return 'OK'
end

local function fn_decline(keys, args)
    local ctx, s, sid, aid = offered_to(keys, args)
    local a = agent_load(ctx, aid)
    if not a then fail('AGENT', 'agent ' .. aid .. ' does not exist') end
    unoffer(ctx, s, a)
    agent_save(ctx, a)
    stat_incr(ctx, 'declined')
    requeue(ctx, s, 'decline', aid)
    pull(ctx, a, freed_room(ctx, a, s.class))
    return {sid, s.state, s.agent or ''}
end

local function fn_close(keys, args)
    local ctx = begin(keys)
    need_args(args, 2, 'sid disposition')
    local sid = v_sid(args[1])
    local disp = v_str('disposition', args[2], MAX_ID, true)
    local s = sess_require(ctx, sid)
    local extra = nil
    if disp ~= '' then extra = {'disposition', disp} end
    if s.state == 'active' then
        if ctx.cfg.wrapup_time > 0 then
            set_state(ctx, s, 'wrapup', extra)
            redis.call('ZADD', ctx.P .. ':wu', istr(ctx.now + ctx.cfg.wrapup_time * 1000), sid)
            emit(ctx, 'wrapup', sid, 'wrapup', s.agent, nil, s)
        else
            finish(ctx, s, extra)
        end
    elseif s.state == 'wrapup' then
        finish(ctx, s, extra)
    elseif s.state == 'queued' or s.state == 'offered' then
        abandon_session(ctx, s, extra)
    else
        fail('STATE', 'session ' .. sid .. ' is already ' .. s.state)
    end
    return {sid, s.state}
end

local function fn_abandon(keys, args)
    local ctx = begin(keys)
    need_args(args, 1, 'sid')
    local sid = v_sid(args[1])
    local s = sess_require(ctx, sid)
    if s.state ~= 'queued' and s.state ~= 'offered' then
        fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. '; only queued or offered sessions are abandoned')
    end
    abandon_session(ctx, s, nil)
    return 'OK'
end

local function fn_wrapup_done(keys, args)
    local ctx = begin(keys)
    need_args(args, 1, 'sid')
    local sid = v_sid(args[1])
    local s = sess_require(ctx, sid)
    if s.state ~= 'wrapup' then fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not wrapup') end
    finish(ctx, s, nil)
    return 'OK'
end

local DIRS = {['in'] = true, out = true, sys = true}

-- Write a transcript entry (arguments already validated) and tell every
-- node of it at once (the customer's socket and the agent's desk may be
-- anywhere). 'id' points into the transcript. A short body (most chat
-- lines) rides along with its author, so that a socket server hands it on
-- without a transcript read per message; a longer one is left to the
-- transcript, so that the bounded event stream stays small (at most
-- EVENTS_MAXLEN * EVENT_BODY_MAX bytes of bodies). Returns the entry's id.
local EVENT_BODY_MAX = 512
local function tx_add(ctx, sid, dir, from, typ, body, channel, ext)
    local id = redis.call('XADD', ctx.P .. ':s:' .. sid .. ':tx', '*', 'dir', dir,
        'from', from, 'type', typ, 'body', body)
    local ev = {'type', 'message', 'sid', sid, 'agent', '', 'state', dir, 'channel', channel,
        'ext', ext, 'id', id}
    if #body <= EVENT_BODY_MAX then
        ev[15], ev[16], ev[17], ev[18] = 'from', from, 'body', body
    end
    redis.call('XADD', ctx.P .. ':events', 'MAXLEN', '~', EVENTS_MAXLEN, '*', unpack(ev))
    return id
end

-- Transcript entry; returns the stream id, the session's channel and ext.
local function append(ctx, sid, dir, from, typ, body)
    sid = v_sid(sid)
    if not DIRS[dir] then fail('ARG', 'dir must be in, out or sys') end
    from = v_str('from', from, MAX_ID, true)
    typ = v_str('type', typ, 64, false)
    body = v_body('body', body)
    local v = redis.call('HMGET', ctx.P .. ':s:' .. sid, 'state', 'channel', 'ext')
    if not v[1] then fail('NOTFOUND', 'session ' .. sid) end
    if TERMINAL[v[1]] then fail('STATE', 'session ' .. sid .. ' is ' .. v[1]) end
    local id = tx_add(ctx, sid, dir, from, typ, body, v[2] or '', v[3] or '')
    return id, v[2] or '', v[3] or ''
end

local function fn_append(keys, args)
    need_args(args, 5, 'sid dir from type body')
    return (append(begin_ro(keys), args[1], args[2], args[3], args[4], args[5]))
end

-- oq_append_once sid dir from type body cid: a message a client may send twice (it
-- resends what was not acknowledged before its connection dropped). The first time it is
-- appended and {id, "0"} returned; every later time nothing is written and the first
-- entry's {id, "1"} comes back, so the client gets the same ack. The client ids of a
-- session live next to its transcript in P:s:<sid>:cids (cid -> entry id).
local function append_once(ctx, sid, dir, from, typ, body, cid)
    cid = v_str('cid', cid, 64, false)
    local ckey = ctx.P .. ':s:' .. v_sid(sid) .. ':cids'
    local seen = redis.call('HGET', ckey, cid)
    if seen then return {seen, '1'} end
    local id = append(ctx, sid, dir, from, typ, body)
    redis.call('HSET', ckey, cid, id)
    return {id, '0'}
end

local function fn_append_once(keys, args)
    need_args(args, 6, 'sid dir from type body cid')
    return append_once(begin_ro(keys), args[1], args[2], args[3], args[4], args[5], args[6])
end

-- oq_append_many sid dir from type body cid [sid dir from type body cid ...]: up to
-- APPEND_MANY_MAX messages, appended in order, in one call: what a socket server that reads
-- many customers' messages at once sends. A message with a cid is appended once, as by
-- oq_append_once (also when it comes twice in one call); with an empty cid, as by
-- oq_append. Each call has a fixed cost in Redis (its dispatch, its Lua entry, with AOF
-- its own MULTI/EXEC) that the messages of one call share. Each message is answered on
-- its own: {id, "0"|"1"} as oq_append_once answers, or the error it would have given (a
-- closed session refuses its message, not its neighbours'). A failure that is not ours (a
-- Redis command refused) is that message's error too: the messages before it are written,
-- and an error for the whole call would have their senders send them again.
local APPEND_MANY_MAX = 64   -- what oq_core.c sends a call (OQ_APPEND_PER_CALL)

local function append_one(ctx, sid, dir, from, typ, body, cid)
    if cid == '' then return {(append(ctx, sid, dir, from, typ, body)), '0'} end
    return append_once(ctx, sid, dir, from, typ, body, cid)
end

local function fn_append_many(keys, args)
    local ctx = begin_ro(keys)
    if #args == 0 or #args % 6 ~= 0 or #args > 6 * APPEND_MANY_MAX then
        fail('ARG', 'expected 1..' .. APPEND_MANY_MAX .. ' times: sid dir from type body cid')
    end
    local out = {}
    for i = 1, #args, 6 do
        local ok, res = pcall(append_one, ctx, args[i], args[i + 1], args[i + 2], args[i + 3],
            args[i + 4], args[i + 5])
        if ok then
            out[#out + 1] = res
        else
            local msg = error_text(res)
            if string.sub(msg, 1, 3) ~= 'OQ_' then
                redis.log(redis.LOG_WARNING, 'oq_append_many: message to session '
                    .. tostring(args[i]) .. ' failed: ' .. msg)
            end
            out[#out + 1] = redis.error_reply(msg)
        end
    end
    return out
end

-- oq_ingest channel class identity skills priority queue ext from type body cid: a
-- customer's message on a messaging channel, in one call. It goes to the customer's live
-- session on that channel (the most recent one, if it has not ended); else a session is
-- opened (or reopened) and routed as by oq_enqueue, with skills priority queue ext, and
-- the message is appended to it. from defaults to the identity. cid, when not empty,
-- names the message within its session as in oq_append_once, so that a channel retrying
-- a delivery appends it once. Returns {sid, state, agent, position, customer, entry id,
-- how}: how is '0' appended to the live session, '1' a duplicate (nothing written, the
-- first entry's id), '2' appended to the session it opened.
local function fn_ingest(keys, args)
    local ctx = begin(keys)
    need_args(args, 11, 'channel class identity skills priority queue ext from type body cid')
    local channel, class, ident, canon, skills, prio, queue, ext = open_args(args, 1)
    if class == 'voice' then fail('ARG', 'channel ' .. channel .. ' carries calls, not messages') end
    local from = v_str('from', args[8], MAX_ID, true)
    local typ = v_str('type', args[9], 64, false)
    local body = v_body('body', args[10])
    local mcid = v_str('cid', args[11], 64, true)
    if from == '' then from = ident end

    local s, cid, how, sid, state
    local known = redis.call('HGET', ctx.P .. ':ident', canon)
    if known then
        cid = cust_resolve(ctx, known)
        sid, state = latest_on(ctx, cid, channel)
    end
    -- A retried delivery is known to the session that took it, even if that one has
    -- ended since: it must not open (or reopen) a session.
    if sid and mcid ~= '' then
        local seen = redis.call('HGET', ctx.P .. ':s:' .. sid .. ':cids', mcid)
        if seen then
            local r = enqueue_reply(ctx, sess_load(ctx, sid), cid)
            r[6], r[7] = seen, '1'
            return r
        end
    end
    if sid and not TERMINAL[state] then
        s, how = sess_load(ctx, sid), '0'
    else
        s, cid = enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext)
        how = '2'
    end
    local id = tx_add(ctx, s.id, 'in', from, typ, body, channel, s.ext or '')
    if mcid ~= '' then redis.call('HSET', ctx.P .. ':s:' .. s.id .. ':cids', mcid, id) end
    local r = enqueue_reply(ctx, s, cid)
    r[6], r[7] = id, how
    return r
end

-- An agent's reply in one round trip: appended as 'out', and what the channel
-- driver needs to deliver it comes back with the id (no second read).
local function fn_reply(keys, args)
    need_args(args, 4, 'sid from type body')
    local id, channel, ext = append(begin_ro(keys), args[1], 'out', args[2], args[3], args[4])
    return {id, channel, ext}
end

-- oq_typing sid dir from: someone is writing (dir 'in' the customer, 'out' the
-- agent). Only an event, nothing stored: the customer's socket and the agent's
-- desk may be on any node. Refused on ended sessions like a message.
local function fn_typing(keys, args)
    local ctx = begin_ro(keys)
    need_args(args, 3, 'sid dir from')
    local sid = v_sid(args[1])
    local dir = args[2]
    if dir ~= 'in' and dir ~= 'out' then fail('ARG', 'dir must be in or out') end
    local from = v_str('from', args[3], MAX_ID, true)
    local v = redis.call('HMGET', ctx.P .. ':s:' .. sid, 'state', 'channel', 'ext')
    if not v[1] then fail('NOTFOUND', 'session ' .. sid) end
    if TERMINAL[v[1]] then fail('STATE', 'session ' .. sid .. ' is ' .. v[1]) end
    redis.call('XADD', ctx.P .. ':events', 'MAXLEN', '~', EVENTS_MAXLEN, '*', 'type', 'typing',
        'sid', sid, 'agent', '', 'state', dir, 'channel', v[2] or '', 'ext', v[3] or '',
        'from', from)
    return 'OK'
end

-- Fields a desk or survey may set on a session at any time. csat also
-- becomes the customer's last_csat; follow_up (a date, "" clears it) is also
-- kept in P:followups, scored by that date, so that the return visits due on
-- some days are one range read away (oq_followups).
local SESSION_SET = {tags = 1024, csat = 0, nps = 0, disposition = MAX_ID, follow_up = 0}

local function fn_session_set(keys, args)
    local ctx = begin(keys)
    if #args < 3 or #args % 2 ~= 1 then
        fail('ARG', 'wrong number of arguments, expected: sid field value [field value...]')
    end
    local sid = v_sid(args[1])
    local upd, csat, follow = {}, nil, nil
    for i = 2, #args, 2 do
        local f, v = args[i], args[i + 1]
        local lim = SESSION_SET[f]
        if not lim then fail('ARG', 'field must be one of tags, csat, nps, disposition, follow_up') end
        if f == 'csat' then
            v_int('csat', v, 1, 5); csat = v
        elseif f == 'nps' then
            v_int('nps', v, 0, 10)
        elseif f == 'follow_up' then
            -- false: clear it; the last one given wins, as it does in the hash
            if v == '' then follow = false else follow = v_date('follow_up', v) end
        else
            v_str(f, v, lim, true)
        end
        upd[#upd + 1] = f; upd[#upd + 1] = v
    end
    local s = sess_require(ctx, sid)
    redis.call('HSET', skey(ctx, sid), unpack(upd))
    if csat then
        local live = cust_resolve(ctx, s.customer)
        if live then redis.call('HSET', ctx.P .. ':c:' .. live, 'last_csat', csat) end
    end
    if follow then
        redis.call('ZADD', ctx.P .. ':followups', istr(follow), sid)
    elseif follow == false then
        redis.call('ZREM', ctx.P .. ':followups', sid)
    end
    return 'OK'
end
