-- 79_followup.lua — callbacks and return visits: follow-ups that become sessions when they
-- are due (the table `FU`).
--
-- A follow-up is a task to contact a customer again at a time: a satisfaction call after a
-- repair, a return visit 90 days after an installation, a callback a customer asked for.
-- An agent or the API schedules one (oq_followup_add), or a tenant's rule does when a
-- session closes with a disposition (oq_fu_rule_set: "90 days after a session closed as
-- installation", repeating every N days M times). When it is due the sweep opens it: a new
-- session of the customer on the follow-up's channel, in its queue, offered like any other
-- and to its agent first (the customer's agent waits for that agent while the tenant's
-- affinity_wait allows, as a returning customer does). A message follow-up's session starts
-- with the reason as an internal note: the agent writes the first message, which goes out on
-- the customer's channel as any reply. A call follow-up is offered the same way and the
-- phone channel dials it (click-to-dial, oq_dial_claim below: the agent's phone rings, then
-- the customer is called; omniq_sip records a no_answer itself). The agent records the outcome
-- (oq_followup_done): reached or refused ends it, no answer tries again after the retry
-- interval while retries are left.
--
-- Keys: P:seq:fu, P:fu:<fid> (hash: the follow-up), P:fuz (zset: scheduled fid → due ms),
-- P:fua:<aid> (zset: the agent's follow-ups not yet ended → due ms: its list in the desk),
-- P:fur:<name> and P:furl (a rule, and the rules by name). A follow-up is opened once: it
-- leaves P:fuz in the same atomic call, whichever node's sweep makes it.

local FU = {}

local FUH = {
    STATES = {scheduled = true, opened = true, done = true, cancelled = true, failed = true},
    OUTCOMES = {reached = true, no_answer = true, refused = true},
    FIELDS = {'id', 'customer', 'sid', 'due', 'reason', 'channel', 'agent', 'queue', 'state',
        'outcome', 'note', 'tries', 'retry', 'retries', 'rule', 'every', 'left', 'opened_sid',
        'created', 'updated', 'why'},
    RULE_FIELDS = {'disposition', 'queue', 'after', 'reason', 'channel', 'same_agent', 'every',
        'times', 'retry', 'retries'},
    RULE_DEFAULTS = {disposition = '', queue = '', after = '0', reason = '', channel = '',
        same_agent = '1', every = '0', times = '1', retry = '3600', retries = '2'},
    -- the identity schemes a channel reaches a customer by
    SCHEMES = {sms = {'tel', 'sms'}, phone = {'tel', 'phone'}, email = {'email'}},
    YEAR = 366 * 86400,
}

function FUH.key(P, fid) return P .. ':fu:' .. fid end

-- The channel customer cid prefers to be contacted on (its profile's `channel`), or nil.
function FUH.preferred(ctx, cid)
    local live = cid and cid ~= '' and C.resolve(ctx, cid)
    local v = live and rcall('HGET', C.key(ctx, live), 'channel')
    return v and v ~= '' and v or nil
end

function FUH.load(ctx, fid)
    local v = rcall('HMGET', FUH.key(ctx.P, fid), unpk(FUH.FIELDS))
    if not v[1] then return nil end
    local f = {}
    for i, name in ipairs_(FUH.FIELDS) do f[name] = v[i] or '' end
    return f
end

function FUH.set(ctx, f, ...)
    local a = {'HSET', FUH.key(ctx.P, f.id), 'updated', ctx.ns}
    for _, x in ipairs_({...}) do a[#a + 1] = x end
    rcall(unpk(a))
end

-- "when": ms since the epoch, or "+<seconds>" from now
function FUH.when(ctx, v)
    local rel = smatch(v or '', '^%+(%d+)$')
    if rel then return ctx.now + V.int('due', rel, 0, 10 * FUH.YEAR) * 1000 end
    -- before 2000 is no follow-up's time but a number cut short (kamcmd reads a number as
    -- 32 bits: s:<ms> passes it as text)
    return V.int('due (ms since the epoch, after 2000; or +<seconds>)', v, 946684800000, 1e15)
end

-- A follow-up made (arguments validated): its fid. f: customer sid due reason channel
-- agent queue retry retries rule every left.
function FUH.create(ctx, f)
    local fid = U.istr(rcall('INCR', ctx.P .. ':seq:fu'))
    rcall('HSET', FUH.key(ctx.P, fid), 'id', fid, 'customer', f.customer, 'sid', f.sid or '',
        'due', U.istr(f.due), 'reason', f.reason, 'channel', f.channel or '', 'agent',
        f.agent or '', 'queue', f.queue, 'state', 'scheduled', 'tries', '0',
        'retry', U.istr(f.retry or 3600), 'retries', U.istr(f.retries or 2), 'rule', f.rule or '',
        'every', U.istr(f.every or 0), 'left', U.istr(f.left or 0), 'created', ctx.ns,
        'updated', ctx.ns)
    rcall('ZADD', ctx.P .. ':fuz', U.istr(f.due), fid)
    if f.agent and f.agent ~= '' then rcall('ZADD', ctx.P .. ':fua:' .. f.agent, U.istr(f.due), fid) end
    X.emit(ctx, 'followup', f.sid or '', 'scheduled', f.agent or '', f.channel or '', '',
        {'fid', fid, 'due', U.istr(f.due)})
    return fid
end

-- oq_followup_add sid cid due reason channel agent queue: a follow-up of session sid (its
-- customer, channel, agent and queue unless given) or of customer cid (one of the two);
-- due: ms, or "+<seconds>" from now; "" for channel, agent and queue: the session's, else
-- the customer's last session's channel and agent and the queue "default". Its fid.
function FU.fn_add(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 7, 'sid cid due reason channel agent queue')
    local sid = args[1] ~= '' and V.sid(args[1]) or ''
    local cid = args[2] ~= '' and V.cid(args[2]) or ''
    if (sid == '') == (cid == '') then U.fail('ARG', 'give a session id or a customer id, one of them') end
    local due = FUH.when(ctx, args[3])
    local reason = V.str('reason', args[4], L.TEXT_MAX, false)
    local channel = args[5] ~= '' and V.channel(args[5]) or ''
    local agent = args[6] ~= '' and V.id('agent id', args[6]) or ''
    local queue = args[7] ~= '' and V.id('queue', args[7]) or ''
    local last
    if sid ~= '' then
        local v = rcall('HMGET', R.skey(ctx, sid), 'customer', 'channel', 'agent', 'queue')
        if not v[1] then U.fail('NOTFOUND', 'session ' .. sid) end
        cid, last = v[1], {channel = v[2], agent = v[3], queue = v[4]}
    end
    local live = C.resolve(ctx, cid)
    if not live then U.fail('NOTFOUND', 'customer ' .. cid) end
    if not last then
        local recent = C.hist_recent(C.hist_get(ctx, live), 1)[1]
        local v = recent and rcall('HMGET', R.skey(ctx, recent), 'channel', 'agent', 'queue')
        last = v and {channel = v[1], agent = v[2], queue = v[3]} or {}
    end
    if agent ~= '' and rcall('EXISTS', A.key(ctx, agent)) == 0 then U.fail('NOTFOUND', 'agent ' .. agent) end
    if channel == '' then channel = FUH.preferred(ctx, live) or last.channel or '' end
    if channel == '' then U.fail('NOTFOUND', 'customer ' .. live .. ' has no session to say its channel: give one') end
    return FUH.create(ctx, {customer = live, sid = sid, due = due, reason = reason,
        channel = channel, agent = agent ~= '' and agent or last.agent or '',
        queue = queue ~= '' and queue or last.queue or 'default'})
end

-- oq_followup_get fid: its fields (a reader).
function FU.fn_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'fid')
    local fid = V.sid(args[1])
    local h = rcall('HGETALL', FUH.key(ctx.P, fid))
    if #h == 0 then U.fail('NOTFOUND', 'follow-up ' .. fid) end
    return h
end

function FUH.require(ctx, fid)
    local f = FUH.load(ctx, V.sid(fid))
    if not f then U.fail('NOTFOUND', 'follow-up ' .. fid) end
    return f
end

-- it ends: off the lists it is on, and its record kept `retention` more (as an ended
-- session is), then Redis drops it
function FUH.unlist(ctx, f)
    rcall('ZREM', ctx.P .. ':fuz', f.id)
    if f.agent ~= '' then rcall('ZREM', ctx.P .. ':fua:' .. f.agent, f.id) end
    rcall('PEXPIRE', FUH.key(ctx.P, f.id), U.istr(ctx.cfg.retention * 1000))
end

-- oq_followup_cancel fid: a scheduled or opened follow-up ends (its session, if opened,
-- goes on as any). OK; OQ_STATE when it has ended already.
function FU.fn_cancel(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'fid')
    local f = FUH.require(ctx, args[1])
    if f.state ~= 'scheduled' and f.state ~= 'opened' then
        U.fail('STATE', 'follow-up ' .. f.id .. ' is ' .. f.state)
    end
    FUH.unlist(ctx, f)
    FUH.set(ctx, f, 'state', 'cancelled')
    X.emit(ctx, 'followup', f.sid, 'cancelled', f.agent, f.channel, '', {'fid', f.id})
    return 'OK'
end

-- oq_followup_done fid outcome note: the agent's outcome of an opened follow-up: reached
-- or refused end it; no_answer schedules it again after its retry interval while retries
-- are left (then it ends as no_answer). Returns its state after.
function FU.fn_done(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'fid outcome note')
    local f = FUH.require(ctx, args[1])
    local outcome = args[2]
    if not FUH.OUTCOMES[outcome] then U.fail('ARG', 'outcome must be reached, no_answer or refused') end
    local note = V.str('note', args[3], L.TEXT_MAX, true)
    if f.state ~= 'opened' then
        U.fail('STATE', 'follow-up ' .. f.id .. ' is ' .. f.state .. ', not opened')
    end
    local tries = (tonum(f.tries) or 0)
    if outcome == 'no_answer' and tries <= (tonum(f.retries) or 0) then
        local due = ctx.now + (tonum(f.retry) or 3600) * 1000
        FUH.set(ctx, f, 'state', 'scheduled', 'outcome', outcome, 'note', note, 'due', U.istr(due))
        rcall('ZADD', ctx.P .. ':fuz', U.istr(due), f.id)
        if f.agent ~= '' then rcall('ZADD', ctx.P .. ':fua:' .. f.agent, U.istr(due), f.id) end
        X.emit(ctx, 'followup', f.opened_sid, 'scheduled', f.agent, f.channel, '',
            {'fid', f.id, 'due', U.istr(due), 'outcome', outcome})
        return 'scheduled'
    end
    FUH.unlist(ctx, f)
    FUH.set(ctx, f, 'state', 'done', 'outcome', outcome, 'note', note)
    X.emit(ctx, 'followup', f.opened_sid, 'done', f.agent, f.channel, '',
        {'fid', f.id, 'outcome', outcome})
    return 'done'
end

-- oq_followups_of aid count: the agent's follow-ups not yet ended, soonest first, at most
-- count (1..200): rows of their fields, with `overdue` 1 when due before now (a reader).
function FU.fn_of(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 2, 'aid count')
    local aid = V.id('agent id', args[1])
    local count = V.int('count', args[2], 1, 200)
    local now = tonum(clock.now_ms())
    local out = {}
    for _, fid in ipairs_(rcall('ZRANGE', ctx.P .. ':fua:' .. aid, 0, count - 1)) do
        local f = FUH.load(ctx, fid)
        if f then
            local row = {}
            for _, name in ipairs_(FUH.FIELDS) do row[#row + 1] = name; row[#row + 1] = f[name] end
            row[#row + 1] = 'overdue'
            row[#row + 1] = (f.state == 'scheduled' and tonum(f.due) < now) and '1' or '0'
            out[#out + 1] = row
        end
    end
    return out
end

---------------------------------------------------------------------------
-- Rules
---------------------------------------------------------------------------

function FUH.rule_check(f, v)
    if f == 'disposition' then return V.id('disposition', v) end
    if f == 'queue' then return v == '' and v or V.id('queue', v) end
    if f == 'channel' then return v == '' and v or V.channel(v) end
    if f == 'reason' then return V.str('reason', v, L.TEXT_MAX, false) end
    if f == 'after' or f == 'every' then return U.istr(V.int(f, v, 0, 10 * FUH.YEAR)) end
    if f == 'retry' then return U.istr(V.int(f, v, 60, FUH.YEAR)) end
    if f == 'same_agent' then return U.istr(V.int(f, v, 0, 1)) end
    if f == 'times' then return U.istr(V.int(f, v, 1, 100)) end
    if f == 'retries' then return U.istr(V.int(f, v, 0, 20)) end
    U.fail('ARG', 'field must be one of ' .. tconcat(FUH.RULE_FIELDS, ', '))
end

-- oq_fu_rule_set name field value [...]: a rule made or changed (fields not given keep their
-- value or default); a rule needs a disposition and a reason. OK.
function FU.fn_rule_set(keys, args)
    local ctx = X.begin(keys)
    local name = V.id('rule name', args[1] or '')
    return U.named_set(ctx, ctx.P .. ':fur:' .. name, ctx.P .. ':furl', name, args, 2,
        FUH.RULE_FIELDS, FUH.RULE_DEFAULTS, FUH.rule_check, 'follow-up rules', function(cur)
            if cur.disposition == '' or cur.reason == '' then
                U.fail('ARG', 'a rule needs a disposition and a reason')
            end
        end)
end

-- oq_fu_rule_del name: 1 when it was there.
function FU.fn_rule_del(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'name')
    local name = V.id('rule name', args[1])
    rcall('ZREM', ctx.P .. ':furl', name)
    return rcall('DEL', ctx.P .. ':fur:' .. name)
end

-- oq_fu_rule_list: rows [name, <name>, field, value, ...] (a reader).
function FU.fn_rule_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    return U.named_list(ctx.P .. ':furl', ctx.P .. ':fur:', 'name', FUH.RULE_FIELDS,
        FUH.RULE_DEFAULTS)
end

-- Does the tenant use follow-ups (rules, or one ever made)? Its ended sessions are looked at.
function FU.on(ctx) return rcall('EXISTS', ctx.P .. ':furl', ctx.P .. ':seq:fu') > 0 end

-- A session ended (the sweep's look, 80_sla.lua), once (fu_checked): a follow-up it was
-- opened for and that has no outcome yet ends with `closed` (the agent closed it without
-- saying how it went); the rules its disposition matches make their follow-ups. s: the
-- look's fields (state, queue, channel, customer, agent) and its id.
function FU.on_end(ctx, s)
    if not U.TERMINAL[s.state] then return end
    local key = R.skey(ctx, s.id)
    local v = rcall('HMGET', key, 'disposition', 'fu_checked', 'followup')
    if v[2] and v[2] ~= '' then return end
    rcall('HSET', key, 'fu_checked', '1')
    local mine = v[3] and v[3] ~= '' and FUH.load(ctx, v[3])
    if mine and mine.state == 'opened' and mine.opened_sid == s.id then
        FUH.unlist(ctx, mine)
        FUH.set(ctx, mine, 'state', 'done', 'outcome', 'closed')
        X.emit(ctx, 'followup', s.id, 'done', mine.agent, mine.channel, '',
            {'fid', mine.id, 'outcome', 'closed'})
    end
    if s.state ~= 'closed' then return end
    local disp = v[1] or ''
    if disp == '' or s.customer == '' then return end
    for _, name in ipairs_(rcall('ZRANGE', ctx.P .. ':furl', 0, -1)) do
        local r = rcall('HMGET', ctx.P .. ':fur:' .. name, unpk(FUH.RULE_FIELDS))
        local rule = {}
        for i, f in ipairs_(FUH.RULE_FIELDS) do rule[f] = r[i] or FUH.RULE_DEFAULTS[f] end
        if rule.disposition == disp and (rule.queue == '' or rule.queue == s.queue) then
            local live = C.resolve(ctx, s.customer)
            if live then
                FUH.create(ctx, {customer = live, sid = s.id,
                    due = ctx.now + tonum(rule.after) * 1000, reason = rule.reason,
                    channel = rule.channel ~= '' and rule.channel
                        or FUH.preferred(ctx, s.customer) or s.channel,
                    agent = rule.same_agent == '1' and s.agent or '', queue = s.queue,
                    retry = tonum(rule.retry), retries = tonum(rule.retries), rule = name,
                    every = tonum(rule.every), left = tonum(rule.times) - 1})
            end
        end
    end
end

---------------------------------------------------------------------------
-- Due: opened as sessions
---------------------------------------------------------------------------

-- The customer's identity and the channel's reference (ext) to reach them on `channel`:
-- from their most recent session on it; a call needs no reference (the agent dials).
function FUH.address(ctx, cid, channel)
    local sid = S.latest_on(ctx, cid, channel)
    if sid then
        local v = rcall('HMGET', R.skey(ctx, sid), 'identity', 'ext', 'class')
        if v[1] then return v[1], v[3] == 'voice' and '' or (v[2] or '') end
    end
    -- no session of it left: an identity of the customer whose scheme the channel takes
    local schemes = FUH.SCHEMES[channel] or {channel}
    for _, id in ipairs_(C.ids(ctx, cid)) do
        for _, sc in ipairs_(schemes) do
            if ssub(id, 1, #sc + 1) == sc .. ':' then return id, '' end
        end
    end
    return nil
end

function FUH.open(ctx, f)
    local live = C.resolve(ctx, f.customer)
    if not live then return nil, 'the customer is gone' end
    local ident, ext = FUH.address(ctx, live, f.channel)
    if not ident then return nil, 'the customer has no address on channel ' .. f.channel end
    local cls = U.CHANNEL_CLASS[f.channel]
    if not cls then
        local v = rcall('HMGET', R.skey(ctx, f.sid ~= '' and f.sid or '0'), 'class')
        cls = v[1] or 'chat'
    end
    local canon = V.identity(ident)
    -- the engine's open, with the follow-up's agent first (parked for it while
    -- affinity_wait allows)
    local r = E.run('omniq.lib.enqueue', ctx.P, f.channel, cls, ident, canon, '', '0',
        f.queue, ext, '', live, f.agent)
    local sid = r[1]
    rcall('HSET', R.skey(ctx, sid), 'followup', f.id)
    M.tx_add(ctx, sid, 'note', '', 'text', 'Follow-up: ' .. f.reason, f.channel, ext)
    return sid
end

-- The sweep's part (50_sweep.lua): every follow-up due, at most max. Returns how many were
-- opened.
function FU.sweep(ctx, max)
    local n = 0
    for _, fid in ipairs_(U.due(ctx, ctx.P .. ':fuz', max)) do
        rcall('ZREM', ctx.P .. ':fuz', fid)
        local f = FUH.load(ctx, fid)
        -- due while its queue is closed (32_hours.lua): it waits for the opening - nobody
        -- rings a customer at night for a callback or a satisfaction call
        local opens = f and f.state == 'scheduled'
            and BH.next_open(ctx, f.queue ~= '' and f.queue or 'default', ctx.now)
        if opens and opens > ctx.now then
            rcall('ZADD', ctx.P .. ':fuz', U.istr(opens), fid)
        elseif f and f.state == 'scheduled' then
            local ok, sid, why = pcall_(FUH.open, ctx, f)
            if not ok then sid, why = nil, U.error_text(sid) end
            local tries = U.istr((tonum(f.tries) or 0) + 1)
            if sid then
                FUH.set(ctx, f, 'state', 'opened', 'opened_sid', sid, 'tries', tries)
                X.emit(ctx, 'followup', sid, 'opened', f.agent, f.channel, '', {'fid', fid})
                n = n + 1
                -- a repeating rule's next one
                if (tonum(f.left) or 0) > 0 and (tonum(f.every) or 0) > 0 then
                    FUH.create(ctx, {customer = f.customer, sid = f.sid,
                        due = tonum(f.due) + tonum(f.every) * 1000, reason = f.reason,
                        channel = f.channel, agent = f.agent, queue = f.queue,
                        retry = tonum(f.retry), retries = tonum(f.retries), rule = f.rule,
                        every = tonum(f.every), left = tonum(f.left) - 1})
                end
            else
                FUH.unlist(ctx, f)
                FUH.set(ctx, f, 'state', 'failed', 'why', why or '', 'tries', tries)
                X.emit(ctx, 'followup', f.sid, 'failed', f.agent, f.channel, '',
                    {'fid', fid, 'reason', why or ''})
            end
        end
    end
    return n
end

---------------------------------------------------------------------------
-- A callback instead of waiting
---------------------------------------------------------------------------

-- oq_callback sid to: the waiting customer asks to be called back instead of waiting (a
-- caller presses a key, a chat customer clicks): the session keeps its place in the queue,
-- the customer may leave (its abandon keeps it: 40_session.lua), and when its turn comes it
-- is offered as a callback to `to` (an identity such as tel:+86..., "" for the session's
-- own). A call's session is no call of the node any more (its ext and node are cleared: the
-- phone channel leaves its offer to the desk). OK; OQ_STATE when it does not wait.
function FU.fn_callback(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'sid to')
    local sid = V.sid(args[1])
    local to = args[2] ~= '' and V.identity(args[2]) or ''
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'queued' then
        U.fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ': only a waiting customer asks for a callback')
    end
    FU.callback(ctx, s, to)
    return 'OK'
end

-- Session s (waiting) becomes a callback to `to` ("" for its own identity): oq_callback's
-- and a service level's (80_sla.lua, a policy's `callback` at level 3) one way.
function FU.callback(ctx, s, to)
    local key = R.skey(ctx, s.id)
    if to == '' then to = rcall('HGET', key, 'identity') or '' end
    local f = {'callback_to', to, 'callback_at', ctx.ns, 'updated', ctx.ns}
    if s.class == 'voice' then
        if s.node ~= '' then rcall('SREM', ctx.P .. ':node:' .. s.node, s.id) end
        f[#f + 1] = 'ext'; f[#f + 1] = ''
        f[#f + 1] = 'node'; f[#f + 1] = ''
        s.ext = ''
    end
    rcall('HSET', key, unpk(f))
    X.emit(ctx, 'callback', s.id, 'queued', '', s.channel, s.ext, {'to', to})
    return to
end

---------------------------------------------------------------------------
-- Click-to-dial: one node dials a phone session that has no call of its own
---------------------------------------------------------------------------

-- oq_dial_claim sid agent node: a phone session with no call of its own (a follow-up's, a
-- callback's: its ext is empty, or a dial's own) offered to agent is dialled by one node:
-- every node's phone channel sees the offer, the first to ask takes it. The session becomes
-- that node's as an inbound call's is (node, P:node:<node>: it ends if the node dies) with
-- ext "<node>/dial/<sid>" (its close hangs the dial up there), and dial_agent records whose
-- offer was taken, so that the next offer (after this agent's miss) is claimed afresh.
-- Returns {to, kind, fid}: whom to call (callback_to, else the session's identity),
-- "callback", "followup" or "call", and the follow-up's id or "". OQ_STATE when the offer
-- stands no more or another node took it; OQ_ARG when the session is no call or has a call.
function FU.fn_dial_claim(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'sid agent node')
    local sid = V.sid(args[1])
    local agent = V.id('agent id', args[2])
    local node = V.id('node', args[3])
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, 'state', 'agent', 'class', 'ext', 'dial_agent', 'node',
        'identity', 'callback_to', 'followup')
    if not v[1] then U.fail('NOTFOUND', 'session ' .. sid) end
    if v[1] ~= 'offered' or v[2] ~= agent then
        U.fail('STATE', 'session ' .. sid .. ' is ' .. v[1] .. ', not offered to ' .. agent)
    end
    if v[3] ~= 'voice' then U.fail('ARG', 'session ' .. sid .. ' is no call') end
    local ext = v[4] or ''
    if ext ~= '' and not sfind(ext, '/dial/', 1, true) then
        U.fail('ARG', 'session ' .. sid .. ' has a call of its own')
    end
    if v[5] == agent then
        U.fail('STATE', 'session ' .. sid .. ': this offer is dialled by node ' .. (v[6] or ''))
    end
    local old = v[6] or ''
    if old ~= '' and old ~= node then rcall('SREM', ctx.P .. ':node:' .. old, sid) end
    rcall('SADD', ctx.P .. ':node:' .. node, sid)
    rcall('HSET', key, 'dial_agent', agent, 'node', node, 'ext', node .. '/dial/' .. sid,
        'dial_at', ctx.ns, 'updated', ctx.ns)
    local cb, fid = v[8] or '', v[9] or ''
    local kind = cb ~= '' and 'callback' or (fid ~= '' and 'followup' or 'call')
    return {cb ~= '' and cb or (v[7] or ''), kind, fid}
end

---------------------------------------------------------------------------
-- A call while the queue is closed, called back at the opening
---------------------------------------------------------------------------

-- The caller of a call refused because queue q is closed (32_hours.lua BH.refuse_closed,
-- for a queue in P:qcc) is called back when it opens: a phone follow-up of the caller (a
-- new customer when the number is new), due at the opening `at`, which the phone channel
-- dials then. One per caller and queue until the opening (P:qccf:<queue>|<cid> → fid, gone
-- an hour after the opening): a caller who rings five times in the night is called back
-- once. Its fid; nil for a caller who is no phone number (a SIP URI, anonymous: nothing to
-- call).
function BH.closed_call(ctx, q, ident, canon, at, label)
    if not smatch(canon, '^tel:%+%d+$') then return nil end
    local cust = C.for_contact(ctx, canon)
    local cid = cust and cust.cid or C.create(ctx, {ident}, {canon})
    local k = ctx.P .. ':qccf:' .. q .. '|' .. cid
    local fid = rcall('GET', k)
    if fid and rcall('HGET', FUH.key(ctx.P, fid), 'state') == 'scheduled' then return fid end
    fid = FUH.create(ctx, {customer = cid, due = at, channel = 'phone', queue = q,
        reason = 'Called while the queue was closed: call back (' .. label .. ')'})
    rcall('SET', k, fid, 'PX', U.istr(at - ctx.now + 3600000))
    return fid
end

---------------------------------------------------------------------------
-- A session's follow_up date (oq_session_set, 40_session.lua) is a follow-up too
---------------------------------------------------------------------------

-- The date an agent or a survey set on session s (day: ms of its 00:00 UTC; false: cleared)
-- becomes a follow-up of its customer due then (a queue with business hours opens it at its
-- first opening after that), on the customer's preferred channel or the session's, to the
-- session's agent, in its queue; a new date moves it while it is scheduled, a cleared one
-- cancels it (the session's fu_date: its fid).
function S.follow_up_date(ctx, s, day, label)
    local key = R.skey(ctx, s.id)
    local fid = rcall('HGET', key, 'fu_date')
    local f = fid and fid ~= '' and FUH.load(ctx, fid)
    if f and f.state == 'scheduled' then
        if day == false then
            FUH.unlist(ctx, f)
            FUH.set(ctx, f, 'state', 'cancelled')
            X.emit(ctx, 'followup', f.sid, 'cancelled', f.agent, f.channel, '', {'fid', f.id})
        else
            FUH.set(ctx, f, 'due', U.istr(day))
            rcall('ZADD', ctx.P .. ':fuz', U.istr(day), f.id)
            if f.agent ~= '' then rcall('ZADD', ctx.P .. ':fua:' .. f.agent, U.istr(day), f.id) end
            X.emit(ctx, 'followup', f.sid, 'scheduled', f.agent, f.channel, '',
                {'fid', f.id, 'due', U.istr(day)})
        end
        return
    end
    if day == false then return end
    local live = s.customer ~= '' and C.resolve(ctx, s.customer)
    if not live then return end
    fid = FUH.create(ctx, {customer = live, sid = s.id, due = day,
        reason = 'Follow-up date ' .. label .. ' set on session ' .. s.id,
        channel = FUH.preferred(ctx, live) or s.channel, agent = s.agent or '',
        queue = s.queue ~= '' and s.queue or 'default'})
    rcall('HSET', key, 'fu_date', fid)
end

SW.followups = FU.sweep
