-- 42_messages.lua — transcripts: messages in both directions, typing, ingest (the table
-- `M`).
--
-- A messaging session's transcript is the stream P:s:<sid>:tx (dir in/out/sys, from, type,
-- body), created with its first message. Every message is also an event in P:events at
-- once (the customer's socket and the agent's desk may be on any node), whose `id` points
-- into the transcript; a short body (most chat lines) rides along with its author, so that
-- a socket server hands it on without a transcript read per message, while a longer one
-- is left to the transcript and the event stream stays small.
--
-- Clients that may send a message twice (a resend after a lost ack, a channel retrying a
-- webhook) name it with a cid; P:s:<sid>:cids maps cid → entry id, and a cid seen before
-- is answered with its first entry and nothing written. The appends themselves
-- (oq_append, oq_append_once, oq_append_many, oq_reply) are the engine's (engine/append.c);
-- this file keeps the transcript writes of the library's own steps (ingest, transfer,
-- pick) and must write what the engine writes.

local M = {}

local fail = U.fail

-- Write a transcript entry (arguments validated) and its event. Returns the entry's id.
function M.tx_add(ctx, sid, dir, from, typ, body, channel, ext)
    local id = rcall('XADD', ctx.P .. ':s:' .. sid .. ':tx', '*', 'dir', dir,
        'from', from, 'type', typ, 'body', body)
    local extra = {'id', id}
    if #body <= L.EVENT_BODY_MAX then
        extra[3], extra[4], extra[5], extra[6] = 'from', from, 'body', body
    end
    X.emit(ctx, 'message', sid, dir, '', channel, ext, extra)
    M.sla_message(ctx, sid, dir)
    return id
end

-- oq_append, oq_append_once, oq_append_many and oq_reply run in the engine
-- (engine/append.c, 90_register.lua): the same checks, keys and event as tx_add.

