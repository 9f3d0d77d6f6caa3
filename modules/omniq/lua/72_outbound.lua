-- 72_outbound.lua — outbound delivery, once for every channel whose messages leave through
-- a provider (WeChat, SMS, email, an integrator's webhook): a durable queue per channel,
-- senders that claim work with a lease, retries with backoff, and a state per message that
-- the agent sees (the table `OB`).
--
-- A message to send is a delivery P:ob:d:<did> (did from P:ob:seq): its session and
-- transcript entry (the body stays in the transcript), the customer's address (ext) when it
-- was queued, its state and attempts; a message of no session (oq_ob_add: a staff alert)
-- keeps its text in the delivery, with sid and tx empty. The channel's queue P:ob:q:<channel> is a sorted set
-- of dids scored by when a sender should look at it next: for a queued delivery the time
-- it is due (now, or after its backoff), for one being sent the end of its sender's lease.
-- oq_ob_take hands out what is due and leases it; a sender that dies leaves its lease to
-- run out, and the delivery is taken again: at least once, never lost. The attempt number
-- is the lease's token: a result for an attempt that is no longer the current one (its
-- lease ran out and another sender took it) is refused, not applied twice.
--
-- States: queued → sending → sent → delivered, with failed after the last attempt or a
-- refusal for good; sent and delivered are reached from any earlier state by a provider's
-- report. P:s:<sid>:dl maps each transcript entry sent this way to its delivery, whose
-- state and reason a transcript read shows beside the message (fields `delivery` and
-- `delivery_reason`), and every change that the agent should see is a `delivery` event:
-- sid, state, channel, ext, id (the transcript entry), did, reason.
--
-- One recipient's messages leave in the order they were queued, however many senders
-- (nodes) take from the queue: P:ob:r:<channel>:<ext> holds the dids of a recipient not yet
-- sent (queued or being sent), and oq_ob_take hands out only the first of them; a later one
-- that comes due first waits behind it (re-scored to its predecessor's time), and is due
-- again as soon as that one leaves the queue (sent, or failed). A customer's two replies, a
-- WeCom conversation's "being served" and "ended", arrive as they were written.

local OB = {}

-- the file's own helpers, in one table: the library is one Lua chunk, and Lua 5.1 allows
-- it 200 locals at once (tests/redis/test_library.py)
local H = {FINAL = {delivered = true, failed = true}}

function H.qkey(P, channel) return P .. ':ob:q:' .. channel end
function H.rkey(P, channel, ext) return P .. ':ob:r:' .. channel .. ':' .. ext end

-- did joins its recipient's order (queued now: its number is its place).
function H.order(P, channel, ext, did)
    rcall('ZADD', H.rkey(P, channel, ext), did, did)
end

-- did left the queue: the recipient's next, if it waits behind it, is due now (or when its
-- own retry is).
function H.release(ctx, d, did)
    local rk = H.rkey(ctx.P, d.channel, d.ext)
    rcall('ZREM', rk, did)
    local nxt = rcall('ZRANGE', rk, 0, 0)[1]
    if not nxt then return end
    local q = H.qkey(ctx.P, d.channel)
    local at = tonum(rcall('ZSCORE', q, nxt))
    if not at then return end
    local st = rcall('HMGET', H.dkey(ctx.P, nxt), 'state', 'next_at')
    if st[1] == 'queued' and at > ctx.now then
        rcall('ZADD', q, U.istr(mmax(ctx.now, tonum(st[2]) or 0)), nxt)
        H.wake(ctx.P, d.channel)
    end
end

-- The first of did's recipient that is still in the queue, when it is not did: did waits
-- behind it. Entries whose delivery left the queue some other way go on the way.
function H.before(ctx, q, d, did)
    local rk = H.rkey(ctx.P, d.channel, d.ext)
    for _ = 1, 16 do
        local head = rcall('ZRANGE', rk, 0, 0)[1]
        if not head or head == did or tonum(head) > tonum(did) then return nil end
        if rcall('ZSCORE', q, head) then return head end
        rcall('ZREM', rk, head)
    end
    return nil
end
H.dkey = M.delivery_key

