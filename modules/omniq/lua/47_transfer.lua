-- 47_transfer.lua — an agent hands an active session on.
--
--   oq_transfer(sid, aid, 'agent', target, '')   active → offered to target
--   oq_transfer(sid, aid, 'queue', queue, skills) active → queued in queue
--
-- The transcript, the customer and the session id stay; only who serves it
-- changes. Whatever the kind, aid's slot is released at once and pulls its
-- next waiting session (as a close does), and aid joins the session's
-- decliners (P:s:<sid>:x), so that no routing ever gives the session back to
-- the agent that passed it on: not the re-queue here, not the one after the
-- target declines or lets the offer lapse.
--
-- To a named agent: an explicit choice by a colleague, so the target need
-- not have the session's skills and may even be one who declined it before;
-- it must be available with free capacity in the session's class, by the
-- same rules routing uses (total and policy included), or nothing happens
-- (OQ_CAPACITY). Skill requirements stay as they are, for a re-queue should
-- the target decline.
--
-- To a queue: the session waits there as a session re-queued after a
-- decline does, keeping its priority and its enq (so its place: the
-- customer has waited already), optionally with new required skills, and is
-- routed at once. Its max_wait deadline and wait statistics count from the
-- transfer instead (transfer_at, see wait_from()): time spent talking to an
-- agent is no waiting.
--
-- Two more arguments, optional: the ext and node of the contact that carries
-- the session from now on (a phone call transferred by REFER comes back as a
-- new INVITE, maybe to another node: its offers and its hang-up go there).
-- Set before anything is emitted, so that every event of the transfer names
-- the new contact.
--
-- Or one more argument instead: the channels whose driver moves its contact
-- itself (OMNIQ_CAP_REFER, comma-separated; oq_transfer() passes them). A
-- session of one of them that has a contact (ext and node: a live call) is
-- not moved: the same checks pass, event 'refer' asks the contact's node
-- (state: the kind; target, skills) and {sid, 'referring', aid} comes back.
-- The driver moves the session with the 7-argument form once the contact has
-- moved (the caller's phone, REFERred, calls the target), so the record
-- never says a call is queued while the caller still talks to aid.

local T = {}

local fail, istr = U.fail, U.istr

function T.fn_transfer(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 7 and #args ~= 6 then V.args(args, 5, 'sid aid kind target skills [ext node | refer]') end
    return T.move(ctx, args), ctx
end

-- The transfer of fn_transfer's args (already counted), in ctx.
function T.move(ctx, args)
    local sid, aid = V.sid(args[1]), V.id('agent id', args[2])
    local kind, target, skills = args[3], args[4], nil
    if kind == 'agent' then
        target = V.id('target agent', target)
        if target == aid then fail('ARG', 'agent ' .. aid .. ' already holds session ' .. sid) end
        if args[5] ~= '' then fail('ARG', 'skills must be empty for a transfer to an agent') end
    elseif kind == 'queue' then
        target = V.queue(target)
        skills = V.session_skills(args[5])
    else
        fail('ARG', 'kind must be agent or queue')
    end
    local ext, node, refer = nil, nil, nil
    if #args == 7 then ext, node = V.str('ext', args[6], L.TEXT_MAX, false), V.id('node', args[7]) end
    if #args == 6 then refer = V.str('refer channels', args[6], 1024, true) end
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'active' then fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not active') end
    if s.agent ~= aid then fail('AGENT', 'session ' .. sid .. ' is not held by ' .. aid) end
    local b, d = nil, nil
    if kind == 'agent' then
        b = A.load(ctx, target)
        if not b then fail('NOTFOUND', 'agent ' .. target) end
        if b.presence ~= 'available' then fail('CAPACITY', 'agent ' .. target .. ' is ' .. b.presence) end
        if not A.free(ctx, b, s.class) then
            fail('CAPACITY', 'agent ' .. target .. ' has no free ' .. s.class .. ' capacity')
        end
    end
    if refer and (s.ext or '') ~= '' and (s.node or '') ~= ''
        and sfind(',' .. refer .. ',', ',' .. (s.channel or '') .. ',', 1, true) then
        X.emit(ctx, 'refer', sid, kind, aid, s.channel, s.ext,
            {'target', target, 'skills', skills and tconcat(skills, ',') or ''})
        return {sid, 'referring', aid}
    end
    local a = A.load(ctx, aid)
    s.transfer_at = ctx.now
    local extra = {'transfer_at', ctx.ns}
    if ext then
        local key = R.skey(ctx, sid)
        if (s.node or '') ~= '' and s.node ~= node then
            rcall('SREM', ctx.P .. ':node:' .. s.node, sid)
        end
        rcall('SADD', ctx.P .. ':node:' .. node, sid)
        rcall('HSET', key, 'ext', ext, 'node', node)
        s.ext, s.node = ext, node
    end
    if kind == 'queue' then
        -- the queue it is sent to is where it stays: a widening does not take it "home"
        extra[3], extra[4], extra[5], extra[6] = 'queue', target, 'home_queue', ''
        if #skills > 0 then
            s.skills, s.skills_s = skills, tconcat(skills, ',')
            s.idx = W.idx(skills)
            extra[7], extra[8] = 'skills', s.skills_s
        end
        s.queue = target
        d = S.requeue_decide(ctx, s, aid)
    end

    M.tx_add(ctx, sid, 'sys', aid, 'transfer', 'transferred by ' .. aid .. ' to ' .. kind .. ' ' .. target,
        s.channel or '', s.ext)
    rcall('HINCRBY', R.skey(ctx, sid), 'transfers', 1)   -- its figures count them (76_report.lua)
    rcall('SADD', R.skey(ctx, sid) .. ':x', aid)
    if a then A.release(ctx, a, sid, s.class) end
    X.count(ctx, 'transferred')
    if kind == 'agent' then
        rcall('HSET', R.skey(ctx, sid), unpk(extra))
        X.emit(ctx, 'transfer', sid, 'offered', aid, s.channel, s.ext)
        R.offer(ctx, s, b, true)
        A.save(ctx, b)
    else
        X.queue_seen(ctx, target)
        S.requeue_apply(ctx, s, d, 'transfer', aid, extra)
    end
    if a then R.pull(ctx, a, S.freed_room(ctx, a, s.class)) end
    return {sid, s.state, s.agent or ''}
end

-- A call REFERred on one node may come back to another (the caller's phone, or its proxy,
-- sends the INVITE elsewhere): the REFER's node notes the transfer under a token it puts in
-- the Refer-To's URI (omniq_sip xfer.c), and the node the INVITE reaches takes it with that
-- token. Key P:xf:<token> (string): "<sid>\t<aid>\t<target>\t<until ms>" while it waits
-- (taken until then), "moved\t<sid>\t<node>" once taken; it stays T.KEEP_MS past the wait,
-- so that the REFER's node, which asks when the wait is over, learns of it (oq_xfer_moved).
T.KEEP_MS = 600000
function T.xkey(ctx, token)
    if type(token) ~= 'string' or #token < L.XFER_TOKEN_MIN or #token > L.XFER_TOKEN_MAX
        or sfind(token, '[^0-9A-Za-z]') then
        fail('ARG', 'token must be ' .. L.XFER_TOKEN_MIN .. '-' .. L.XFER_TOKEN_MAX
            .. ' letters and digits')
    end
    return ctx.P .. ':xf:' .. token
end

-- oq_xfer_note token sid aid target wait_ms: session sid, active with aid, is REFERred to
-- target (an agent or a queue); its INVITE may take it on any node for wait_ms.
function T.fn_note(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 5, 'token sid aid target wait_ms')
    local key, sid, aid = T.xkey(ctx, args[1]), V.sid(args[2]), V.id('agent id', args[3])
    local target = V.id('target', args[4])
    local ms = V.int('wait_ms', args[5], 1000, 3600000)
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'active' then fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not active') end
    if s.agent ~= aid then fail('AGENT', 'session ' .. sid .. ' is not held by ' .. aid) end
    rcall('SET', key, sid .. '\t' .. aid .. '\t' .. target .. '\t' .. istr(ctx.now + ms), 'PX',
        ms + T.KEEP_MS)
    return 'OK', ctx
end

-- oq_xfer_take token kind target ext node: the INVITE of a REFERred caller that carries
-- token, to target (kind agent or queue), as contact ext on node: the noted session moves
-- to it as fn_transfer's 7-argument form moves it ({sid, state, agent}). NOTFOUND when no
-- transfer waits under the token (never noted, taken, its wait over) or it names another
-- target; STATE / AGENT / CAPACITY as the transfer's.
function T.fn_take(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 5, 'token kind target ext node')
    local key = T.xkey(ctx, args[1])
    local v = rcall('GET', key)
    local sid, aid, target, untl = nil, nil, nil, nil
    if v then sid, aid, target, untl = smatch(v, '^([^\t]+)\t([^\t]+)\t([^\t]+)\t(%d+)$') end
    if not sid or ctx.now > tonum(untl) then fail('NOTFOUND', 'no transfer waits for this token') end
    if target ~= args[3] then
        fail('NOTFOUND', 'the transfer of session ' .. sid .. ' is to ' .. target .. ', not ' .. args[3])
    end
    local out = T.move(ctx, {sid, aid, args[2], args[3], '', args[4], args[5]})
    rcall('SET', key, 'moved\t' .. sid .. '\t' .. args[5], 'KEEPTTL')
    return out, ctx
end

-- oq_xfer_moved token...: for each, the node its INVITE moved the session to, or ''
-- (waiting, its wait over, never noted).
function T.fn_moved(keys, args)
    local ctx = X.begin(keys)
    if #args < 1 or #args > L.XFER_MOVED_MAX then
        V.args(args, 1, 'token [token ...] (at most ' .. L.XFER_MOVED_MAX .. ')')
    end
    local out = {}
    for i = 1, #args do
        local v = rcall('GET', T.xkey(ctx, args[i]))
        out[i] = v and smatch(v, '^moved\t[^\t]+\t(.+)$') or ''
    end
    return out, ctx
end
