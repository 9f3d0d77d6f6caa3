-- 56_nodes.lua — nodes that hold contacts in their memory (the table `ND`).
--
-- A phone call waits in a SIP transaction of one kamailio and talks through its dialog: a
-- session opened with a node (oq_enqueue's 8th argument) belongs to that node, and is in
-- P:node:<node> (a set) from its enqueue until it ends. Each such node renews a lease:
--   P:nodes  zset, node → the end of its lease (ms)
-- oq_node_lease(node, ttl_ms, start) renews the caller's lease; with start "1" (a node that
-- starts: whatever it held before is gone with its memory) it first ends every session it
-- owned. Every call also looks for nodes whose lease has run out (their kamailio died and
-- nobody restarted it): their calls are gone, so their sessions end here - queued or
-- offered: abandoned; active or in wrap-up: closed - with `reason` node_lost, and the lease
-- is dropped once nothing of the node is left. Returns the sessions it ended.

local ND = {}

local LOST_NODES, LOST_MAX = 4, 256      -- dead nodes and sessions handled per call

-- End the sessions node owns (at most max): abandoned or closed, reason recorded.
local function end_owned(ctx, node, reason, max)
    local n = 0
    for _, sid in ipairs_(rcall('SPOP', ctx.P .. ':node:' .. node, max)) do
        local s = R.sess_load(ctx, sid)
        if s and s.node == node then
            local extra = {'reason', reason}
            if s.state == 'queued' or s.state == 'offered' then
                S.abandon(ctx, s, extra)
                n = n + 1
            elseif s.state == 'active' or s.state == 'wrapup' then
                S.finish(ctx, s, extra)
                n = n + 1
            end
        end
    end
    return n
end

function ND.fn_node_lease(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'node ttl_ms start')
    local node = V.id('node', args[1])
    local ttl = V.int('ttl_ms', args[2], 1000, 3600000)
    if args[3] ~= '0' and args[3] ~= '1' then U.fail('ARG', 'start must be 0 or 1') end
    local n = 0
    if args[3] == '1' then
        local left = 100000
        while left > 0 and rcall('SCARD', ctx.P .. ':node:' .. node) > 0 do
            local k = end_owned(ctx, node, 'node_restarted', mmin(left, 1000))
            left = left - 1000
            n = n + k
        end
    end
    rcall('ZADD', ctx.P .. ':nodes', U.istr(ctx.now + ttl), node)
    for _, dead in ipairs_(rcall('ZRANGE', ctx.P .. ':nodes', '-inf', '(' .. ctx.ns, 'BYSCORE',
            'LIMIT', 0, LOST_NODES)) do
        n = n + end_owned(ctx, dead, 'node_lost', LOST_MAX)
        if rcall('EXISTS', ctx.P .. ':node:' .. dead) == 0 then
            rcall('ZREM', ctx.P .. ':nodes', dead)
        end
    end
    return U.dec(n), ctx
end