function H.did_arg(v)
    if type_(v) ~= 'string' or not smatch(v, '^[1-9]%d*$') or #v > L.SID_DIGITS_MAX then
        U.fail('ARG', 'delivery id must be a positive decimal number')
    end
    return v
end

function H.event(ctx, d, did, state, reason)
    X.emit(ctx, 'delivery', d.sid, state, '', d.channel, d.ext,
        {'id', d.tx, 'did', did, 'reason', reason or ''})
end

-- A delivery's state changes (its hash, the session's map, the event). Final states leave
-- the queue, and the delivery's record is kept outbound_keep more (a provider's late
-- report, a status query), then Redis drops it.
function H.set_state(ctx, did, d, state, reason, extra)
    local f = {'HSET', H.dkey(ctx.P, did), 'state', state, 'reason', reason or '',
        'updated', ctx.ns}
    for _, v in ipairs_(extra or {}) do f[#f + 1] = v end
    rcall(unpk(f))
    if state == 'sent' or H.FINAL[state] then
        rcall('ZREM', H.qkey(ctx.P, d.channel), did)
        rcall('PEXPIRE', H.dkey(ctx.P, did), U.istr(L.OUTBOUND_KEEP * 1000))
        H.release(ctx, d, did)
    end
    H.event(ctx, d, did, state, reason)
end

H.FIELDS = {'sid', 'tx', 'channel', 'ext', 'state', 'tries', 'provider_id', 'from', 'type',
    'body'}

function H.load(P, did)
    local v = rcall('HMGET', H.dkey(P, did), unpk(H.FIELDS))
    if not v[1] then return nil end
    local d = {}
    for i, k in ipairs_(H.FIELDS) do d[k] = v[i] or '' end
    d.tries = tonum(d.tries) or 0
    return d
end

-- oq_send sid from type body [held]: an agent's reply, appended as oq_reply appends it and,
-- when the session's channel has an outbound sender (oq_ob_register), queued for it in the
-- same step: {entry id, channel, ext, did, identity} (did "" when the channel has none: its
-- driver or socket delivers the reply as before; identity the session's customer identity,
-- whom a driver answers). held '1': from must be the session's agent (OQ_AGENT, nothing
-- written, otherwise): a reply the REST API takes in an agent's name. Whether a channel is queued is known to Redis, not
-- to the node that took the reply, so that a reply taken on any node reaches the node that
-- runs the channel's sender. A queue holding OUTBOUND_MAX messages (its provider unreachable
-- for long) refuses with OQ_CAPACITY before anything is written: the agent is told at once
-- rather than the reply kept and never sent.
function OB.fn_send(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 5 then V.args(args, 4, 'sid from type body [held]') end
    local sid = V.sid(args[1])
    if args[5] == '1' then
        H.held(ctx, sid, args[2])
    elseif args[5] and args[5] ~= '0' then
        U.fail('ARG', 'held must be 0 or 1')
    end
    return OB.send(ctx, sid, args[2], args[3], args[4]), ctx
end

-- A reply in agent's name only from the agent who holds session sid (a session that does
-- not exist is left to the reply itself, which says so).
function H.held(ctx, sid, agent)
    local v = rcall('HMGET', R.skey(ctx, sid), 'state', 'agent')
    if not v[1] then return end
    local holder = v[2] or ''
    if holder == '' or holder ~= agent then
        U.fail('AGENT', 'session ' .. sid .. (holder == '' and ' has no agent'
            or ' is held by ' .. holder) .. ', not by ' .. (agent == '' and 'nobody' or agent))
    end
end

-- The same for the library's own steps (a service-level notice to the customer, 80_sla.lua):
-- {id, channel, ext, did}, did '' when the channel has no senders (a web chat: its socket
-- reads the message event).
function OB.send(ctx, sid, from, typ, body)
    local v = rcall('HMGET', R.skey(ctx, sid), 'channel', 'identity')
    local channel = v[1]
    local queued = channel and rcall('SISMEMBER', ctx.P .. ':ob:senders', channel) == 1
    if queued then H.room(ctx.P, channel) end
    local r = E.run('omniq.reply', ctx.P, sid, from, typ, body)
    if not queued then return {r[1], r[2], r[3], '', v[2] or ''} end
    local q = OB.queue(ctx, sid, r[1], r[2], r[3])
    q[5] = v[2] or ''
    return q
