-- 10_customer.lua — customers, their identities, linking and merging.
--
-- A customer is reached through any of its identities: P:ident maps the
-- canonical form of each identity to a customer id, P:c:<cid>:ids keeps the
-- identities as they were given (for display and for re-canonicalising when
-- customers merge). Customer ids are decimal INCRs of P:seq:c.
--
-- Merging is the delicate part. A merge must lose nothing, yet we refuse to
-- walk a customer's whole history in Lua (a loyal customer has thousands of
-- sessions and the call would stall every other client). So:
--   * history moves with one ZUNIONSTORE (done by Redis in C, not a Lua loop);
--   * identities are re-pointed one by one, which is fine because a customer
--     has a handful of them; the set is capped at MAX_IDENTITIES so the loop
--     stays bounded;
--   * session hashes keep the cid they were created with. The merged-away
--     customer keeps a tombstone with `merged_into`, and every write that
--     goes through a session's customer (last_agent on accept, last_csat)
--     follows that chain with cust_resolve(). Chains are short (a merge of
--     an already merged customer is refused), bounded at 16 hops anyway.

local MAX_IDENTITIES = 1024
local PROFILE_FIELDS = {name = true, tier = true, language = true, region = true}

local function cust_key(ctx, cid)
    return ctx.P .. ':c:' .. cid
end

-- Follow merged_into to the live customer; nil when cid does not exist.
local function cust_resolve(ctx, cid)
    for _ = 1, 16 do
        local v = redis.call('HMGET', cust_key(ctx, cid), 'id', 'merged_into')
        if not v[1] then return nil end
        if not v[2] or v[2] == '' then return cid end
        cid = v[2]
    end
    return cid
end

local function cust_create(ctx, ident, canon)
    local cid = tostring(redis.call('INCR', ctx.P .. ':seq:c'))
    redis.call('HSET', cust_key(ctx, cid), 'id', cid, 'created', istr(ctx.now))
    redis.call('HSET', ctx.P .. ':ident', canon, cid)
    redis.call('SADD', cust_key(ctx, cid) .. ':ids', ident)
    return cid
end

local function cust_attach(ctx, cid, ident, canon)
    redis.call('HSET', ctx.P .. ':ident', canon, cid)
    redis.call('SADD', cust_key(ctx, cid) .. ':ids', ident)
end

-- The agent this customer should go back to, or nil: only within the
-- affinity window, measured from the last accept.
local function cust_pref_agent(ctx, cid)
    if ctx.cfg.affinity_window <= 0 or cid == nil or cid == '' then return nil end
    local v
    for _ = 1, 16 do
        v = redis.call('HMGET', cust_key(ctx, cid), 'merged_into', 'last_agent', 'last_agent_at')
        if not v[1] or v[1] == '' then break end
        cid = v[1]
    end
    if not v[2] or v[2] == '' then return nil end
    if ctx.now - num(v[3], 0) > ctx.cfg.affinity_window * 1000 then return nil end
    return v[2]
end

