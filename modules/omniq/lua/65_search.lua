-- 65_search.lua — an agent's search over the conversations it has served (the table `SR`).
--
--   oq_agent_search(aid, q, count) → rows {sid, created, channel, state, disposition,
--                                    who, snippet}, newest first
--
-- The sessions are those the agent took (P:a:<aid>:past, the engine's accept keeps the
-- PAST_MAX newest) and Redis still holds (retention); q (2..100 bytes) is found, without
-- regard to ASCII case, in the customer's name or identity, the visitor's claimed name,
-- the disposition and tags, or a line of the transcript - agents' notes included, the
-- desk being the agents'. Bounded work per call: the SEARCH_SESSIONS newest sessions and
-- the first SEARCH_LINES lines of each; count (1..50) rows at most.

local SR = {}

local fail = U.fail
local SEARCH_SESSIONS, SEARCH_LINES = 200, 100

local function has(hay, q)
    return hay and hay ~= '' and sfind(slower(hay), q, 1, true) ~= nil
end

-- The line around the match, at most 120 bytes (cut at UTF-8 character boundaries).
local function snippet(s, q)
    local at = sfind(slower(s), q, 1, true) or 1
    local from = mmax(1, at - 40)
    while from > 1 and smatch(ssub(s, from, from), '[\128-\191]') do from = from - 1 end
    local to = mmin(#s, from + 119)
    while to < #s and smatch(ssub(s, to + 1, to + 1), '[\128-\191]') do to = to - 1 end
    return (from > 1 and '…' or '') .. ssub(s, from, to) .. (to < #s and '…' or '')
end

function SR.fn_agent_search(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 3, 'aid q count')
    local aid = V.id('agent id', args[1])
    local q = V.str('q', args[2], 100, false)
    if #q < 2 then fail('ARG', 'q must be 2..100 bytes') end
    q = slower(q)
    local count = V.int('count', args[3], 1, 50)
    A.must_exist(ctx, aid)
    local out = {}
    for _, sid in ipairs_(rcall('LRANGE', A.key(ctx, aid) .. ':past', 0, SEARCH_SESSIONS - 1)) do
        if #out >= count then break end
        local v = rcall('HMGET', R.skey(ctx, sid), 'created', 'channel', 'state', 'disposition',
            'tags', 'identity', 'claimed_name', 'customer')
        if v[1] then
            local live = v[8] and v[8] ~= '' and C.resolve(ctx, v[8])
            local name = live and rcall('HGET', C.key(ctx, live), 'name') or ''
            local who = name ~= '' and name or (v[7] and v[7] ~= '' and v[7]) or v[6] or ''
            local hit = nil
            for _, f in ipairs_({name, v[6], v[7], v[4], v[5]}) do
                if has(f, q) then hit = snippet(f, q); break end
            end
            if not hit then
                local tx = rcall('XRANGE', R.skey(ctx, sid) .. ':tx', '-', '+', 'COUNT', SEARCH_LINES)
                for _, e in ipairs_(tx) do
                    local f = e[2]
                    for i = 1, #f, 2 do
                        if f[i] == 'body' and has(f[i + 1], q) then hit = snippet(f[i + 1], q); break end
                    end
                    if hit then break end
                end
            end
            if hit then
                out[#out + 1] = {'sid', sid, 'created', v[1], 'channel', v[2] or '', 'state', v[3] or '',
                    'disposition', v[4] or '', 'who', who, 'snippet', hit}
            end
        end
    end
    return out
end
