-- 55_lapse.lua — deadlines a channel keeps itself.
--
-- A phone call rings one agent at a time and waits in a suspended SIP
-- transaction; the channel module learns before the sweep would that an
-- offer has failed (486, 603, no answer, phone not registered) or that the
-- queue's own maximum wait has passed. These two calls apply the same rules
-- as the sweep, at once:
--   oq_miss(sid, aid, away)  offered to aid → missed: re-queued and re-routed,
--                            never offered to aid again; aid misses+1, away at
--                            max_misses, or at once when away is "1"
--   oq_expire(sid)           queued → expired (refused when it was offered in
--                            the meantime: the channel then follows the offer)

local function fn_miss(keys, args)
    local ctx, _, sid = offered_to(keys, args, 3, 'sid aid away')
    local away = v_int('away', args[3], 0, 1) == 1
    local s = sweep_offer(ctx, sid, away)
    return {sid, s.state, s.agent or ''}
end

local function fn_expire(keys, args)
    local ctx = begin(keys)
    need_args(args, 1, 'sid')
    local sid = v_sid(args[1])
    local s = sess_require(ctx, sid)
    if s.state ~= 'queued' then
        fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not queued')
    end
    sweep_expire(ctx, sid)
    return 'OK'
end
