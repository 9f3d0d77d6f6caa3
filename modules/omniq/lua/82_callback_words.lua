-- 82_callback_words.lua — a waiting customer asks for a callback in their own words (the
-- table `CB`).
--
-- A customer who waits on a messaging channel (SMS, WeChat, email, the app, web chat) and
-- writes nothing but one of the tenant's callback words ("回电", "call me back") is made a
-- callback as oq_callback and level 3 do (80_sla.lua SLH.make_callback: their place kept,
-- their leaving no abandon, offered as a callback when their turn comes) and is answered on
-- their channel with the tenant's reply ({to}: where they will be contacted). Their message
-- stays in the transcript: the agent sees what they asked. A customer nobody could reach
-- after they left (a web visitor with no known number) is not made one and gets no reply:
-- their message waits like any other. Only a message whose whole text is a word counts
-- ("回电" does, "请不要回电" does not).
--
-- Keys: P:cbw (hash: words, the '|'-separated list, '-' for none; reply). Without it the
-- defaults below.

local CB = {
    WORDS = '回电|回拨|请回电|给我回电|回电话|打给我|callback|call back|call me back|call me',
    REPLY = '好的, 轮到您时我们会联系 {to}, 您无需等待。OK: when it is your turn we will '
        .. 'contact you at {to}, no need to wait.',
    TEXT_MAX = 64,        -- a longer message is no callback word
    WORDS_MAX = 32,
}

-- A message as its words are compared: ASCII lowercased, spaces and end punctuation off.
function CB.norm(body)
    local t = slower(body)
    t = string.gsub(t, '^%s+', '')
    local prev
    repeat
        prev = t
        t = string.gsub(t, '%s+$', '')
        for _, p in ipairs_({'%.', '!', '%?', '。', '！', '？', '~', '～'}) do
            t = string.gsub(t, p .. '$', '')
        end
    until t == prev
    return (string.gsub(t, '%s+', ' '))
end

function CB.settings(ctx)
    local v = rcall('HMGET', ctx.P .. ':cbw', 'words', 'reply')
    return v[1] or CB.WORDS, v[2] or CB.REPLY
end

-- Called by oq_ingest (42_messages.lua) for a message appended to a session that waits.
function M.callback_word(ctx, s, body)
    if #body > CB.TEXT_MAX or s.class == 'voice' then return end
    local words, reply = CB.settings(ctx)
    if words == '-' then return end
    local t = CB.norm(body)
    local hit = false
    for w in sgmatch(words, '[^|]+') do
        if t == w then hit = true; break end
    end
    if not hit then return end
    local to = SLH.make_callback(ctx, s)
    if to and reply ~= '' then
        SLH.to_customer(ctx, s, SLH.put(reply, 'to', SLH.reach(to)))
    end
end

-- oq_callback_words words reply: the tenant's callback words ('|'-separated, each 1..32
-- bytes, at most 32; "-" for none: customers' words never make callbacks; "" the default
-- ones) and the reply ({to}; "-" for none, "" the default one). OK.
function CB.fn_set(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'words reply')
    local words = args[1]
    local reply = V.str('reply', args[2], L.SLA_NOTICE_MAX, true)
    if reply == '' then reply = CB.REPLY elseif reply == '-' then reply = '' end
    if words == '' then
        words = CB.WORDS
    elseif words ~= '-' then
        local n, out = 0, {}
        for w in sgmatch(words, '[^|]+') do
            V.str('a callback word', w, CB.WORDS_MAX, false)
            n = n + 1
            out[n] = CB.norm(w)
            if out[n] == '' then U.fail('ARG', 'a callback word must have letters') end
        end
        if n == 0 or n > CB.WORDS_MAX then
            U.fail('ARG', 'words must be 1..' .. CB.WORDS_MAX .. ' words separated by |, or - for none')
        end
        words = tconcat(out, '|')
    end
    rcall('HSET', ctx.P .. ':cbw', 'words', words, 'reply', reply)
    return 'OK'
end

-- oq_callback_words_get: [words, <list>, reply, <text>] as they apply (a reader).
function CB.fn_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    local words, reply = CB.settings(ctx)
    return {'words', words, 'reply', reply}
end
