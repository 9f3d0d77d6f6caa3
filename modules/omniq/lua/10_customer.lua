-- 10_customer.lua — customers, their identities, linking and merging (the table `C`).
--
-- A customer is reached through any of its identities: P:ident maps the canonical form of
-- each identity to a customer id; the customer hash P:c:<cid> keeps the identities as
-- they were given in its field `ids` (a comma list: a handful per customer, read with the
-- hash anyway, so no key of its own to create on every new contact). Customer ids are
-- decimal INCRs of P:seq:c. The string P:c:<cid>:h lists the customer's sessions still in
-- Redis, oldest first (a comma list of ids, which grow with time: the order of creation),
-- at most HIST_MAX (older ones are in the archive): a new session is one APPEND, no read;
-- the sweep takes a session out when it leaves Redis (retention), and the key goes with the
-- last one. A string of its own rather than a sorted set (a listpack to create per new
-- customer) or a field of the customer's hash (a hash with a value over 64 bytes becomes a
-- hash table for good, so a loyal customer's record would never shrink back).
--
-- Merging is the delicate part. A merge must lose nothing, yet we refuse to walk a
-- customer's whole history in Lua (a loyal customer has thousands of sessions and the
-- call would stall every other client). So:
--   * history moves with one ZUNIONSTORE (done by Redis in C, not a Lua loop);
--   * identities are re-pointed one by one, which is fine because a customer has a handful
--     of them; they are capped at L.IDENTITIES_MAX so the loop stays bounded;
--   * session hashes keep the cid they were created with. The merged-away customer keeps a
--     tombstone with `merged_into`, and every write that goes through a session's customer
--     (last_agent on accept, last_csat) follows that chain with C.resolve(). Chains are
--     short (a merge of an already merged customer is refused), bounded at 16 hops anyway.

local C = {}

C.HIST_MAX = 1000

-- The customer's sessions (oldest first) as stored: ",sid,sid...".
function C.hist_get(ctx, cid)
    return ssub(rcall('GET', ctx.P .. ':c:' .. cid .. ':h') or '', 2)
end

-- The customer's sessions, newest first, at most n.
function C.hist_recent(h, n)
    local list, out = U.split(h or '', ','), {}
    for i = #list, mmax(1, #list - n + 1), -1 do out[#out + 1] = list[i] end
    return out
end

