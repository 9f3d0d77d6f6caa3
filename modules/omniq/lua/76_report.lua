-- 76_report.lua — what the service did, by interval (the table `REP`): the figures a
-- supervisor and a manager read per queue, channel and agent, for 15 minutes, an hour or a
-- day, live from Redis.
--
-- Every session counts once, when it has ended (the sweep's look at an ended session,
-- 80_sla.lua), in the 15-minute interval in which it joined its queue (the contact centre's
-- "interval of arrival": an interval's figures grow as its sessions end). Its survey answer
-- (77_survey.lua), its service-level alerts (80_sla.lua) and its first-contact verdict
-- (below) count in the same interval when they come.
--
-- Keys: P:rp:<ms> (hash, the interval starting then; it expires REP.KEEP_S after its end):
-- a field per dimension holding its figures (REP.FIGURES, in order, space-separated), the
-- dimension '*' (the tenant), 'q:<queue>', 'c:<channel>',
-- 'a:<agent>' (sessions an agent answered: their last agent's), 'g:<tag>' (complaints by
-- tag). P:fcrz (zset): the sessions closed as resolved waiting for their FCR verdict,
-- member "<sid>|<customer>|<queue>|<channel>|<agent>|<end ms>|<interval ms>", score the
-- window's end: the verdict needs no session hash (retention may have removed it).
-- Figures (sums and counts; oq_report derives the rates):
--   offered, answered, abandoned, short_abandoned (within short_abandon s), expired,
--   wait_ms (answered: enqueue to answer), sl_met (answered within sl_target s),
--   wait_max_ms (longest wait, answered or not), handle_ms (answer to end), transfers,
--   promised_n, promised_ms, promised_wait_ms (sessions told a wait, and what they waited),
--   csat_n, csat_sum, csat_sat (4 or 5), nps_n, nps_pro (9, 10), nps_det (0..6),
--   resolved (closed with a disposition that says so, 76_disposition.lua), fcr_n
--   (verdicts), fcr_ok, complaints (likewise; by tag too), sla1 sla2 sla3, avail_sum and
--   avail_n (the tenant's available agents, sampled once a minute by the sweep: dimension
--   '*' only, in the interval of the sample).

local REP = {
    BUCKET = 900000,              -- 15 minutes
    KEEP_S = L.REPORT_KEEP_DAYS * 86400,   -- an interval's figures stay this long after it ends
    STEPS = {['900000'] = true, ['3600000'] = true, ['86400000'] = true},
    FIGURES = {'offered', 'answered', 'abandoned', 'short_abandoned', 'expired', 'wait_ms',
        'sl_met', 'wait_max_ms', 'handle_ms', 'transfers', 'promised_n', 'promised_ms',
        'promised_wait_ms', 'csat_n', 'csat_sum', 'csat_sat', 'nps_n', 'nps_pro', 'nps_det',
        'resolved', 'fcr_n', 'fcr_ok', 'complaints', 'sla1', 'sla2', 'sla3', 'avail_sum',
        'avail_n'},
    DERIVED = {'sl_pct', 'asa_s', 'aht_s', 'abandon_pct', 'csat_avg', 'csat_pct', 'nps',
        'fcr_pct', 'agents_available', 'agents_needed'},
    SAMPLE_MS = 60000,            -- the agents available are counted once a minute
}

function REP.bucket(ms) return ms - ms % REP.BUCKET end

-- A call's figures are gathered (REP.add) and written once at its end (REP.flush, from
-- X.finish: a sweep that folds 200 ended sessions of one interval writes it once): per
-- interval one HMGET of its dimensions, one HSET, one EXPIRE. Each dimension's figures are
-- one field, the numbers of REP.FIGURES in order, space-separated: a session's fold is three
-- commands, not one HINCRBY per figure and dimension (about 35; docs/performance.md, stop
-- 47, bench/route/fold_alone.py).
function REP.idx(f)
    if not REP.INDEX then
        REP.INDEX = {}
        for i, name in ipairs_(REP.FIGURES) do REP.INDEX[name] = i end
    end
    return REP.INDEX[f]
end

function REP.unpack(v)
    local out, n = {}, 0
    for x in sgmatch(v or '', '%S+') do n = n + 1; out[n] = tonum(x) or 0 end
    for i = n + 1, #REP.FIGURES do out[i] = 0 end
    return out