end

-- Transcript entry id of session sid, written as 'out', handed to channel's senders: its
-- delivery queued (the caller checked H.room). {id, channel, ext, did}. The survey of an
-- ended session (77_survey.lua) sends this way: oq_reply refuses an ended session.
function OB.queue(ctx, sid, id, channel, ext)
    local did = U.istr(rcall('INCR', ctx.P .. ':ob:seq'))
    rcall('HSET', H.dkey(ctx.P, did), 'sid', sid, 'tx', id, 'channel', channel, 'ext', ext,
        'state', 'queued', 'tries', '0', 'created', ctx.ns, 'updated', ctx.ns)
    rcall('ZADD', H.qkey(ctx.P, channel), ctx.ns, did)
    H.order(ctx.P, channel, ext, did)
    H.wake(ctx.P, channel)
    rcall('HSET', R.skey(ctx, sid) .. ':dl', id, did)
    H.event(ctx, {sid = sid, tx = id, channel = channel, ext = ext}, did, 'queued', '')
    return {id, channel, ext, did}
end

-- A sender waiting for work (BLPOP on P:ob:wake:<channel>, oq_outbound.c) is woken: one
-- token at most, however many messages came.
function H.wake(P, channel)
    local k = P .. ':ob:wake:' .. channel
    rcall('LPUSH', k, '1')
    rcall('LTRIM', k, 0, 0)
end

-- A queue's bound, checked before anything is written.
function H.room(P, channel)
    if rcall('ZCARD', H.qkey(P, channel)) >= L.OUTBOUND_MAX then
        U.fail('CAPACITY', 'the outbound queue of channel ' .. channel .. ' is full ('
            .. L.OUTBOUND_MAX .. ' messages not yet sent)')
    end
end

-- oq_ob_add channel to from type body unless_online: a message of no session (a staff
-- alert, a push for an app user) for the channel's senders: did. Its text is kept in the
-- delivery itself. When unless_online (an identity, or "") holds a live connection lease
-- (70_notify.lua), nothing is queued and "" comes back: the user reads it there.
-- OQ_NOTFOUND when the channel has no senders (it would wait for ever).
function OB.fn_add(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 6, 'channel to from type body unless_online')
    local channel = V.channel(args[1])
    local to = V.str('to', args[2], L.TEXT_MAX, false)
    local from = V.str('from', args[3], L.TEXT_MAX, true)
    local typ = V.str('type', args[4], L.TYPE_MAX, false)
    local body = V.body('body', args[5])
    local unless = V.str('unless_online', args[6], L.TEXT_MAX, true)
    if not OB.has_senders(ctx, channel) then
        U.fail('NOTFOUND', 'channel ' .. channel .. ' has no outbound sender')
    end
    if unless ~= '' and rcall('ZCOUNT', ctx.P .. ':online:' .. unless, ctx.ns, '+inf') > 0 then
        return ''
    end
    H.room(ctx.P, channel)
    return OB.add(ctx, channel, to, from, typ, body)
end

function OB.has_senders(ctx, channel)
    return rcall('SISMEMBER', ctx.P .. ':ob:senders', channel) == 1
end

-- A message of no session queued for a channel with senders, arguments validated and its
-- queue's room checked by the caller: its did.
function OB.add(ctx, channel, to, from, typ, body)
    local did = U.istr(rcall('INCR', ctx.P .. ':ob:seq'))
    rcall('HSET', H.dkey(ctx.P, did), 'sid', '', 'tx', '', 'channel', channel, 'ext', to,
        'from', from, 'type', typ, 'body', body, 'state', 'queued', 'tries', '0',
        'created', ctx.ns, 'updated', ctx.ns)
    rcall('ZADD', H.qkey(ctx.P, channel), ctx.ns, did)
    H.order(ctx.P, channel, to, did)
    H.wake(ctx.P, channel)
    H.event(ctx, {sid = '', tx = '', channel = channel, ext = to}, did, 'queued', '')
    return did
end

-- Room in a channel's queue: true, or false and why (the library's own senders of
-- notifications record it rather than fail the step they run in).
function OB.room(ctx, channel)
    local ok, e = pcall_(H.room, ctx.P, channel)
    if ok then return true end
    return false, U.error_text(e)
