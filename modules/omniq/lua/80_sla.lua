-- 80_sla.lua — service levels: three-level timeout alerts, their clocks and what each level
-- does (the tables `SL` and `SLH` of 78_sla_policy.lua, which keeps what a tenant sets).
--
-- A tenant's policies (oq_sla_set) say, for the sessions they match (queue, channel and
-- customer tier, each "" for any; the first match by `order`), how long a customer may
-- wait, in seconds:
--   first    for the first agent response (a messaging channel: the agent's first
--            message; a call: its answer)
--   reply    for the agent's answer to a customer's message, once the conversation runs
--   resolve  for the end of the conversation (wrap-up or close)
-- and at which points of each target its three levels fire (`levels`, per cent, e.g.
-- 50,80,100). Level 1 tells the responsible person (the session's agent, or the queue's
-- owner while nobody has it); level 2 tells the queue's supervisor and escalates a session
-- that still waits (priority raised, moved to an overflow queue, its skills widened);
-- level 3 tells the queue's manager and sends the customer, on their own channel, the
-- policy's notice (what happens next).
--
-- Clocks: the engine's steps note their moments in the session (engine/sla.c): t_in the
-- customer's first message not yet answered, t_out1 the agent's first message, answered
-- the first accept; the library's own steps note the same (SL.message, SL.new). P:look
-- holds each session whose clocks may still fire, scored by when the sweep must look at it
-- next. A look (SL.look) reads the session, fires what is due in order, and scores it again
-- at its next deadline, or takes it out. A level fires once: its count is in the session
-- (sla_f, sla_r, sla_z) and the look is one atomic call, whichever node's sweep makes it.
-- A target reached (the answer, the end) cancels the levels not yet fired: they are never
-- due. A reply clock starts again with the next customer message after an answer
-- (sla_rc: the start its count sla_r belongs to).
--
-- Keys: P:sla:pol (zset: policy names by order), P:sla:p:<name> (hash: one policy),
-- P:look (zset: sid by next look), P:s:<sid>:sla (stream: the session's alert history,
-- removed with the session), P:qr:<queue> (hash: the queue's owner, supervisor and
-- manager, agent ids). People are agents; each is told at its `notify` targets
-- (oq_agent_notify): `desk` (the event names it), and <channel>:<address>, a delivery of
-- that channel's senders through the outbox (WeChat, SMS, email, an integrator's webhook
-- channel), retried as any.

-- ZADD LT: looked at no later than `at`
function SLH.look_at(ctx, sid, at)
    rcall('ZADD', ctx.P .. ':look', 'LT', at, sid)
end

-- A session was opened (the library's steps; the engine's do this in engine/sla.c).
function SL.new(ctx, sid)
    if SLH.on(ctx) then SLH.look_at(ctx, sid, ctx.ns) end
end

-- A session ended (the library's steps; the engine's do this in engine/sla.c): looked at
-- for its figures (76_report.lua), its follow-ups (79_followup.lua) and its survey
-- (77_survey.lua).
function SL.ended(ctx, sid)
    SLH.look_at(ctx, sid, ctx.ns)
end

-- A session was reopened: its clocks start again, and its policy is matched again.
function SL.reopen(ctx, sid)
    RV.reopened(ctx, sid)
    if not SLH.on(ctx) then return end
    rcall('HDEL', R.skey(ctx, sid), 'sla', 'sla_f', 'sla_r', 'sla_z', 'sla_rc', 'sla_n',
        'closed_n', 't_in', 't_out1', 'answered')
    SLH.look_at(ctx, sid, ctx.ns)
end

-- A message of the library's own steps (ingest): what engine/sla.c notes for the engine's.
function SL.message(ctx, sid, dir)
    if not SLH.on(ctx) then return end
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, 't_in', 't_out1')
    if dir == 'in' then
        if v[1] and v[1] ~= '' then return end
        rcall('HSET', key, 't_in', ctx.ns)
        SLH.look_at(ctx, sid, ctx.ns)
    elseif dir == 'out' then
        if not v[2] or v[2] == '' then rcall('HSET', key, 't_out1', ctx.ns) end
        if v[1] and v[1] ~= '' then rcall('HSET', key, 't_in', '') end
    end
end