-- oq_ingest channel class identity skills priority queue ext from type body cid [thread]:
-- a customer's message on a messaging channel, in one call: to the customer's live session
-- on that channel (its most recent one, if it has not ended), else to a session opened (or
-- reopened) and routed as by oq_enqueue. A channel that threads its messages (email) says
-- which conversation this one belongs to with `thread`: a session id (the one it answers:
-- appended there while it lives, else that one reopened within reopen_window, else a new
-- one), or 'new' (it answers none: a new session, whatever is live). A thread that is not
-- a session of this channel any more is taken as 'new'. Returns {sid, state, agent,
-- position, customer, entry id, how}: how '0' appended to a live session, '1' a duplicate
-- (nothing written, the first entry's id), '2' appended to the session it opened, '3' the
-- answer to the survey of the customer's latest session, which has ended: recorded there
-- (M.survey_answer, a slot 77_survey.lua fills: it needs the outbound queue, 72).
function M.fn_ingest(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 12 then
        V.args(args, 11, 'channel class identity skills priority queue ext from type body cid [thread]')
    end
    local channel, class, ident, canon, skills, prio, queue, ext = S.open_args(args, 1)
    if class == 'voice' then fail('ARG', 'channel ' .. channel .. ' carries calls, not messages') end
    local from = V.str('from', args[8], L.TEXT_MAX, true)
    local typ = V.str('type', args[9], L.TYPE_MAX, false)
    local body = V.body('body', args[10])
    local mcid = V.str('cid', args[11], L.CID_MAX, true)
    local thread = args[12] or ''
    if thread ~= '' and thread ~= 'new' then thread = V.sid(thread) end
    if from == '' then from = ident end

    local s, cid, how, sid, state, tstate
    local known = rcall('HGET', ctx.P .. ':ident', canon)
    if known then
        cid = C.resolve(ctx, known)
        if cid then sid, state = S.latest_on(ctx, cid, channel) end
    end
    if thread ~= '' and thread ~= 'new' then
        local v = rcall('HMGET', R.skey(ctx, thread), 'channel', 'state')
        if v[1] == channel then tstate = v[2] else thread = 'new' end
    end
    -- A retried delivery is known to the session that took it, even if that one has
    -- ended since: it must not open (or reopen) a session. A survey's answer is kept by the
    -- session it answers, which may be of another channel (a call's survey by SMS).
    local over = not sid or U.TERMINAL[state] or state == 'wrapup'
    local surveyed, customer   -- the survey asked on this channel, looked up once
    if cid and (mcid ~= '' or over) then surveyed, customer = M.survey_waiting(ctx, cid, channel) end
    if mcid ~= '' then
        for _, k in ipairs_({tstate and thread or false, sid or false, surveyed or false}) do
            local seen = k and rcall('HGET', ctx.P .. ':s:' .. k .. ':cids', mcid)
            if seen then
                local ts = R.sess_require(ctx, k)
                local r = S.reply(ctx, ts, ts.customer or cid)
                r[6], r[7] = seen, '1'
                return r
            end
        end
    end
    -- no live session here (or the one its agent wraps up): the answer to the survey asked
    -- on this channel, perhaps of a call (77_survey.lua)
    if thread == '' and surveyed and over and typ == 'text' then
        local ans = M.survey_answer(ctx, surveyed, customer, cid, channel, from, body)
        if ans then
            if mcid ~= '' then rcall('HSET', ctx.P .. ':s:' .. ans[1] .. ':cids', mcid, ans[6]) end
            return ans, ctx
        end
    end
    if tstate and not U.TERMINAL[tstate] then
        s, how = R.sess_require(ctx, thread), '0'
        cid = s.customer or cid
    elseif tstate then
        s, cid = S.enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext, nil, thread)
        how = '2'
    elseif thread == '' and sid and not U.TERMINAL[state] then
        s, how = R.sess_require(ctx, sid), '0'
    else
        local reopen = nil              -- the latest session on the channel may reopen
        if thread == 'new' then reopen = false end
        s, cid = S.enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext, nil, reopen)
        how = '2'
    end
    local id = M.tx_add(ctx, s.id, 'in', from, typ, body, channel, s.ext or '')
    if mcid ~= '' then rcall('HSET', ctx.P .. ':s:' .. s.id .. ':cids', mcid, id) end
    -- a waiting customer's "call me back" (82_callback_words.lua)
    if s.state == 'queued' and typ == 'text' then M.callback_word(ctx, s, body) end
    local r = S.reply(ctx, s, cid)
    r[6], r[7] = id, how
    return r, ctx
end

-- oq_typing sid dir from: someone is writing (dir 'in' the customer, 'out' the agent).
-- Only an event, nothing stored; refused on ended sessions like a message.
function M.fn_typing(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 3, 'sid dir from')
    local sid = V.sid(args[1])
    local dir = args[2]
    if dir ~= 'in' and dir ~= 'out' then fail('ARG', 'dir must be in or out') end
    local from = V.str('from', args[3], L.TEXT_MAX, true)
    local v = rcall('HMGET', ctx.P .. ':s:' .. sid, 'state', 'channel', 'ext')
    if not v[1] then fail('NOTFOUND', 'session ' .. sid) end
    if U.TERMINAL[v[1]] then fail('STATE', 'session ' .. sid .. ' is ' .. v[1]) end
    X.emit(ctx, 'typing', sid, dir, '', v[2] or '', v[3] or '', {'from', from})
    return 'OK'
end

-- Stream ids ("<ms>-<seq>") in their order.
function M.stream_id_lt(a, b)
    local am, as = smatch(a, '^(%d+)%-(%d+)$')
    local bm, bs = smatch(b, '^(%d+)%-(%d+)$')
    if am ~= bm then return U.id_lt(am, bm) end
    return U.id_lt(as, bs)
end

-- A delivery's record (72_outbound.lua), read here for transcripts.
function M.delivery_key(P, did) return P .. ':ob:d:' .. did end

-- The state and reason of the deliveries of a session's transcript entries sent through a
-- channel's senders (P:s:<sid>:dl: entry id → delivery id, P:ob:d:<did>; 72_outbound.lua):
-- {entry id = {state, reason}}. A delivery whose record has expired is left out.
function M.deliveries(P, sid, txs)
    local dl = P .. ':s:' .. sid .. ':dl'
    local out = {}
    if #txs == 0 or rcall('EXISTS', dl) == 0 then return out end
    for i, did in ipairs_(rcall('HMGET', dl, unpk(txs))) do
        if did then
            local v = rcall('HMGET', M.delivery_key(P, did), 'state', 'reason')
            if v[1] then out[txs[i]] = {v[1], v[2] or ''} end
        end
    end
    return out
end

function M.fn_transcript(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 3, 'sid from_id count')
    local sid = V.sid(args[1])
    local from = args[2]
    if from == '' or from == '-' or from == '0' then
        from = '-'
    elseif type_(from) == 'string' and smatch(from, '^%d+%-%d+$') and #from <= 41 then
        from = '(' .. from
    else
        fail('ARG', 'from_id must be a stream id (ms-seq), "-" or ""')
    end
    local count = V.int('count', args[3], 1, 1000)
    if rcall('EXISTS', R.skey(ctx, sid)) == 0 then fail('NOTFOUND', 'session ' .. sid) end
    local tx = rcall('XRANGE', R.skey(ctx, sid) .. ':tx', from, '+', 'COUNT', count)
    -- the agent's messages sent through a channel's senders carry their delivery's state
    -- (72_outbound.lua): `delivery` and, when there is one, `delivery_reason`
    local outs = {}
    for _, e in ipairs_(tx) do
        if e[2][2] == 'out' then outs[#outs + 1] = e[1] end   -- dir is written first
    end
    local st = M.deliveries(ctx.P, sid, outs)
    for _, e in ipairs_(tx) do
        local v = st[e[1]]
        if v then
            local f = e[2]
            f[#f + 1], f[#f + 2] = 'delivery', v[1]
            if v[2] ~= '' then f[#f + 1], f[#f + 2] = 'delivery_reason', v[2] end
        end
    end
    return tx
end
