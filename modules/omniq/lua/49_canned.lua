-- 49_canned.lua — saved replies (the table `CN`): answers an agent would otherwise type
-- again and again, picked in the desk with "/" and their name.
--
--   oq_canned_set(aid, name, text)   aid '': the tenant's, for every agent (kamcmd, REST);
--                                    else that agent's own. text '': deleted
--   oq_canned_list(aid)              rows {name, text, scope}: the agent's own and the
--                                    tenant's, sorted by name; an agent's own shadows the
--                                    tenant's of the same name (scope 'mine' / 'team')
--
-- P:canned and P:a:<aid>:canned, hashes name -> text; names are ids (V.id), texts up to
-- CANNED_TEXT_MAX bytes, at most CANNED_MAX in each.

local CN = {}

local fail = U.fail

local function key(ctx, aid)
    return aid == '' and ctx.P .. ':canned' or A.key(ctx, aid) .. ':canned'
end

function CN.fn_canned_set(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'aid name text')
    local aid = args[1] == '' and '' or V.id('agent id', args[1])
    local name, text = V.id('name', args[2]), args[3]
    if type_(text) ~= 'string' or #text > L.CANNED_TEXT_MAX then
        fail('ARG', 'text longer than ' .. L.CANNED_TEXT_MAX .. ' bytes')
    end
    if sfind(text, '%z') then fail('ARG', 'text contains a NUL byte') end
    if aid ~= '' then A.must_exist(ctx, aid) end
    local k = key(ctx, aid)
    if text == '' then
        if rcall('HDEL', k, name) == 0 then fail('NOTFOUND', 'saved reply ' .. name) end
        return 'OK'
    end
    if rcall('HEXISTS', k, name) == 0 and rcall('HLEN', k) >= L.CANNED_MAX then
        fail('CAPACITY', 'already ' .. L.CANNED_MAX .. ' saved replies: delete one first')
    end
    rcall('HSET', k, name, text)
    return 'OK'
end

function CN.fn_canned_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'aid')
    local aid = V.id('agent id', args[1])
    A.must_exist(ctx, aid)
    local by = {}
    local team = rcall('HGETALL', key(ctx, ''))
    for i = 1, #team, 2 do by[team[i]] = {team[i + 1], 'team'} end
    local mine = rcall('HGETALL', key(ctx, aid))
    for i = 1, #mine, 2 do by[mine[i]] = {mine[i + 1], 'mine'} end
    local names = {}
    for n in pairs_(by) do names[#names + 1] = n end
    tsort(names)
    local out = {}
    for _, n in ipairs_(names) do
        out[#out + 1] = {'name', n, 'text', by[n][1], 'scope', by[n][2]}
    end
    return out
end