-- The first policy that matches the session, or nil.
function SLH.match(ctx, s)
    local tier
    for _, name in ipairs_(rcall('ZRANGE', ctx.P .. ':sla:pol', 0, -1)) do
        local v = rcall('HMGET', SLH.pkey(ctx.P, name), 'queue', 'channel', 'tier')
        if (not v[1] or v[1] == '' or v[1] == s.queue)
                and (not v[2] or v[2] == '' or v[2] == s.channel) then
            if not v[3] or v[3] == '' then return name end
            if tier == nil then
                local cid = s.customer ~= '' and C.resolve(ctx, s.customer)
                tier = cid and rcall('HGET', C.key(ctx, cid), 'tier') or false
            end
            if tier == v[3] then return name end
        end
    end
    return nil
end

-- "4 min 10 s"
function SLH.span(ms)
    local s = mfloor(ms / 1000)
    if s < 60 then return s .. ' s' end
    if s < 3600 then return mfloor(s / 60) .. ' min ' .. s % 60 .. ' s' end
    return mfloor(s / 3600) .. ' h ' .. mfloor(s % 3600 / 60) .. ' min'
end

-- Who level lvl tells: agent ids (one at most today; a list so that a level may tell
-- several people without a change of the history or the events).
function SLH.people(ctx, s, lvl)
    local v = rcall('HMGET', ctx.P .. ':qr:' .. s.queue, 'owner', 'supervisor', 'manager')
    local who
    if lvl == 1 then
        who = s.agent ~= '' and s.agent or v[1]
    else
        who = v[lvl]
    end
    if who and who ~= '' then return {who} end
    return {}
end