end

-- oq_ob_status: [channel, queued, due, oldest_due_ms, ...] of each channel with senders:
-- how many of its messages wait or are being sent, how many of them are due now (a
-- backlog: its senders are down or slow), and how long the oldest due one has waited.
function OB.fn_status(keys, args)
    local ctx = X.begin_ro(keys)
    X.need_cfg(ctx) -- the clock
    V.args(args, 0, '')
    local chans = rcall('SMEMBERS', ctx.P .. ':ob:senders')
    tsort(chans)
    local out = {}
    for _, ch in ipairs_(chans) do
        local q = H.qkey(ctx.P, ch)
        local first = rcall('ZRANGE', q, 0, 0, 'WITHSCORES')
        local wait = 0
        if first[2] and tonum(first[2]) <= ctx.now then wait = ctx.now - tonum(first[2]) end
        out[#out + 1] = ch
        out[#out + 1] = U.istr(rcall('ZCARD', q))
        out[#out + 1] = U.istr(rcall('ZCOUNT', q, '-inf', ctx.ns))
        out[#out + 1] = U.istr(wait)
    end
    return out
end

-- oq_ob_register channel: from now on the channel's replies are queued for its senders (a
-- sender says so when it starts). Never undone by itself: a channel whose senders are all
-- down keeps queuing, and its messages wait for them rather than go nowhere.
function OB.fn_register(keys, args)
    local P = X.check_key(keys)
    V.args(args, 1, 'channel')
    rcall('SADD', P .. ':ob:senders', V.channel(args[1]))
    return 'OK'
end

-- One due did of oq_ob_take: handed out (into out), failed on the way, or left waiting
-- behind an earlier message of its recipient (true).
function H.take_one(ctx, q, did, channel, consumer, lease, attempts, out)
    local d = H.load(ctx.P, did)
    if not d or d.channel ~= channel or H.FINAL[d.state] or d.state == 'sent' then
        rcall('ZREM', q, did) -- not a delivery of this queue: never handed out
        return false
    end
    local first = H.before(ctx, q, d, did)
    if first then
        rcall('ZADD', q, U.istr(mmax(ctx.now, tonum(rcall('ZSCORE', q, first))) + 1), did)
        return true
    end
    local e
    if d.sid == '' then   -- a message of no session: its text is in the delivery
        e = {d.tx, {'from', d.from, 'type', d.type, 'body', d.body}}
    else
        e = rcall('XRANGE', R.skey(ctx, d.sid) .. ':tx', d.tx, d.tx)[1]
    end
    if not e then
        H.set_state(ctx, did, d, 'failed', 'the message is gone (its session was removed)')
    elseif d.state == 'sending' and d.tries >= attempts then
        H.set_state(ctx, did, d, 'failed', 'no result from a sender in ' .. d.tries
            .. ' attempts (each sender stopped before it answered)')
    else
        local f = U.map(e[2])
        local try = U.istr(d.tries + 1)
        rcall('HSET', H.dkey(ctx.P, did), 'state', 'sending', 'tries', try,
            'consumer', consumer, 'updated', ctx.ns)
        rcall('ZADD', q, U.istr(ctx.now + lease), did)
        out[#out + 1] = {did, try, d.sid, d.tx, d.ext, f.from or '', f.type or '',
            f.body or ''}
    end
    return false
end

-- oq_ob_take channel consumer n lease_ms attempts: up to n deliveries of channel that are
-- due, each leased to consumer for lease_ms: [[did, attempt, sid, tx, ext, from, type,
-- body], ...]. Fails on the way: one whose message is gone (its session removed by
-- retention), and one whose lease ran out `attempts` times without a result (a message
-- that kills its sender must not kill every sender in turn for ever).
function OB.fn_take(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 5, 'channel consumer n lease_ms attempts')
    local channel = V.channel(args[1])
    local consumer = V.str('consumer', args[2], L.TEXT_MAX, false)
    local n = V.int('n', args[3], 1, L.OUTBOUND_TAKE_MAX)
    local lease = V.int('lease_ms', args[4], L.OUTBOUND_LEASE_MIN, L.OUTBOUND_LEASE_MAX)
    local attempts = V.int('attempts', args[5], 1, L.OUTBOUND_ATTEMPTS_MAX)
    local q = H.qkey(ctx.P, channel)
    local out = {}
    -- a look at what is due, again while what it found waits behind an earlier message of
    -- its recipient (re-scored out of the way), so that one customer's backlog does not
    -- keep the others' from being taken
    for _ = 1, 8 do
        local waited = 0
        for _, did in ipairs_(U.due(ctx, q, n - #out)) do
            if H.take_one(ctx, q, did, channel, consumer, lease, attempts, out) then
                waited = waited + 1
            end
        end
        if waited == 0 or #out >= n then break end
    end
    return out
end

-- oq_ob_done did attempt outcome detail [retry_after_ms attempts backoff_ms backoff_max_ms]:
-- what the sender of that attempt made of it.
--   sent <provider id>        handed to the provider (its id, "" if it gives none, for its
--                             delivery reports: oq_ob_report)
--   delivered <provider id>   the provider says it reached the customer
--   failed <reason>           refused for good (the provider's own words)
--   retry <reason> ...        not this time: queued again after
--                             max(retry_after_ms, min(backoff_max_ms, backoff_ms × 2^(attempt-1))),
--                             or failed with the reason when this was attempt `attempts`
-- Returns the state it left. OQ_STATE when the attempt is not the delivery's current one
-- (its lease ran out and it was taken again), OQ_NOTFOUND when the delivery is gone.
function OB.fn_done(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 4 and #args ~= 8 then
        U.fail('ARG', 'wrong number of arguments, expected: did attempt outcome detail '
            .. '[retry_after_ms attempts backoff_ms backoff_max_ms]')
    end
    local did = H.did_arg(args[1])
    local try = V.int('attempt', args[2], 1, L.OUTBOUND_ATTEMPTS_MAX)
    local outcome = args[3]
    local detail
    if outcome == 'sent' or outcome == 'delivered' then
        if #args ~= 4 then U.fail('ARG', outcome .. ' takes: did attempt ' .. outcome .. ' provider_id') end
        detail = V.str('provider_id', args[4], L.PROVIDER_ID_MAX, true)
    elseif outcome == 'failed' or outcome == 'retry' then
        if (outcome == 'retry') ~= (#args == 8) then
            U.fail('ARG', outcome == 'retry'
                and 'retry takes: did attempt retry reason retry_after_ms attempts backoff_ms backoff_max_ms'
                or 'failed takes: did attempt failed reason')
        end
        detail = V.str('reason', args[4], L.REASON_MAX, false)
    else
        U.fail('ARG', 'outcome must be sent, delivered, failed or retry')
    end
    local after, attempts, backoff, backoff_max
    if outcome == 'retry' then
        after = V.int('retry_after_ms', args[5], 0, L.OUTBOUND_BACKOFF_MAX)
        attempts = V.int('attempts', args[6], 1, L.OUTBOUND_ATTEMPTS_MAX)
        backoff = V.int('backoff_ms', args[7], 0, L.OUTBOUND_BACKOFF_MAX)
        backoff_max = V.int('backoff_max_ms', args[8], 0, L.OUTBOUND_BACKOFF_MAX)
    end
    local d = H.load(ctx.P, did)
    if not d then U.fail('NOTFOUND', 'delivery ' .. did) end
    if d.state ~= 'sending' or d.tries ~= try then
        U.fail('STATE', 'delivery ' .. did .. ' is ' .. d.state .. ' at attempt ' .. d.tries
            .. ', not in attempt ' .. try)
    end
    if outcome == 'sent' or outcome == 'delivered' then
        local extra
        if detail ~= '' then
            extra = {'provider_id', detail}
            rcall('SET', ctx.P .. ':ob:pid:' .. d.channel .. ':' .. detail, did,
                'PX', U.istr(L.OUTBOUND_KEEP * 1000))
        end
        H.set_state(ctx, did, d, outcome, '', extra)
        -- the provider's report came before this answer: it applies now
        local ek = H.early_key(ctx.P, d.channel, detail)
        local early = detail ~= '' and rcall('GET', ek)
        if early then
            rcall('DEL', ek)
            local st, why = smatch(early, '^(%a+)\n(.*)$')
            if (st == 'delivered' or st == 'failed') and outcome ~= 'delivered' then
                H.set_state(ctx, did, H.load(ctx.P, did), st, why)
                return st
            end
        end
        return outcome
    end
    if outcome == 'retry' and try < attempts then
        local wait = backoff * 2 ^ (try - 1)
        if wait > backoff_max then wait = backoff_max end
        if wait < after then wait = after end
        local at = ctx.now + mfloor(wait)
        rcall('HSET', H.dkey(ctx.P, did), 'state', 'queued', 'reason', detail,
            'next_at', U.istr(at), 'updated', ctx.ns)
        rcall('ZADD', H.qkey(ctx.P, d.channel), U.istr(at), did)
        H.event(ctx, d, did, 'queued', detail)
        return 'queued'
    end
    if outcome == 'retry' then
        detail = detail .. ' (' .. try .. (try == 1 and ' attempt)' or ' attempts)')
    end
    H.set_state(ctx, did, d, 'failed', detail)
    return 'failed'
end

function H.early_key(P, channel, pid)
    return P .. ':ob:early:' .. channel .. ':' .. pid
end

-- oq_ob_report channel provider_id state reason: a provider's delivery report (an SMS
-- gateway's DLR) for the message it knows by provider_id: state delivered, failed or sent
-- (accepted, buffered: nothing changes but the reason). Returns {did, state left}. A report
-- never takes a delivery back: one already delivered or failed stays so. A report for an id
-- no sender has recorded yet may have beaten the answer of the request that sent it: it is
-- kept OUTBOUND_EARLY_MS and applied when a sender records that id ({'', 'early'}).
function OB.fn_report(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 4, 'channel provider_id state reason')
    local channel = V.channel(args[1])
    local pid = V.str('provider_id', args[2], L.PROVIDER_ID_MAX, false)
    local state = args[3]
    if state ~= 'delivered' and state ~= 'failed' and state ~= 'sent' then
        U.fail('ARG', 'state must be delivered, failed or sent')
    end
    local reason = V.str('reason', args[4], L.REASON_MAX, true)
    local did = rcall('GET', ctx.P .. ':ob:pid:' .. channel .. ':' .. pid)
    local d = did and H.load(ctx.P, did)
    if not d then
        if rcall('SISMEMBER', ctx.P .. ':ob:senders', channel) == 0 then
            U.fail('NOTFOUND', 'no sender of channel ' .. channel .. ' has sent anything')
        end
        local ek = H.early_key(ctx.P, channel, pid)
        local kept = rcall('GET', ek)
        -- a final report is not replaced by a later "accepted"
        if not (state == 'sent' and kept and not smatch(kept, '^sent\n')) then
            rcall('SET', ek, state .. '\n' .. reason, 'PX', U.istr(L.OUTBOUND_EARLY_MS))
        end
        return {'', 'early'}
    end
    if H.FINAL[d.state] or (state == 'sent' and d.state == 'sent') then
        return {did, d.state}
    end
    if state == 'sent' then state = d.state end
    H.set_state(ctx, did, d, state, reason)
    return {did, state}
end

-- oq_ob_get did: the delivery's fields (flat), [] once it is gone.
function OB.fn_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'did')
    return rcall('HGETALL', H.dkey(ctx.P, H.did_arg(args[1])))
end

-- oq_deliveries sid: [entry id, did, state, reason, ...] of the session's messages sent
-- through a channel's senders, oldest first.
function OB.fn_deliveries(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'sid')
    local sid = V.sid(args[1])
    if rcall('EXISTS', R.skey(ctx, sid)) == 0 then U.fail('NOTFOUND', 'session ' .. sid) end
    local flat = rcall('HGETALL', R.skey(ctx, sid) .. ':dl')
    local txs, did_of = {}, {}
    for i = 1, #flat, 2 do
        txs[#txs + 1] = flat[i]
        did_of[flat[i]] = flat[i + 1]
    end
    tsort(txs, M.stream_id_lt)
    local st = M.deliveries(ctx.P, sid, txs)
    local out = {}
    for _, tx in ipairs_(txs) do
        local v = st[tx] or {'', ''}
        out[#out + 1] = tx
        out[#out + 1] = did_of[tx]
        out[#out + 1] = v[1]
        out[#out + 1] = v[2]
    end
    return out
end