local fail, istr = U.fail, U.istr
-- channel: the one the customer prefers to be contacted on (a follow-up's, 79_followup.lua)
-- surveys: 'no' when the customer opted out of surveys (77_survey.lua), '' when asked
local PROFILE_FIELDS = {name = true, tier = true, language = true, region = true, channel = true,
    surveys = true}

function C.key(ctx, cid)
    return ctx.P .. ':c:' .. cid
end

-- Follow merged_into to the live customer; nil when cid does not exist.
function C.resolve(ctx, cid)
    for _ = 1, 16 do
        local v = rcall('HMGET', C.key(ctx, cid), 'id', 'merged_into')
        if not v[1] then return nil end
        if not v[2] or v[2] == '' then return cid end
        cid = v[2]
    end
    return cid
end

-- The customer of an identity for a new contact: {cid, pref, ids} where pref is the agent
-- the customer should go back to (its last agent within the affinity window) and ids the
-- identities as given; nil when the identity is unknown. One read for an unmerged
-- customer, the common case.
function C.for_contact(ctx, canon)
    local cid = rcall('HGET', ctx.P .. ':ident', canon)
    if not cid then return nil end
    local v = rcall('HMGET', C.key(ctx, cid), 'id', 'merged_into', 'last_agent', 'last_agent_at', 'ids')
    if v[1] and v[2] and v[2] ~= '' then
        local live = C.resolve(ctx, cid) or cid
        cid = live
        v = rcall('HMGET', C.key(ctx, cid), 'id', 'merged_into', 'last_agent', 'last_agent_at', 'ids')
    end
    local pref = nil
    if v[1] and ctx.cfg.affinity_window > 0 and v[3] and v[3] ~= ''
        and ctx.now - U.num(v[4], 0, 'last_agent_at') <= ctx.cfg.affinity_window * 1000 then
        pref = v[3]
    end
    return {cid = cid, pref = pref, ids = v[5] or '', exists = v[1] ~= nil}
end

-- A session leaving Redis leaves its customer's history.
function C.hist_del(ctx, cid, sid)
    local live = cid and cid ~= '' and C.resolve(ctx, cid)
    if not live then return end
    local key = ctx.P .. ':c:' .. live .. ':h'
    local h = rcall('GET', key)
    if not h or not sfind(h .. ',', ',' .. sid .. ',', 1, true) then return end
    h = U.list_del(ssub(h, 2), sid)
    if h == '' then rcall('DEL', key) else rcall('SET', key, ',' .. h) end
end

-- Remember an identity as given (sms:+1.. next to phone:+1..): the channels reply to the
-- address they know. No write when the customer has it already.
function C.note_ident(ctx, cust, ident)
    if not cust.exists or U.list_has(cust.ids, ident) then return end
    if #U.split(cust.ids, ',') >= L.IDENTITIES_MAX then return end
    cust.ids = U.list_add(cust.ids, ident)
    rcall('HSET', C.key(ctx, cust.cid), 'ids', cust.ids)
end

-- The agent this customer should go back to, or nil: only within the affinity window,
-- measured from the last accept.
function C.pref_agent(ctx, cid)
    if ctx.cfg.affinity_window <= 0 or cid == nil or cid == '' then return nil end
    local v
    for _ = 1, 16 do
        v = rcall('HMGET', C.key(ctx, cid), 'merged_into', 'last_agent', 'last_agent_at')
        if not v[1] or v[1] == '' then break end
        cid = v[1]
    end
    if not v[2] or v[2] == '' then return nil end
    if ctx.now - U.num(v[3], 0, 'last_agent_at') > ctx.cfg.affinity_window * 1000 then return nil end
    return v[2]
end

function C.ids(ctx, cid)
    return U.split(rcall('HGET', C.key(ctx, cid), 'ids') or '', ',')
end

-- Checks for a merge; raises before anything is written.
local function merge_check(ctx, from, into)
    if from == into then fail('ARG', 'cannot merge a customer into itself') end
    local f = rcall('HMGET', C.key(ctx, from), 'id', 'merged_into', 'ids')
    local t = rcall('HMGET', C.key(ctx, into), 'id', 'merged_into', 'ids')
    if not f[1] then fail('NOTFOUND', 'customer ' .. from) end
    if not t[1] then fail('NOTFOUND', 'customer ' .. into) end
    if f[2] and f[2] ~= '' then fail('STATE', 'customer ' .. from .. ' already merged into ' .. f[2]) end
    if t[2] and t[2] ~= '' then fail('STATE', 'customer ' .. into .. ' is merged into ' .. t[2]) end
    local ids = U.split(t[3] or '', ',')
    local have = U.set_of(ids)
    for _, i in ipairs_(U.split(f[3] or '', ',')) do
        if not have[i] then ids[#ids + 1] = i; have[i] = true end
    end
    if #ids > L.IDENTITIES_MAX then
        fail('CAPACITY', 'a customer may have at most ' .. L.IDENTITIES_MAX .. ' identities')
    end
    return U.split(f[3] or '', ','), ids
end

local function merge_do(ctx, from, into, from_ids, all_ids)
    local fk, tk = C.key(ctx, from), C.key(ctx, into)
    for _, ident in ipairs_(from_ids) do
        local ok, canon = pcall_(V.identity, ident)
        if ok then rcall('HSET', ctx.P .. ':ident', canon, into) end
    end
    -- Profile: keep what `into` has, fill its gaps from `from`; the most recent last_agent
    -- wins because that is the one affinity should use.
    local names = {'name', 'tier', 'language', 'region', 'last_agent', 'last_agent_at', 'last_csat'}
    local fv = rcall('HMGET', fk, unpk(names))
    local tv = rcall('HMGET', tk, unpk(names))
    -- the histories joined in creation order (ids grow with time), cut to HIST_MAX
    local hist = U.split(C.hist_get(ctx, into), ',')
    for _, sid in ipairs_(U.split(C.hist_get(ctx, from), ',')) do hist[#hist + 1] = sid end
    tsort(hist, U.id_lt)
    if #hist > C.HIST_MAX then hist = {unpk(hist, #hist - C.HIST_MAX + 1)} end
    if #hist > 0 then rcall('SET', tk .. ':h', ',' .. tconcat(hist, ',')) end
    rcall('DEL', fk .. ':h')
    local upd = {'ids', tconcat(all_ids, ',')}
    for i = 1, 4 do
        if (not tv[i] or tv[i] == '') and fv[i] and fv[i] ~= '' then
            upd[#upd + 1] = names[i]; upd[#upd + 1] = fv[i]
        end
    end
    if fv[5] and fv[5] ~= '' and U.num(fv[6], 0) > U.num(tv[6], -1) then
        upd[#upd + 1] = 'last_agent'; upd[#upd + 1] = fv[5]
        upd[#upd + 1] = 'last_agent_at'; upd[#upd + 1] = fv[6]
        if fv[7] and fv[7] ~= '' then upd[#upd + 1] = 'last_csat'; upd[#upd + 1] = fv[7] end
    elseif (not tv[7] or tv[7] == '') and fv[7] and fv[7] ~= '' then
        upd[#upd + 1] = 'last_csat'; upd[#upd + 1] = fv[7]
    end
    rcall('HSET', tk, unpk(upd))
    rcall('HSET', fk, 'merged_into', into, 'ids', '')
    X.emit(ctx, 'merge', '', '', '', '', '', {'reason', from .. '>' .. into})
end

function C.merge(ctx, from, into)
    local from_ids, all = merge_check(ctx, from, into)
    merge_do(ctx, from, into, from_ids, all)
end

---------------------------------------------------------------------------
-- Handlers
---------------------------------------------------------------------------

-- Add identities as given to a customer's `ids` (the canonical ones point at it already).
local function add_ids(ctx, cid, list)
    local ids = rcall('HGET', C.key(ctx, cid), 'ids') or ''
    local n, changed = #U.split(ids, ','), false
    for _, i in ipairs_(list) do
        if not U.list_has(ids, i) then
            if n >= L.IDENTITIES_MAX then fail('CAPACITY', 'too many identities') end
            ids, n, changed = U.list_add(ids, i), n + 1, true
        end
    end
    return ids, changed
end

function C.fn_link(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'ident_a ident_b')
    local a, b = args[1], args[2]
    local ca, cb = V.identity(a), V.identity(b)
    local ida = rcall('HGET', ctx.P .. ':ident', ca)
    local idb = rcall('HGET', ctx.P .. ':ident', cb)
    local cid
    if ida and idb and ida ~= idb then
        local from_ids, all = merge_check(ctx, idb, ida)
        local have = U.set_of(all)
        for _, i in ipairs_({a, b}) do
            if not have[i] then all[#all + 1] = i; have[i] = true end
        end
        if #all > L.IDENTITIES_MAX then fail('CAPACITY', 'too many identities') end
        merge_do(ctx, idb, ida, from_ids, all)
        return ida
    end
    cid = ida or idb
    if cid then
        local ids, changed = add_ids(ctx, cid, {a, b})
        if changed then rcall('HSET', C.key(ctx, cid), 'ids', ids) end
        rcall('HSET', ctx.P .. ':ident', ca, cid, cb, cid)
        return cid
    end
    if b == a then return C.create(ctx, {a}, {ca}) end
    return C.create(ctx, {a, b}, {ca, cb})
end

-- A new customer of identities ids (as given; their canonical forms canons, none known yet):
-- its cid.
function C.create(ctx, ids, canons)
    local cid = istr(rcall('INCR', ctx.P .. ':seq:c'))
    rcall('HSET', C.key(ctx, cid), 'id', cid, 'created', ctx.ns, 'ids', tconcat(ids, ','))
    for _, c in ipairs_(canons) do rcall('HSET', ctx.P .. ':ident', c, cid) end
    return cid
end

function C.fn_merge(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'cid_from cid_into')
    local from, into = V.cid(args[1]), V.cid(args[2])
    C.merge(ctx, from, into)
    return 'OK'
end

function C.fn_customer_set(keys, args)
    local ctx = X.begin_ro(keys)
    if #args < 3 or #args % 2 ~= 1 then
        fail('ARG', 'wrong number of arguments, expected: cid field value [field value...]')
    end
    local cid = V.cid(args[1])
    local upd = {}
    for i = 2, #args, 2 do
        if not PROFILE_FIELDS[args[i]] then
            fail('ARG', 'field must be one of name, tier, language, region, channel, surveys')
        end
        V.str(args[i], args[i + 1], L.TEXT_MAX, true)
        if args[i] == 'channel' and args[i + 1] ~= '' then V.channel(args[i + 1]) end
        if args[i] == 'surveys' and args[i + 1] ~= '' and args[i + 1] ~= 'no' then
            fail('ARG', "surveys must be 'no' (asked no more) or '' (asked)")
        end
        upd[#upd + 1] = args[i]; upd[#upd + 1] = args[i + 1]
    end
    local live = C.resolve(ctx, cid)
    if not live then fail('NOTFOUND', 'customer ' .. cid) end
    rcall('HSET', C.key(ctx, live), unpk(upd))
    return 'OK'
end
