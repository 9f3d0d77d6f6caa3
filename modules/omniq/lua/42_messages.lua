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
-- is answered with its first entry and nothing written.

local M = {}

local fail = U.fail
-- note: an agent's internal note, in the transcript for agents only (never shown to the
-- customer nor delivered by a channel)
local DIRS = {['in'] = true, out = true, sys = true, note = true}
local EVENT_BODY_MAX = 512
local APPEND_MANY_MAX = 64   -- what oq_core.c sends a call (OQ_APPEND_PER_CALL)

-- Write a transcript entry (arguments validated) and its event. Returns the entry's id.
function M.tx_add(ctx, sid, dir, from, typ, body, channel, ext)
    local id = rcall('XADD', ctx.P .. ':s:' .. sid .. ':tx', '*', 'dir', dir,
        'from', from, 'type', typ, 'body', body)
    local extra = {'id', id}
    if #body <= EVENT_BODY_MAX then
        extra[3], extra[4], extra[5], extra[6] = 'from', from, 'body', body
    end
    X.emit(ctx, 'message', sid, dir, '', channel, ext, extra)
    return id
end

-- Transcript entry; returns the stream id, the session's channel and ext.
function M.append(ctx, sid, dir, from, typ, body)
    sid = V.sid(sid)
    if not DIRS[dir] then fail('ARG', 'dir must be in, out, sys or note') end
    from = V.str('from', from, L.TEXT_MAX, true)
    typ = V.str('type', typ, L.TYPE_MAX, false)
    body = V.body('body', body)
    local v = rcall('HMGET', ctx.P .. ':s:' .. sid, 'state', 'channel', 'ext')
    if not v[1] then fail('NOTFOUND', 'session ' .. sid) end
    if U.TERMINAL[v[1]] then fail('STATE', 'session ' .. sid .. ' is ' .. v[1]) end
    local id = M.tx_add(ctx, sid, dir, from, typ, body, v[2] or '', v[3] or '')
    return id, v[2] or '', v[3] or ''
end

function M.fn_append(keys, args)
    V.args(args, 5, 'sid dir from type body')
    return (M.append(X.begin_ro(keys), args[1], args[2], args[3], args[4], args[5]))
end

-- oq_append_once sid dir from type body cid: {id, "0"} appended, or {first id, "1"} when
-- the cid was appended to this session before (nothing written, no event).
function M.append_once(ctx, sid, dir, from, typ, body, cid)
    cid = V.str('cid', cid, L.CID_MAX, false)
    local ckey = ctx.P .. ':s:' .. V.sid(sid) .. ':cids'
    local seen = rcall('HGET', ckey, cid)
    if seen then return {seen, '1'} end
    local id = M.append(ctx, sid, dir, from, typ, body)
    rcall('HSET', ckey, cid, id)
    return {id, '0'}
end

function M.fn_append_once(keys, args)
    V.args(args, 6, 'sid dir from type body cid')
    return M.append_once(X.begin_ro(keys), args[1], args[2], args[3], args[4], args[5], args[6])
end

-- oq_append_many sid dir from type body cid [...]: up to APPEND_MANY_MAX messages in one
-- call, each answered on its own ({id, "0"|"1"} or the error it would have given: a closed
-- session refuses its message, not its neighbours'). Each call has a fixed cost in Redis
-- that the messages of one call share. A failure that is not ours (a Redis command
-- refused) is that message's error too: the messages before it are written, and an error
-- for the whole call would have their senders send them again.
local function append_one(ctx, sid, dir, from, typ, body, cid)
    if cid == '' then return {(M.append(ctx, sid, dir, from, typ, body)), '0'} end
    return M.append_once(ctx, sid, dir, from, typ, body, cid)
end

function M.fn_append_many(keys, args)
    local ctx = X.begin_ro(keys)
    if #args == 0 or #args % 6 ~= 0 or #args > 6 * APPEND_MANY_MAX then
        fail('ARG', 'expected 1..' .. APPEND_MANY_MAX .. ' times: sid dir from type body cid')
    end
    local out = {}
    for i = 1, #args, 6 do
        local ok, res = pcall_(append_one, ctx, args[i], args[i + 1], args[i + 2], args[i + 3],
            args[i + 4], args[i + 5])
        if ok then
            out[#out + 1] = res
        else
            local msg = U.error_text(res)
            if ssub(msg, 1, 3) ~= 'OQ_' then
                redis.log(redis.LOG_WARNING, 'oq_append_many: message to session '
                    .. tostr(args[i]) .. ' failed: ' .. msg)
            end
            out[#out + 1] = redis.error_reply(msg)
        end
    end
    return out
end

-- oq_ingest channel class identity skills priority queue ext from type body cid: a
-- customer's message on a messaging channel, in one call: to the customer's live session
-- on that channel (its most recent one, if it has not ended), else to a session opened (or
-- reopened) and routed as by oq_enqueue. Returns {sid, state, agent, position, customer,
-- entry id, how}: how '0' appended to the live session, '1' a duplicate (nothing written,
-- the first entry's id), '2' appended to the session it opened.
function M.fn_ingest(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 11, 'channel class identity skills priority queue ext from type body cid')
    local channel, class, ident, canon, skills, prio, queue, ext = S.open_args(args, 1)
    if class == 'voice' then fail('ARG', 'channel ' .. channel .. ' carries calls, not messages') end
    local from = V.str('from', args[8], L.TEXT_MAX, true)
    local typ = V.str('type', args[9], L.TYPE_MAX, false)
    local body = V.body('body', args[10])
    local mcid = V.str('cid', args[11], L.CID_MAX, true)
    if from == '' then from = ident end

    local s, cid, how, sid, state
    local known = rcall('HGET', ctx.P .. ':ident', canon)
    if known then
        cid = C.resolve(ctx, known)
        if cid then sid, state = S.latest_on(ctx, cid, channel) end
    end
    -- A retried delivery is known to the session that took it, even if that one has
    -- ended since: it must not open (or reopen) a session.
    if sid and mcid ~= '' then
        local seen = rcall('HGET', ctx.P .. ':s:' .. sid .. ':cids', mcid)
        if seen then
            local r = S.reply(ctx, R.sess_require(ctx, sid), cid)
            r[6], r[7] = seen, '1'
            return r
        end
    end
    if sid and not U.TERMINAL[state] then
        s, how = R.sess_require(ctx, sid), '0'
    else
        s, cid = S.enqueue(ctx, channel, class, ident, canon, skills, prio, queue, ext)
        how = '2'
    end
    local id = M.tx_add(ctx, s.id, 'in', from, typ, body, channel, s.ext or '')
    if mcid ~= '' then rcall('HSET', ctx.P .. ':s:' .. s.id .. ':cids', mcid, id) end
    local r = S.reply(ctx, s, cid)
    r[6], r[7] = id, how
    return r, ctx
end

-- An agent's reply in one round trip: appended as 'out', and what the channel driver
-- needs to deliver it comes back with the id (no second read).
function M.fn_reply(keys, args)
    V.args(args, 4, 'sid from type body')
    local id, channel, ext = M.append(X.begin_ro(keys), args[1], 'out', args[2], args[3], args[4])
    return {id, channel, ext}
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
    return rcall('XRANGE', R.skey(ctx, sid) .. ':tx', from, '+', 'COUNT', count)
end
