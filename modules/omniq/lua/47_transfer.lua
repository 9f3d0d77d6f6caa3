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
        return {sid, 'referring', aid}, ctx
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
    return {sid, s.state, s.agent or ''}, ctx
end
