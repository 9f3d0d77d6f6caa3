-- 55_lapse.lua — deadlines a channel keeps itself (the table `LP`).
--
-- A phone call rings one agent at a time and waits in a suspended SIP transaction; the
-- channel module learns before the sweep would that an offer has failed (486, 603, no
-- answer, phone not registered) or that the queue's own maximum wait has passed. These two
-- calls apply the same rules as the sweep, at once:
--   oq_miss(sid, aid, away)  offered to aid → missed: re-queued and re-routed, never
--                            offered to aid again; aid misses+1, away at max_misses, or
--                            at once when away is "1"
--   oq_expire(sid)           queued → expired (refused when it was offered in the
--                            meantime: the channel then follows the offer)

local LP = {}

function LP.fn_miss(keys, args)
    local ctx, _, sid = S.offered_to(keys, args, 3, 'sid aid away')
    local away = V.int('away', args[3], 0, 1) == 1
    local s = SW.lapse(ctx, sid, away)
    return {sid, s.state, s.agent or ''}, ctx
end

function LP.fn_expire(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'sid')
    local sid = V.sid(args[1])
    local s = R.sess_require(ctx, sid)
    if s.state ~= 'queued' then
        U.fail('STATE', 'session ' .. sid .. ' is ' .. s.state .. ', not queued')
    end
    SW.expire(ctx, sid)
    return 'OK', ctx
end
