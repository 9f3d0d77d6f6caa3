-- 76_media.lua — media a channel's provider keeps (a WeChat voice message or photo, an MMS
-- picture), fetched only when an agent opens it (the table `MD`). The customer's message
-- names it by a key; the bytes come later, from the channel's sender, which alone may call
-- the provider.
--
--   oq_media_ref key channel ref ttl_ms    a new key for the channel's own handle of the
--                                          file (ref, e.g. "<appid>:<media_id>"): OK
--   oq_media_open key                      {state, channel, ref, type, reason, ask[, data]}:
--                                          state pending | ready | failed; ask 1 when the
--                                          caller should queue the fetch now (pending and
--                                          nobody asked in MEDIA_ASK_MS); data when ready.
--                                          NOTFOUND when unknown or expired.
--   oq_media_put key type data reason ttl_ms
--                                          the fetched bytes (ready), or reason with no data
--                                          (failed: the provider's words); kept ttl_ms
--
-- P:md:<key> (hash: ch ref st type why asked data), with its own expiry. Keys are 32
-- lower-case hex digits made by the caller from a random source.

local MD = {}   -- its helpers are fields too: the library's main chunk is near Lua's 200 locals

function MD.key(ctx, v)
    if type_(v) ~= 'string' or not smatch(v, '^[0-9a-f]+$') or #v ~= 32 then
        U.fail('ARG', 'key must be 32 lower-case hex digits')
    end
    return ctx.P .. ':md:' .. v
end

function MD.fn_ref(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 4, 'key channel ref ttl_ms')
    local k = MD.key(ctx, args[1])
    local ch = V.channel(args[2])
    local ref = V.str('ref', args[3], L.TEXT_MAX, false)
    local ttl = V.int('ttl_ms', args[4], 1, L.MEDIA_TTL_MAX)
    if rcall('EXISTS', k) == 1 then U.fail('STATE', 'key in use') end
    rcall('HSET', k, 'ch', ch, 'ref', ref, 'st', 'pending', 'asked', '0')
    rcall('PEXPIRE', k, ttl)
    return 'OK'
end

function MD.fn_open(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'key')
    local k = MD.key(ctx, args[1])
    local v = rcall('HMGET', k, 'ch', 'ref', 'st', 'type', 'why', 'asked')
    if not v[1] then U.fail('NOTFOUND', 'no such media, or it expired') end
    local ask = 0
    if v[3] == 'pending' and ctx.now - tonum(v[6] or '0') >= L.MEDIA_ASK_MS then
        rcall('HSET', k, 'asked', ctx.ns)
        ask = 1
    end
    local out = {v[3], v[1], v[2], v[4] or '', v[5] or '', ask}
    if v[3] == 'ready' then out[7] = rcall('HGET', k, 'data') or '' end
    return out
end

function MD.fn_put(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 5, 'key type data reason ttl_ms')
    local k = MD.key(ctx, args[1])
    local data, why = args[3], args[4]
    if type_(data) ~= 'string' or #data > L.MEDIA_MAX then
        U.fail('ARG', 'data longer than ' .. L.MEDIA_MAX .. ' bytes')
    end
    local ttl = V.int('ttl_ms', args[5], 1, L.MEDIA_TTL_MAX)
    if rcall('EXISTS', k) == 0 then U.fail('NOTFOUND', 'no such media, or it expired') end
    if data == '' then
        why = V.str('reason', why, L.REASON_MAX, false)
        rcall('HSET', k, 'st', 'failed', 'why', why)
        rcall('HDEL', k, 'data', 'type')
    else
        local t = V.str('type', args[2], L.MEDIA_TYPE_MAX, false)
        if not smatch(t, '^[%w!#$&^_.+-]+/[%w!#$&^_.+-]+$') then
            U.fail('ARG', 'type must be a media type such as image/jpeg')
        end
        rcall('HSET', k, 'st', 'ready', 'type', slower(t), 'data', data)
        rcall('HDEL', k, 'why')
    end
    rcall('PEXPIRE', k, ttl)
    return 'OK'
end