end

-- Add n to figure (wait_max_ms: keep the larger) of each dimension in dims, in the interval
-- of at: gathered until REP.flush.
function REP.add(ctx, at, dims, figure, n)
    local b = at - at % REP.BUCKET
    local p = ctx.rp
    if not p then p = {}; ctx.rp = p end
    local k = p[b]
    if not k then
        k = {at = at, key = ctx.P .. ':rp:' .. U.istr(b), dims = {}, order = {}}
        p[b] = k
    end
    for _, d in ipairs_(dims) do
        local t = k.dims[d]
        if not t then t = {}; k.dims[d] = t; k.order[#k.order + 1] = d end
        if figure == 'wait_max_ms' then t[figure] = mmax(t[figure] or 0, n)
        else t[figure] = (t[figure] or 0) + n end
    end
end

X.report_flush = function(ctx) REP.flush(ctx) end   -- X.finish's (04_ctx.lua)

function REP.flush(ctx)
    local p = ctx.rp
    if not p then return end
    ctx.rp = nil
    for _, k in pairs_(p) do
        local key = k.key
        local cur = rcall('HMGET', key, unpk(k.order))
        local args = {'HSET', key}
        for i, d in ipairs_(k.order) do
            -- the figures as text; only those that change are read and written as numbers
            local v, m = {}, 0
            for x in sgmatch(cur[i] or '', '%S+') do m = m + 1; v[m] = x end
            for j = m + 1, #REP.FIGURES do v[j] = '0' end
            for f, n in pairs_(k.dims[d]) do
                local x = REP.idx(f)
                local was = tonum(v[x]) or 0
                v[x] = U.istr(f == 'wait_max_ms' and mmax(was, n) or was + n)
            end
            args[#args + 1] = d
            args[#args + 1] = tconcat(v, ' ')
        end
        rcall(unpk(args))
        -- the archive's mark (84_archive.lua): this interval has figures it has not copied
        if ctx.cfg and ctx.cfg.archive == 1 then
            rcall('HINCRBY', ctx.P .. ':rpd', U.istr(REP.bucket(k.at)), 1)
        end
        -- KEEP_S after the interval's end; a day at least (what a very late end adds stays)
        rcall('EXPIRE', key, mmax(86400, mfloor((REP.bucket(k.at) + REP.BUCKET - ctx.now) / 1000)
            + REP.KEEP_S))
    end
end

function REP.dims(queue, channel, agent)
    local d = {'*'}
    if queue and queue ~= '' then d[#d + 1] = 'q:' .. queue end
    if channel and channel ~= '' then d[#d + 1] = 'c:' .. channel end
    if agent and agent ~= '' then d[#d + 1] = 'a:' .. agent end
    return d
end

REP.FIELDS = {'enq', 'answered', 'updated', 'queue', 'channel', 'agent', 'promised',
    'disposition', 'customer', 'transfers', 'tags', 'state', 'rp'}

-- An ended session (closed, abandoned, expired), once: its figures.
function REP.on_end(ctx, sid)
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, unpk(REP.FIELDS))
    local enq, answered, ended = tonum(v[1]), tonum(v[2]), tonum(v[3]) or ctx.now
    local state = v[12]
    if not enq or not U.TERMINAL[state] or v[13] then return end
    rcall('HSET', key, 'rp', '1')
    local queue, channel = v[4] or '', v[5] or ''
    local agent = answered and v[6] or ''
    local all = REP.dims(queue, channel, agent)
    REP.add(ctx, enq, all, 'offered', 1)
    local wait
    if answered then
        wait = mmax(0, answered - enq)
        REP.add(ctx, enq, all, 'answered', 1)
        REP.add(ctx, enq, all, 'wait_ms', wait)
        REP.add(ctx, enq, all, 'handle_ms', mmax(0, ended - answered))
        if wait <= ctx.cfg.sl_target * 1000 then REP.add(ctx, enq, all, 'sl_met', 1) end
        local promised = tonum(v[7])
        if promised then
            REP.add(ctx, enq, all, 'promised_n', 1)
            REP.add(ctx, enq, all, 'promised_ms', promised)
            REP.add(ctx, enq, all, 'promised_wait_ms', wait)
        end
    else
        wait = mmax(0, ended - enq)
        if state == 'abandoned' then
            REP.add(ctx, enq, all, 'abandoned', 1)
            if wait < ctx.cfg.short_abandon * 1000 then REP.add(ctx, enq, all, 'short_abandoned', 1) end
        elseif state == 'expired' then
            REP.add(ctx, enq, all, 'expired', 1)
        end
    end
    REP.add(ctx, enq, all, 'wait_max_ms', wait)
    local transfers = tonum(v[10]) or 0
    if transfers > 0 then REP.add(ctx, enq, all, 'transfers', transfers) end
    local disp = v[8] or ''
    local means = DSP.of(ctx, disp)
    if means.complaint then
        -- by each tag: the session's, and those its disposition adds
        local d, seen = REP.dims(queue, channel, agent), {}
        for _, list in ipairs_({U.split(v[11] or '', ','), means.tags}) do
            for _, tag in ipairs_(list) do
                if tag ~= '' and not seen[tag] then
                    seen[tag] = true
                    d[#d + 1] = 'g:' .. tag
                end
            end
        end
        REP.add(ctx, enq, d, 'complaints', 1)
    end
    if state == 'closed' and means.lead then
        DSP.forward_lead(ctx, sid, {customer = v[9] or '', channel = channel, queue = queue,
            agent = v[6] or '', disposition = disp, tags = v[11] or '', ended = ended})
    end
    if state == 'closed' and means.resolved then
        REP.add(ctx, enq, all, 'resolved', 1)
        local cid = v[9] and v[9] ~= '' and C.resolve(ctx, v[9])
        if cid and ctx.cfg.fcr_window > 0 then
            rcall('ZADD', ctx.P .. ':fcrz', U.istr(ended + ctx.cfg.fcr_window * 1000),
                tconcat({sid, cid, queue, channel, agent, U.istr(ended), U.istr(REP.bucket(enq))}, '|'))
        end
    end
end

-- A late change of an ended session (its survey answer, its FCR verdict) that the archive
-- (84_archive.lua) has copied already: it waits for the archive again, which updates its
-- row, and its retention starts again from that copy.
function REP.rearchive(ctx, sid)
    if ctx.cfg.archive ~= 1 then return end
    local key = R.skey(ctx, sid)
    if not rcall('HGET', key, 'archived') then return end   -- not copied yet: it will be
    rcall('HDEL', key, 'archived')
    rcall('ZREM', ctx.P .. ':ret', sid)
    rcall('ZADD', ctx.P .. ':arq', ctx.ns, sid)
end

-- The survey answer of session sid (77_survey.lua): scores {csat =, nps =}.
function REP.survey(ctx, sid, scores)
    local v = rcall('HMGET', R.skey(ctx, sid), 'enq', 'queue', 'channel', 'agent', 'answered')
    local enq = tonum(v[1])
    if not enq then return end
    REP.rearchive(ctx, sid)
    local d = REP.dims(v[2], v[3], v[5] and v[4] or '')
    if scores.csat then
        REP.add(ctx, enq, d, 'csat_n', 1)
        REP.add(ctx, enq, d, 'csat_sum', scores.csat)
        if scores.csat >= 4 then REP.add(ctx, enq, d, 'csat_sat', 1) end
    end
    if scores.nps then
        REP.add(ctx, enq, d, 'nps_n', 1)
        if scores.nps >= 9 then REP.add(ctx, enq, d, 'nps_pro', 1) end
        if scores.nps <= 6 then REP.add(ctx, enq, d, 'nps_det', 1) end
    end
end

-- A service-level alert of level lvl fired for session s (80_sla.lua).
function REP.alert(ctx, s, lvl)
    local enq = tonum(s.enq)
    if enq then
        REP.add(ctx, enq, REP.dims(s.queue, s.channel, ''), 'sla' .. lvl, 1)
    end
end

-- The sweep's part (50_sweep.lua): the FCR verdicts due, at most max. A customer who came
-- back to the same queue (any channel) after the close and within the window makes it a
-- no; their history says (a session retired since is not seen: its customer's list lost it).
function SW.fcr(ctx, max_)
    local n = 0
    for _, m in ipairs_(U.due(ctx, ctx.P .. ':fcrz', max_)) do
        local p = U.split(m, '|')
        local sid, cid, queue, channel, agent = p[1], p[2], p[3], p[4], p[5]
        local ended, bucket = tonum(p[6]) or 0, tonum(p[7]) or 0
        local back = false
        local live = C.resolve(ctx, cid)
        for _, other in ipairs_(live and C.hist_recent(C.hist_get(ctx, live), 64) or {}) do
            if other ~= sid then
                local o = rcall('HMGET', R.skey(ctx, other), 'queue', 'enq')
                local t = tonum(o[2])
                if o[1] == queue and t and t > ended and t <= ended + ctx.cfg.fcr_window * 1000 then
                    back = true
                    break
                end
            end
        end
        local d = REP.dims(queue, channel, agent)
        REP.add(ctx, bucket, d, 'fcr_n', 1)
        if not back then REP.add(ctx, bucket, d, 'fcr_ok', 1) end
        -- the verdict on the session too, while it is kept (retention may have removed it)
        if rcall('EXISTS', R.skey(ctx, sid)) == 1 then
            rcall('HSET', R.skey(ctx, sid), 'fcr', back and '0' or '1')
            REP.rearchive(ctx, sid)
        end
        n = n + 1
    end
    return n
end

-- Erlang C: the fewest agents that answer a share goal (0..1) of the calls within t
-- seconds, for a arrivals a second of h seconds' handling; nil when there is no traffic.
-- Erlang B by its recursion (no factorials), then C from it.
function REP.erlang_c(a, h, t, goal)
    local u = a * h                                -- the offered load, in erlangs
    if u <= 0 then return nil end
    local b, n = 1, 0
    while n < 10000 do
        n = n + 1
        b = u * b / (n + u * b)                    -- Erlang B for n agents
        if n > u then
            local c = n * b / (n - u * (1 - b))     -- the chance a call waits
            if 1 - c * math.exp(-(n - u) * t / h) >= goal then return n end
        end
    end
    return nil
end

-- The rates a reader wants, from the sums f (a table figure -> number) of step ms.
function REP.derive(f, ctx, step)
    local function pct(a, b) return b > 0 and sfmt('%.1f', 100 * a / b) or '' end
    local function avg(a, b, k) return b > 0 and sfmt('%.1f', a / b / (k or 1)) or '' end
    local z = function(x) return f[x] or 0 end
    return {
        sl_pct = pct(z('sl_met'), z('answered')),
        asa_s = avg(z('wait_ms'), z('answered'), 1000),
        aht_s = avg(z('handle_ms'), z('answered'), 1000),
        abandon_pct = pct(z('abandoned') - z('short_abandoned'), z('offered') - z('short_abandoned')),
        csat_avg = avg(z('csat_sum'), z('csat_n')),
        csat_pct = pct(z('csat_sat'), z('csat_n')),
        nps = z('nps_n') > 0 and sfmt('%.0f', 100 * (z('nps_pro') - z('nps_det')) / z('nps_n')) or '',
        fcr_pct = pct(z('fcr_ok'), z('fcr_n')),
        agents_available = avg(z('avail_sum'), z('avail_n')),
        agents_needed = (function()
            if not ctx or z('offered') == 0 or z('answered') == 0 or z('handle_ms') == 0 then
                return ''
            end
            local n = REP.erlang_c(z('offered') / (step / 1000), z('handle_ms') / z('answered') / 1000,
                ctx.cfg.sl_target, ctx.cfg.sl_goal / 100)
            return n and U.istr(n) or ''
        end)(),
    }
end

-- The agents available now, in the interval's figures once a minute (the sweep's): the
-- staffing figure is set beside them.
function SW.sample(ctx)
    local key = ctx.P .. ':rp:sample'             -- when the last sample was taken (ms)
    if ctx.now - (tonum(rcall('GET', key)) or 0) < REP.SAMPLE_MS then return end
    rcall('SET', key, ctx.ns)
    local n = rcall('SCARD', ctx.P .. ':avail')
    REP.add(ctx, ctx.now, {'*'}, 'avail_sum', n)
    REP.add(ctx, ctx.now, {'*'}, 'avail_n', 1)
end

-- oq_report from_ms to_ms step_ms by [name]: the figures of the intervals in [from, to) (15-minute
-- aligned), summed per step (900000, 3600000 or 86400000 ms) and per dimension of the kind
-- `by` ('*' the tenant, 'q' queues, 'c' channels, 'a' agents, 'g' complaint tags). Rows
-- [start, <ms>, dim, <name>, figure, value, ...]: every figure of REP.FIGURES (0 where
-- none), then the rates (agents_available: the average of the minute samples of the
-- tenant's available agents; agents_needed: Erlang C's agents for sl_goal % within
-- sl_target s at the step's arrival rate and handle time; sl_pct asa_s
-- aht_s abandon_pct csat_avg csat_pct nps fcr_pct; "" where nothing to divide), in start
-- then name order; name: that dimension's rows alone ("": all). At most 35 days (3,360
-- intervals) a call (a reader). After name, the archive's copies of intervals Redis no
-- longer holds (oq_archive.c reads them from SQL): start_ms dimension figures, ...; an
-- interval Redis holds is read from Redis.
function REP.fn_report(keys, args)
    local ctx = X.begin_ro(keys)
    X.need_cfg(ctx)          -- sl_target, sl_goal: the staffing figure
    if #args ~= 4 and (#args < 5 or (#args - 5) % 3 ~= 0) then
        V.args(args, 4, 'from_ms to_ms step_ms by [name [start_ms dimension figures ...]]')
    end
    local from = V.int('from_ms', args[1], 0, 999999999999999)
    local to = V.int('to_ms', args[2], 0, 999999999999999)
    if not REP.STEPS[args[3]] then U.fail('ARG', 'step_ms must be 900000, 3600000 or 86400000') end
    local by = args[4]
    if by ~= '*' and by ~= 'q' and by ~= 'c' and by ~= 'a' and by ~= 'g' then
        U.fail('ARG', "by must be '*', 'q', 'c', 'a' or 'g'")
    end
    if to <= from then U.fail('ARG', 'to_ms must be after from_ms') end
    if (to - REP.bucket(from)) / REP.BUCKET > 3360 then U.fail('ARG', 'at most 35 days a call') end
    local out, arch = {}, {}
    local only = args[5] ~= '' and args[5] or nil
    for i = 6, #args, 3 do
        local b = V.int('start_ms', args[i], 0, 999999999999999)
        if b % REP.BUCKET ~= 0 then U.fail('ARG', 'an archived start_ms is not an interval\'s') end
        V.str('dimension', args[i + 1], L.TAGS_MAX + 2)
        if not smatch(args[i + 2], '^[%d ]*$') then U.fail('ARG', 'archived figures must be numbers') end
        local a = arch[b]
        if not a then a = {}; arch[b] = a end
        a[#a + 1] = args[i + 1]
        a[#a + 1] = args[i + 2]
    end
    for _, g in ipairs_(REP.groups(ctx, from, to, {[by] = tonum(args[3])}, only, arch)[by]) do
        out[#out + 1] = REP.row({'start', U.istr(g.start), 'dim', g.name}, g.f, ctx, tonum(args[3]))
    end
    return out
end

-- The sums of the intervals in [from, to), for each kind of dimension in want (kind ->
-- step: '*', 'q', 'c', 'a', 'g'), per step and per dimension of that kind (only: its name
-- alone), in one read of each interval: {kind = {{start =, name =, f = {figure = n}}, ...}},
-- in start then name order. arch: start -> [dimension, figures, ...] of intervals Redis
-- no longer holds (the archive's copies).
function REP.groups(ctx, from, to, want, only, arch)
    local groups, order = {}, {}
    for by in pairs_(want) do order[by] = {} end
    for b = REP.bucket(from), to - 1, REP.BUCKET do
        local h = rcall('HGETALL', ctx.P .. ':rp:' .. U.istr(b))
        if #h == 0 and arch and arch[b] then h = arch[b] end
        for i = 1, #h, 2 do
            local d = h[i]
            local by = d == '*' and '*' or ssub(d, 1, 1)
            local step = want[by]
            local name = by == '*' and '*' or ssub(d, 3)
            if step and (d == '*' or ssub(d, 2, 2) == ':') and (not only or name == only) then
                local start = b - b % step
                local k = by .. '\0' .. start .. '\0' .. name
                local g = groups[k]
                if not g then
                    g = {start = start, name = name, f = {}}
                    groups[k] = g
                    order[by][#order[by] + 1] = g
                end
                local v = REP.unpack(h[i + 1])
                for j, fig in ipairs_(REP.FIGURES) do
                    if fig == 'wait_max_ms' then
                        g.f[fig] = mmax(g.f[fig] or 0, v[j])
                    elseif v[j] ~= 0 then
                        g.f[fig] = (g.f[fig] or 0) + v[j]
                    end
                end
            end
        end
    end
    for _, list in pairs_(order) do
        tsort(list, function(x, y)
            if x.start ~= y.start then return x.start < y.start end
            return x.name < y.name
        end)
    end
    return order
end

-- row, then every figure of sums f (0 where none) and the rates.
function REP.row(row, f, ctx, step)
    for _, k in ipairs_(REP.FIGURES) do row[#row + 1] = k; row[#row + 1] = U.istr(f[k] or 0) end
    local d = REP.derive(f, ctx, step)
    for _, k in ipairs_(REP.DERIVED) do row[#row + 1] = k; row[#row + 1] = d[k] end
    return row
end

-- oq_board aid day_ms: a supervisor's wallboard in one read: rows by kind -
--   [kind, queue, name, q, waiting, n, longest_ms, ms, <today's figures of the queue>]
--   [kind, agent, name, aid, agent_name, n, state, s, since, ms, load, n, cap, n, <today's>]
--   [kind, interval, name, <ms>, <the tenant's figures of each 15 minutes of the day>]
--   [kind, tag, name, t, complaints, n]
-- day_ms: the day's start (the desk's midnight). AGENT when aid is no supervisor. The
-- longest wait of a queue is read among its first 64 entries (its order is priority, then
-- age). At most 1,000 agents and U.MAX_QUEUES queues (a reader).
function REP.fn_board(keys, args)
    local ctx = X.begin_ro(keys)
    X.need_cfg(ctx)
    V.args(args, 2, 'aid day_ms')
    local aid = V.id('agent', args[1])
    if not PK.is_supervisor(ctx, aid) then U.fail('AGENT', 'agent ' .. aid .. ' is no supervisor') end
    local day = V.int('day_ms', args[2], 0, 999999999999999)
    local to = day + 86400000
    -- the day's figures by queue, agent and tag, and the tenant's by 15 minutes: one read
    local got = REP.groups(ctx, day, to, {q = 86400000, a = 86400000, g = 86400000,
        ['*'] = REP.BUCKET})
    local function today(by)
        local t = {}
        for _, g in ipairs_(got[by]) do t[g.name] = g.f end
        return t
    end
    local out = {}
    local qf = today('q')
    local qs = rcall('SMEMBERS', ctx.P .. ':queues')
    tsort(qs)
    for i = 1, mmin(#qs, U.MAX_QUEUES) do
        local z = rcall('ZRANGE', ctx.P .. ':q:' .. qs[i], 0, 63, 'WITHSCORES')
        local oldest
        for k = 2, #z, 2 do
            local enq = tonum(z[k]) % 4398046511104       -- the score's low 42 bits
            if not oldest or enq < oldest then oldest = enq end
        end
        out[#out + 1] = REP.row({'kind', 'queue', 'name', qs[i], 'waiting',
            U.istr(rcall('ZCARD', ctx.P .. ':q:' .. qs[i])), 'longest_ms',
            U.istr(oldest and mmax(0, ctx.now - oldest) or 0)}, qf[qs[i]] or {})
    end
    local af = today('a')
    local ids = rcall('SMEMBERS', ctx.P .. ':agents')
    tsort(ids)
    for i = 1, mmin(#ids, 1000) do
        local a = A.load(ctx, ids[i])
        if a then
            local v = rcall('HMGET', A.key(ctx, ids[i]), 'name', 'state_at')
            out[#out + 1] = REP.row({'kind', 'agent', 'name', ids[i], 'agent_name', v[1] or '',
                'state', Q.agent_state(ctx, a), 'since', v[2] or '', 'load', U.istr(a.lt),
                'cap', U.istr(a.ct)}, af[ids[i]] or {})
        end
    end
    for _, g in ipairs_(got['*']) do
        out[#out + 1] = REP.row({'kind', 'interval', 'name', U.istr(g.start)}, g.f, ctx, REP.BUCKET)
    end
    for _, g in ipairs_(got.g) do
        out[#out + 1] = {'kind', 'tag', 'name', g.name, 'complaints', U.istr(g.f.complaints or 0)}
    end
    return out
end