-- Live customer and preferred agent in one read for the common case of an
-- unmerged customer (the enqueue hot path); merged ones take the general
-- route above. Returns live cid (or the given one when it has no hash, as
-- cust_resolve's callers do) and the preferred agent or nil.
local function cust_live_pref(ctx, cid)
    local v = redis.call('HMGET', cust_key(ctx, cid), 'id', 'merged_into', 'last_agent', 'last_agent_at')
    if v[1] and v[2] and v[2] ~= '' then
        local live = cust_resolve(ctx, cid) or cid
        return live, cust_pref_agent(ctx, live)
    end
    if not v[1] or ctx.cfg.affinity_window <= 0 or not v[3] or v[3] == '' then return cid, nil end
    if ctx.now - num(v[4], 0) > ctx.cfg.affinity_window * 1000 then return cid, nil end
    return cid, v[3]
end

-- Checks for a merge; raises before anything is written.
local function merge_check(ctx, from, into)
    if from == into then fail('ARG', 'cannot merge a customer into itself') end
    local f = redis.call('HMGET', cust_key(ctx, from), 'id', 'merged_into')
    local t = redis.call('HMGET', cust_key(ctx, into), 'id', 'merged_into')
    if not f[1] then fail('NOTFOUND', 'customer ' .. from) end
    if not t[1] then fail('NOTFOUND', 'customer ' .. into) end
    if f[2] and f[2] ~= '' then fail('STATE', 'customer ' .. from .. ' already merged into ' .. f[2]) end
    if t[2] and t[2] ~= '' then fail('STATE', 'customer ' .. into .. ' is merged into ' .. t[2]) end
    local n = redis.call('SCARD', cust_key(ctx, from) .. ':ids')
              + redis.call('SCARD', cust_key(ctx, into) .. ':ids')
    if n > MAX_IDENTITIES then
        fail('CAPACITY', 'a customer may have at most ' .. MAX_IDENTITIES .. ' identities')
    end
end

local function merge_do(ctx, from, into)
    local fk, tk = cust_key(ctx, from), cust_key(ctx, into)
    local ids = redis.call('SMEMBERS', fk .. ':ids')
    for _, ident in ipairs(ids) do
        local ok, canon = pcall(canon_identity, ident)
        if ok then redis.call('HSET', ctx.P .. ':ident', canon, into) end
    end
    -- Identities that were stored under a canonical form only (never as
    -- given) do not exist: cust_create/cust_attach always write both.
    redis.call('SUNIONSTORE', tk .. ':ids', tk .. ':ids', fk .. ':ids')
    redis.call('DEL', fk .. ':ids')
    redis.call('ZUNIONSTORE', tk .. ':hist', 2, tk .. ':hist', fk .. ':hist', 'AGGREGATE', 'MIN')
    redis.call('DEL', fk .. ':hist')
    -- Profile: keep what `into` has, fill its gaps from `from`; the most
    -- recent last_agent wins because that is the one affinity should use.
    local names = {'name', 'tier', 'language', 'region', 'last_agent', 'last_agent_at', 'last_csat'}
    local fv = redis.call('HMGET', fk, unpack(names))
    local tv = redis.call('HMGET', tk, unpack(names))
    local upd = {}
    for i = 1, 4 do
        if (not tv[i] or tv[i] == '') and fv[i] and fv[i] ~= '' then
            upd[#upd + 1] = names[i]; upd[#upd + 1] = fv[i]
        end
    end
    if fv[5] and fv[5] ~= '' and num(fv[6], 0) > num(tv[6], -1) then
        upd[#upd + 1] = 'last_agent'; upd[#upd + 1] = fv[5]
        upd[#upd + 1] = 'last_agent_at'; upd[#upd + 1] = fv[6]
        if fv[7] and fv[7] ~= '' then upd[#upd + 1] = 'last_csat'; upd[#upd + 1] = fv[7] end
    elseif (not tv[7] or tv[7] == '') and fv[7] and fv[7] ~= '' then
        upd[#upd + 1] = 'last_csat'; upd[#upd + 1] = fv[7]
    end
    if #upd > 0 then redis.call('HSET', tk, unpack(upd)) end
    redis.call('HSET', fk, 'merged_into', into)
    emit(ctx, 'merge', '', '', '', from .. '>' .. into)
end

---------------------------------------------------------------------------
-- Handlers
---------------------------------------------------------------------------

-- oq_link where one identity (known) already has customer cid: the other
-- (given spelling other, canonical canon_other) joins it.
local function link_to_known(ctx, cid, known, other, canon_other)
    if redis.call('SCARD', cust_key(ctx, cid) .. ':ids') >= MAX_IDENTITIES then
        fail('CAPACITY', 'too many identities')
    end
    cust_attach(ctx, cid, other, canon_other)
    redis.call('SADD', cust_key(ctx, cid) .. ':ids', known)
    return cid
end

local function fn_link(keys, args)
    local ctx = begin(keys)
    need_args(args, 2, 'ident_a ident_b')
    local a, b = args[1], args[2]
    local ca, cb = canon_identity(a), canon_identity(b)
    local ida = redis.call('HGET', ctx.P .. ':ident', ca)
    local idb = redis.call('HGET', ctx.P .. ':ident', cb)
    if ida and idb then
        if ida == idb then
            -- Same customer; still record the identity as given if new.
            redis.call('SADD', cust_key(ctx, ida) .. ':ids', a, b)
            return ida
        end
        merge_check(ctx, idb, ida)
        merge_do(ctx, idb, ida)
        redis.call('SADD', cust_key(ctx, ida) .. ':ids', a, b)
        return ida
    elseif ida then
        return link_to_known(ctx, ida, a, b, cb)
    elseif idb then
        return link_to_known(ctx, idb, b, a, ca)
    end
    local cid = cust_create(ctx, a, ca)
    cust_attach(ctx, cid, b, cb)
    return cid
end

local function fn_merge(keys, args)
    local ctx = begin(keys)
    need_args(args, 2, 'cid_from cid_into')
    local from, into = v_cid(args[1]), v_cid(args[2])
    merge_check(ctx, from, into)
    merge_do(ctx, from, into)
    return 'OK'
end

local function fn_customer_set(keys, args)
    local ctx = begin(keys)
    if #args < 3 or #args % 2 ~= 1 then
        fail('ARG', 'wrong number of arguments, expected: cid field value [field value...]')
    end
    local cid = v_cid(args[1])
    local upd = {}
    for i = 2, #args, 2 do
        if not PROFILE_FIELDS[args[i]] then
            fail('ARG', 'field must be one of name, tier, language, region')
        end
        v_str(args[i], args[i + 1], MAX_ID, true)
        upd[#upd + 1] = args[i]; upd[#upd + 1] = args[i + 1]
    end
    local live = cust_resolve(ctx, cid)
    if not live then fail('NOTFOUND', 'customer ' .. cid) end
    redis.call('HSET', cust_key(ctx, live), unpack(upd))
    return 'OK'
end