-- Each person's targets: a delivery queued for each channel target. Returns what was
-- done, as "<agent>/<target>=<did>|desk|<why not>" items for the history.
function SLH.tell(ctx, people, text)
    local done = {}
    for _, aid in ipairs_(people) do
        local t = rcall('HGET', A.key(ctx, aid), 'notify')
        if not t or t == '' then t = 'desk' end
        for target in sgmatch(t, '[^,]+') do
            local what
            if target == 'desk' then
                what = 'desk'
            else
                local ch, addr = smatch(target, '^([^:]+):(.+)$')
                local ok, why = true, nil
                if not OB.has_senders(ctx, ch) then
                    ok, why = false, 'no sender'
                else
                    ok, why = OB.room(ctx, ch)
                end
                what = ok and OB.add(ctx, ch, addr, 'omniq', 'text', text) or why
            end
            done[#done + 1] = aid .. '/' .. target .. '=' .. what
        end
    end
    return done
end

-- Level 2: a session that still waits gets the policy's priority raise, overflow queue
-- and skills, and is routed again. Returns what changed, '' for nothing.
function SLH.escalate(ctx, sid, p)
    local s = R.sess_load(ctx, sid)
    if not s or s.state ~= 'queued' then return '' end
    local raise = tonum(p.raise)
    if raise == 0 and p.overflow_queue == '' and p.overflow_skills == '=' then return '' end
    local said = {}
    s.where = W.where(ctx, s)
    W.remove(ctx, s)
    local upd = {}
    if raise > 0 then
        local to = mmin(L.PRIORITY_MAX, s.priority + raise)
        said[#said + 1] = 'priority ' .. s.priority .. '>' .. to
        s.priority = to
        upd[#upd + 1] = 'priority'; upd[#upd + 1] = U.dec(to)
    end
    if p.overflow_queue ~= '' and p.overflow_queue ~= s.queue then
        said[#said + 1] = 'queue ' .. s.queue .. '>' .. p.overflow_queue
        s.queue = p.overflow_queue
        X.queue_seen(ctx, s.queue)
        upd[#upd + 1] = 'queue'; upd[#upd + 1] = s.queue
        upd[#upd + 1] = 'home_queue'; upd[#upd + 1] = ''   -- it stays there when widened
    end
    if p.overflow_skills ~= '=' and p.overflow_skills ~= s.skills_s then
        said[#said + 1] = 'skills ' .. (s.skills_s == '' and '-' or s.skills_s) .. '>'
            .. (p.overflow_skills == '' and '-' or p.overflow_skills)
        s.skills_s = p.overflow_skills
        s.skills = U.split(s.skills_s, ',')
        s.idx = W.idx(s.skills)
        upd[#upd + 1] = 'skills'; upd[#upd + 1] = s.skills_s
    end
    s.score = (1000 - s.priority) * U.TWO42 + s.enq
    upd[#upd + 1] = 'updated'; upd[#upd + 1] = ctx.ns
    rcall('HSET', R.skey(ctx, sid), unpk(upd))
    R.apply(ctx, s, R.decide(ctx, s, nil, false))
    return tconcat(said, ', ')
end

-- A message from the team to the customer on their own channel: it is no answer of an
-- agent, so the clocks it would stop (engine/sla.c) are put back. Returns the entry and
-- delivery ("id/did", "id/socket" for a channel its sockets serve), or why not.
function SLH.to_customer(ctx, s, text)
    if s.class == 'voice' then return false, 'not sent: a call' end
    local key = R.skey(ctx, s.id)
    local keep = rcall('HMGET', key, 't_in', 't_out1')
    local ok, r = pcall_(OB.send, ctx, s.id, 'omniq', 'text', text)
    rcall('HSET', key, 't_in', keep[1] or '', 't_out1', keep[2] or '')
    if not ok then return false, 'not sent: ' .. U.error_text(r) end
    return r[1], r[1] .. '/' .. (r[4] ~= '' and r[4] or 'socket')
end

-- Level 3: the policy's notice to the customer, once a session (the first and the
-- resolution clock may both reach level 3); its callback_notice instead when the level made
-- the session a callback to `to`.
function SLH.notice(ctx, s, p, to)
    local text = to and p.callback_notice ~= '' and p.callback_notice or p.notice
    if text == '' then return '' end
    local sent = rcall('HGET', R.skey(ctx, s.id), 'sla_n')
    if sent and sent ~= '' then return 'sent before: ' .. sent end
    text = SLH.put(text, 'to', to and SLH.reach(to) or '')
    local id, said = SLH.to_customer(ctx, s, SLH.fill(ctx, s, text))
    if id then rcall('HSET', R.skey(ctx, s.id), 'sla_n', id) end
    return said
end

-- An identity as a customer reads it: the number of tel:+86..., the address of email:...
function SLH.reach(to)
    return smatch(to, '^[%a][%w_%-]*:(.+)$') or to
end

-- A customer still waiting on a messaging channel made a callback (FU.callback: their place
-- kept, their leaving no abandon; offered as a callback when their turn comes) to a phone
-- number of theirs, else to their own address when their channel reaches them after they
-- left (not a web chat: a visitor who closed the page cannot be written to). A waiting
-- call stays a call: telling a caller needs the media module. Returns where to, or nil
-- (not waiting, a callback already, or nowhere to reach them). Level 3 of a policy with
-- `callback` and a customer's own words (82_callback_words.lua) use it.
function SLH.make_callback(ctx, s)
    if s.class == 'voice' then return nil end
    local v = rcall('HMGET', R.skey(ctx, s.id), 'state', 'callback_to', 'identity', 'node')
    if v[1] ~= 'queued' or (v[2] and v[2] ~= '') then return nil end
    local to
    local cid = s.customer ~= '' and C.resolve(ctx, s.customer)
    for _, id in ipairs_(cid and C.ids(ctx, cid) or {}) do
        if smatch(id, '^tel:') or smatch(id, '^phone:') then to = id; break end
    end
    if not to and s.channel ~= 'web' then to = v[3] end
    if not to then return nil end
    s.node = v[4] or ''
    return FU.callback(ctx, s, to)
end

function SLH.callback(ctx, s, p)
    if p.callback ~= '1' then return nil end
    return SLH.make_callback(ctx, s)
end

-- The notice's placeholders, for what happens next: {position} (its place in the queue)
-- and {wait} (the minutes it is estimated to wait still, on the clock: Q.estimate, at
-- least 1) while it waits; for a session an agent has, both are empty.
function SLH.fill(ctx, s, text)
    if not sfind(text, '{', 1, true) then return text end
    local pos, wait = '', ''
    local v = rcall('HMGET', R.skey(ctx, s.id), 'state', 'queue', 'enq', 'transfer_at')
    if v[1] == 'queued' then
        local p, est = Q.estimate(ctx, s.id, {queue = v[2], enq = v[3], transfer_at = v[4]})
        pos, wait = U.istr(p), U.istr(mmax(1, mfloor((est + 59999) / 60000)))
    end
    return SLH.put(SLH.put(text, 'position', pos), 'wait', wait)
end

-- A session opened while its queue is closed (business hours, 32_hours.lua): the customer
-- is told when the team is back, once ("{open}" in the queue's notice: the local time it
-- opens). Its message waits for the opening like any that no agent can take yet.
function SLH.closed(ctx, s)
    if s.class == 'voice' or s.closed_n ~= '' or BH.open(ctx, s.queue, ctx.now) then return end
    local text = rcall('HGET', BH.key(ctx.P, s.queue), 'notice')
    if not text or text == '' then return end
    local _, label = BH.next_open(ctx, s.queue, ctx.now)
    text = SLH.put(text, 'open', label or '?')
    local id, said = SLH.to_customer(ctx, s, text)
    rcall('HSET', R.skey(ctx, s.id), 'closed_n', id or said)
end

-- One level of one clock fires.
function SLH.fire(ctx, s, p, kind, lvl, start)
    local target = p.target[kind] * 1000
    local wait = ctx.now - start
    local people = SLH.people(ctx, s, lvl)
    rcall('HSET', R.skey(ctx, s.id), SLH.FIRED[kind], U.dec(lvl))
    local text = sfmt('[SLA level %d] session %s (%s, customer %s, queue %s): %s waiting %s of %s',
        lvl, s.id, s.channel, s.customer, s.queue, SLH.SAY[kind], SLH.span(wait), SLH.span(target))
    if p.link ~= '' then text = text .. ' ' .. p.link .. s.id end
    local told = SLH.tell(ctx, people, text)
    REP.alert(ctx, s, lvl)
    local escalated, notice, callback = '', '', nil
    if lvl == 2 then escalated = SLH.escalate(ctx, s.id, p) end
    if lvl == 3 then
        callback = SLH.callback(ctx, s, p)
        notice = SLH.notice(ctx, s, p, callback)
    end
    rcall('XADD', R.skey(ctx, s.id) .. ':sla', '*', 'type', 'fired', 'kind', kind,
        'level', U.dec(lvl), 'wait', U.istr(wait), 'target', U.istr(target), 'policy', p.name,
        'notify', tconcat(people, ','), 'told', tconcat(told, ','), 'escalated', escalated,
        'notice', notice, 'callback', callback or '')
    -- the event's agent is the person told (their desk shows it, an event_route reads it);
    -- holder: the session's agent. Every node's dispatcher reads it; the first to claim
    -- it runs the level's event_route (oq_dispatch.c): an admin's action happens once.
    X.emit(ctx, 'sla' .. lvl, s.id, kind, people[1] or '', s.channel, s.ext,
        {'level', U.dec(lvl), 'wait', U.istr(wait), 'target', U.istr(target),
         'policy', p.name, 'notify', tconcat(people, ','), 'holder', s.agent})
end

-- Look at one session: fire what is due, in order; score it at its next deadline or take
-- it out. Returns the levels fired.
function SLH.look(ctx, sid)
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, unpk(SLH.SESSION))
    local s = {id = sid}
    for i, f in ipairs_(SLH.SESSION) do s[f] = v[i] or '' end
    local ended = s.state == '' or U.TERMINAL[s.state] or s.state == 'wrapup'
    local p
    if not ended then
        if s.sla == '' then   -- a new session (or reopened): its first look
            SLH.closed(ctx, s)
            s.sla = SLH.match(ctx, s) or '-'
            rcall('HSET', key, 'sla', s.sla)
        end
        if s.sla ~= '-' then p = SLH.load(ctx, s.sla) end
    end
    if ended and s.state ~= '' then
        FU.on_end(ctx, s)
        SV.on_end(ctx, s)
        REP.on_end(ctx, sid)
    end
    if not p then
        rcall('ZREM', ctx.P .. ':look', sid)
        return 0
    end
    local start = {first = tonum(s.enq) or ctx.now, resolve = tonum(s.enq) or ctx.now}
    -- the first response: a call's answer, a message channel's first agent message
    if (s.class == 'voice' and s.answered ~= '') or (s.class ~= 'voice' and s.t_out1 ~= '') then
        start.first = nil
    end
    -- an answer is due while a customer message waits, once the first response is made
    if s.class ~= 'voice' and s.t_out1 ~= '' and s.t_in ~= '' then
        start.reply = tonum(s.t_in)
        if s.sla_rc ~= s.t_in then   -- a new wait for an answer: its levels from 1
            rcall('HSET', key, 'sla_rc', s.t_in, 'sla_r', '0')
            s.sla_r = '0'
        end
    end
    local fired, next_at = 0, nil
    for _, kind in ipairs_(SLH.KINDS) do
        local t0, target = start[kind], p.target[kind]
        if t0 and target > 0 then
            local done = tonum(s[SLH.FIRED[kind]]) or 0
            for lvl = done + 1, 3 do
                local ms = mfloor(target * 10 * p.pct[lvl])   -- target s × pct % in ms
                local at = p.hours == '1' and BH.add(ctx, s.queue, t0, ms) or t0 + ms
                if at > ctx.now then
                    if not next_at or at < next_at then next_at = at end
                    break
                end
                SLH.fire(ctx, s, p, kind, lvl, t0)
                fired = fired + 1
            end
        end
    end
    if next_at then
        rcall('ZADD', ctx.P .. ':look', U.istr(next_at), sid)
    else
        rcall('ZREM', ctx.P .. ':look', sid)
    end
    return fired
end

-- The sweep's part (50_sweep.lua): every session due, at most max. Returns levels fired.
function SL.sweep(ctx, max)
    local n = 0
    for _, sid in ipairs_(U.due(ctx, ctx.P .. ':look', max)) do
        n = n + SLH.look(ctx, sid)
    end
    return n
end

-- oq_sla_ack sid aid [told]: the person who takes the alert in hand says so (the history
-- keeps who and when, with the last level fired). told '1' (an agent's desk): only someone
-- an alert of the session was sent to may (OQ_AGENT otherwise); without it, anyone (an
-- admin's kamcmd).
function SL.fn_ack(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 3 then V.args(args, 2, 'sid aid [told]') end
    local sid, aid = V.sid(args[1]), V.id('agent id', args[2])
    local key = R.skey(ctx, sid)
    if rcall('EXISTS', key) == 0 then U.fail('NOTFOUND', 'session ' .. sid) end
    local lvl, kind, told = '', '', args[3] ~= '1'
    for _, e in ipairs_(rcall('XRANGE', key .. ':sla', '-', '+')) do
        local f = U.map(e[2])
        if f.type == 'fired' then
            lvl, kind = f.level or '', f.kind or ''
            for who in sgmatch(f.notify or '', '[^,]+') do
                if who == aid then told = true end
            end
        end
    end
    if lvl == '' then U.fail('STATE', 'session ' .. sid .. ' has had no alert') end
    if not told then U.fail('AGENT', 'no alert of session ' .. sid .. ' was sent to ' .. aid) end
    return rcall('XADD', key .. ':sla', '*', 'type', 'ack', 'kind', kind, 'level', lvl,
        'by', aid)
end

-- oq_sla_get sid: {[policy, <name>, first, <n>, reply, <n>, resolve, <n> (levels fired),
-- next, <ms of the next look, or "">], [[id, [field, value, ...]], ...] the history, oldest
-- first}. A fired entry also says where each delivery of it is now: `delivery`, items
-- "<agent>/<target>=<state>" (queued, sent, delivered, failed; gone once the outbox let it
-- go), for the told items that went through the outbox.
function SL.fn_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'sid')
    local sid = V.sid(args[1])
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, 'state', 'sla', 'sla_f', 'sla_r', 'sla_z')
    if not v[1] then U.fail('NOTFOUND', 'session ' .. sid) end
    local nxt = rcall('ZSCORE', ctx.P .. ':look', sid)
    local head = {'policy', v[2] or '', 'first', v[3] or '0', 'reply', v[4] or '0',
        'resolve', v[5] or '0', 'next', nxt and U.istr(tonum(nxt)) or ''}
    local hist = rcall('XRANGE', key .. ':sla', '-', '+')
    for _, e in ipairs_(hist) do
        local f, told = e[2], nil
        for i = 1, #f - 1, 2 do
            if f[i] == 'told' then told = f[i + 1] end
        end
        if told and told ~= '' then
            local out = {}
            for item in sgmatch(told, '[^,]+') do
                local who, did = smatch(item, '^(.-)=(%d+)$')
                if who then
                    out[#out + 1] = who .. '=' .. (rcall('HGET', M.delivery_key(ctx.P, did), 'state') or 'gone')
                end
            end
            f[#f + 1] = 'delivery'; f[#f + 1] = tconcat(out, ',')
        end
    end
    return {head, hist}
end

-- the hooks of the earlier files' steps
SW.sla = SL.sweep
S.sla_reopen = SL.reopen
S.sla_ended = SL.ended
M.sla_message = SL.message
