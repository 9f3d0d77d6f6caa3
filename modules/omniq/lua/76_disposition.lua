-- 76_disposition.lua — what a closed session's disposition means (the table `DSP`): which
-- ones say the customer's matter was resolved (first-contact resolution, 76_report.lua),
-- which are complaints (the hot spots by tag), which are sales leads (forwarded to the
-- tenant's CRM), and the tags each adds to its session's figures.
--
-- An agent may close with any disposition (V.disposition); the tenant says what its own
-- mean (oq_disposition_set), beside the seeds below, which it may change too. A lead closed
-- is forwarded once, as the sweep folds its session (76_report.lua), through the outbox to
-- the tenant's lead channel (oq_lead_channel: an integrator's webhook channel, omniq_ws'
-- `channel` modparam): a delivery of type "lead" whose body is the lead as JSON, signed,
-- retried and its state visible like any message (P:ob:d:<did>; the session's lead_did).
--
-- Keys: P:disp (hash: name → "<flags>|<tags>", flags a comma list of resolved, complaint,
-- lead); P:leadch (string: the lead channel).

local DSP = {
    SEEDS = {consultation = 'resolved|', request_accepted = 'resolved|', resolved = 'resolved|',
        complaint = 'complaint|', return_visit = '|', sales_lead = 'lead|'},
    FLAGS = {resolved = true, complaint = true, lead = true},
}

-- The meaning of disposition d: {resolved =, complaint =, lead =, tags = {...}}.
function DSP.of(ctx, d)
    local v = d ~= '' and (rcall('HGET', ctx.P .. ':disp', d) or DSP.SEEDS[d]) or '|'
    local flags, tags = smatch(v, '^([^|]*)|(.*)$')
    local m = {tags = {}}
    for f in sgmatch(flags or '', '[^,]+') do m[f] = true end
    for t in sgmatch(tags or '', '[^,]+') do m.tags[#m.tags + 1] = t end
    return m
end

-- oq_disposition_set name flags tags: what name means (flags: a comma list of resolved,
-- complaint, lead, or "" for none; tags: a comma list, "" for none). OK.
function DSP.fn_set(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'name flags tags')
    local name = V.disposition(args[1])
    if name == '' then U.fail('ARG', 'a disposition needs a name') end
    for f in sgmatch(args[2], '[^,]+') do
        if not DSP.FLAGS[f] then U.fail('ARG', 'flags are resolved, complaint and lead') end
    end
    local tags = V.str('tags', args[3], L.TAGS_MAX, true)
    for t in sgmatch(tags, '[^,]+') do V.id('tag', t) end
    if rcall('HEXISTS', ctx.P .. ':disp', name) == 0 and not DSP.SEEDS[name]
            and rcall('HLEN', ctx.P .. ':disp') >= L.DISPOSITIONS_MAX then
        U.fail('CAPACITY', 'a tenant has at most ' .. L.DISPOSITIONS_MAX .. ' dispositions')
    end
    rcall('HSET', ctx.P .. ':disp', name, args[2] .. '|' .. tags)
    return 'OK'
end

-- oq_disposition_del name: 1 when the tenant had said what it means (a seed then means
-- what it did at first).
function DSP.fn_del(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'name')
    return rcall('HDEL', ctx.P .. ':disp', V.disposition(args[1]))
end

-- oq_disposition_list: rows [name, n, flags, f, tags, t], the seeds and the tenant's, by
-- name; and [lead_channel, c] first (a reader).
function DSP.fn_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    local all, names = {}, {}
    for n, v in pairs_(DSP.SEEDS) do all[n] = v end
    local h = rcall('HGETALL', ctx.P .. ':disp')
    for i = 1, #h, 2 do all[h[i]] = h[i + 1] end
    for n in pairs_(all) do names[#names + 1] = n end
    tsort(names)
    local out = {{'lead_channel', rcall('GET', ctx.P .. ':leadch') or ''}}
    for _, n in ipairs_(names) do
        local flags, tags = smatch(all[n], '^([^|]*)|(.*)$')
        out[#out + 1] = {'name', n, 'flags', flags or '', 'tags', tags or ''}
    end
    return out
end

-- oq_lead_channel channel: where leads go ("" none). OK.
function DSP.fn_lead_channel(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'channel')
    if args[1] == '' then
        rcall('DEL', ctx.P .. ':leadch')
    else
        rcall('SET', ctx.P .. ':leadch', V.channel(args[1]))
    end
    return 'OK'
end

-- A session closed as a lead (76_report.lua, once): forwarded to the lead channel when the
-- tenant has one whose senders run. Returns the delivery id, or nil and why not.
function DSP.forward_lead(ctx, sid, v)
    local ch = rcall('GET', ctx.P .. ':leadch')
    if not ch then return nil, 'no lead channel' end
    if not OB.has_senders(ctx, ch) then return nil, 'no node sends on ' .. ch end
    local ok, why = OB.room(ctx, ch)
    if not ok then return nil, why end
    local live = v.customer ~= '' and C.resolve(ctx, v.customer)
    local c = live and rcall('HMGET', C.key(ctx, live), 'name', 'tier', 'region', 'ids') or {}
    -- sid, as every surface names a session; session, its name before (sent until v2)
    local lead = {sid = sid, session = sid, customer = live or '', name = c[1] or '',
        tier = c[2] or '',
        region = c[3] or '', identities = c[4] or '', channel = v.channel, queue = v.queue,
        agent = v.agent, disposition = v.disposition, tags = v.tags,
        closed = tonum(v.ended)}
    local did = OB.add(ctx, ch, '', 'omniq', 'lead', cjson.encode(lead))
    rcall('HSET', R.skey(ctx, sid), 'lead_did', did)
    return did
end
