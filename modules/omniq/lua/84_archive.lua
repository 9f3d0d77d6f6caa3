-- 84_archive.lua — what the archive takes out of Redis (the table `ARC`): ended sessions
-- and the reports' intervals, for an SQL database that keeps them after Redis lets them go
-- (the omniq module's archive process, oq_archive.c; docs/admin.md "The SQL archive").
--
-- With the setting `archive` on, an ended session waits in P:arq (scored by its end) until
-- the archive says it has it (oq_archived); its retention counts from then (40_session.lua).
-- Every write of an interval's figures (76_report.lua, REP.flush) marks the interval in
-- P:rpd (hash: interval ms -> how many writes): the archive copies an interval once it has
-- ended and again after a late write (a survey answer, an FCR verdict), and clears the mark
-- only if no write came between its read and its copy (oq_intervals_archived).
-- Nothing here deletes what the archive has not confirmed: a database that is down delays
-- the archive, and every call here can be repeated.

local ARC = {
    READ_MAX = 100,               -- sessions per oq_archive_read
    READ_BYTES = 4 * 1048576,     -- a read stops adding sessions past this many bytes
    LOOK_WAIT_MS = 60000,         -- how long a session waits for the sweep's look
}

-- oq_archived sid [sid ...]: the archive has taken these ended sessions (with `archive`
-- on); from now on each leaves Redis when its retention, counted from its end, is over.
-- Returns how many were waiting for it.
function ARC.fn_archived(keys, args)
    local ctx = X.begin(keys)
    if #args < 1 or #args > 1000 then U.fail('ARG', 'expected 1..1000 session ids') end
    for i = 1, #args do V.sid(args[i]) end
    local n = 0
    for i = 1, #args do
        local ended = rcall('ZSCORE', ctx.P .. ':arq', args[i])
        if ended then
            rcall('ZREM', ctx.P .. ':arq', args[i])
            rcall('ZADD', ctx.P .. ':ret', U.istr(mmax(ctx.now, tonum(ended)
                + ctx.cfg.retention * 1000)), args[i])
            -- (a session whose keys went by hand is not made again)
            if rcall('EXISTS', R.skey(ctx, args[i])) == 1 then
                rcall('HSET', R.skey(ctx, args[i]), 'archived', ctx.ns)
            end
            n = n + 1
        end
    end
    return n
end

-- oq_archive_pending count: the ended sessions the archive has not taken yet, oldest
-- first: [sid, ended ms, ...], count 1..1000 (the archive's work list).
function ARC.fn_archive_pending(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'count')
    local count = V.int('count', args[1], 1, 1000)
    return rcall('ZRANGE', ctx.P .. ':arq', 0, count - 1, 'WITHSCORES')
end

-- oq_archive_read count: the oldest ended sessions waiting for the archive, whole, each
-- [sid, ended ms, [field, value, ...] (its hash), [entry id, [field, value, ...], ...]
-- (its transcript)], at most count (1..100) and, past the first, about READ_BYTES of
-- transcript in all. A session whose keys are gone (removed by hand) comes with an empty
-- hash: the archive records that it ended and lets it go. One the sweep has not looked at
-- since it ended (its figures, its survey question: 80_sla.lua; `rp` unset) waits for that
-- look, at most LOOK_WAIT_MS, so that its first copy has them.
function ARC.fn_archive_read(keys, args)
    local ctx = X.begin_ro(keys)
    X.need_cfg(ctx)
    V.args(args, 1, 'count')
    local count = V.int('count', args[1], 1, ARC.READ_MAX)
    local z = rcall('ZRANGE', ctx.P .. ':arq', 0, count - 1, 'WITHSCORES')
    local out, bytes = {}, 0
    for i = 1, #z, 2 do
        local key = R.skey(ctx, z[i])
        local h = rcall('HGETALL', key)
        local m = U.map(h)
        if not m.state or m.rp or tonum(z[i + 1]) <= ctx.now - ARC.LOOK_WAIT_MS then
            local tx = rcall('XRANGE', key .. ':tx', '-', '+')
            local size = 0
            for _, e in ipairs_(tx) do
                local f = e[2]
                for j = 2, #f, 2 do size = size + #f[j] end
            end
            if #out > 0 and bytes + size > ARC.READ_BYTES then break end
            bytes = bytes + size
            out[#out + 1] = {z[i], z[i + 1], h, tx}
        end
    end
    return out
end

-- oq_archive_intervals count: intervals written since the archive last copied them that
-- have ended (start + 15 min before now), at most count (1..100), oldest first:
-- [[start ms, mark, [dimension, figures, ...]], ...]. An interval whose figures are gone
-- (expired) comes with none.
function ARC.fn_archive_intervals(keys, args)
    local ctx = X.begin_ro(keys)
    X.need_cfg(ctx)
    V.args(args, 1, 'count')
    local count = V.int('count', args[1], 1, 100)
    local marks = rcall('HGETALL', ctx.P .. ':rpd')
    local due = {}
    for i = 1, #marks, 2 do
        local b = tonum(marks[i])
        if b and b + REP.BUCKET <= ctx.now then due[#due + 1] = {b, marks[i + 1]} end
    end
    tsort(due, function(x, y) return x[1] < y[1] end)
    local out = {}
    for i = 1, mmin(#due, count) do
        local b = U.istr(due[i][1])
        out[i] = {b, due[i][2], rcall('HGETALL', ctx.P .. ':rp:' .. b)}
    end
    return out
end

-- oq_intervals_archived start mark [start mark ...]: the archive has copied these
-- intervals as oq_archive_intervals read them; a mark that moved since (a write after the
-- read) stays for the next copy. Returns how many marks were cleared.
function ARC.fn_intervals_archived(keys, args)
    local ctx = X.begin_ro(keys)
    if #args < 2 or #args > 200 or #args % 2 ~= 0 then
        U.fail('ARG', 'expected 1..100 pairs of start_ms mark')
    end
    for i = 1, #args do V.int(i % 2 == 1 and 'start_ms' or 'mark', args[i], 0, 999999999999999) end
    local n = 0
    for i = 1, #args, 2 do
        if rcall('HGET', ctx.P .. ':rpd', args[i]) == args[i + 1] then
            rcall('HDEL', ctx.P .. ':rpd', args[i])
            n = n + 1
        end
    end
    return n
end
