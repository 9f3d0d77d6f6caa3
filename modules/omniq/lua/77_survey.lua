-- 77_survey.lua — surveys at the end (the table `SV`): the customer is asked, on their own
-- channel, how the session went, and their answer in their own words is recorded on it.
--
-- A tenant sets a survey per queue (oq_survey_set; queue '*' for every queue without its
-- own): its kind (csat: 1-5; nps: 0-10; both: CSAT, then NPS once CSAT is answered), how
-- long answers are accepted (window, seconds) and its words (ask, ask_nps, thanks; the
-- defaults below, Chinese and English). When a messaging session closes (the agent's
-- close, as its wrap-up starts; not an abandoned or expired one, no call) on a channel whose
-- senders reach the customer after the end (SMS, WeChat, email: 72_outbound.lua), the sweep's
-- look at it (80_sla.lua) asks once: the question joins its transcript as the team's
-- message and is delivered like any reply. A customer who opted out (their profile's
-- `surveys` is 'no') is not asked.
--
-- The answer: the customer's next message on that channel, while no session of theirs
-- there is live (the surveyed one may still be in its agent's wrap-up) and the window is open, when it reads as a score ("5", "五", "5分",
-- "非常满意", "10/10", "5 服务很好": a score, then perhaps a comment) or as an opt-out
-- ("TD", "退订", "STOP": asked no more). Anything else is a new conversation, as before; a
-- later answer inside the window still counts. An answer is stored on the surveyed session
-- (its csat or nps, survey_comment, the customer's last_csat) and in its transcript, where
-- agent and supervisor read it; oq_ingest says so (how '3'). One survey per session.
--
-- Session fields: survey (asked, answered, optout), sv_kind, sv_step (csat or nps: what
-- the next answer scores), sv_until (ms), sv_at (ms, asked at), survey_comment.
-- Keys: P:svq (zset: the queues with a survey, '*' among them), P:svc:<queue> (hash).

local SV = {
    FIELDS = {'kind', 'window', 'ask', 'ask_nps', 'thanks', 'sms', 'link', 'voice'},
    DEFAULTS = {kind = 'csat', window = '86400', ask = '', ask_nps = '', thanks = '', sms = '',
        link = '', voice = ''},
    -- a call asked on the call itself (voice '1'): CSAT by keypad while the caller is still
    -- there, so its answer comes within minutes
    VOICE_WINDOW_MS = 300000,
    LINK_SAY = '\n\n或在此评价 / Or rate us here: ',
    ASK = '请为本次服务打分: 回复 1-5 (5 = 非常满意), 可附上您的意见; 回复 TD 不再接收调查。'
        .. 'How satisfied were you? Reply 1-5 (5 = very satisfied), with a comment if you '
        .. 'like; reply STOP for no more surveys.',
    ASK_NPS = '您有多大可能向朋友推荐我们? 回复 0-10。How likely are you to recommend us to '
        .. 'a friend? Reply 0-10.',
    THANKS = '感谢您的评价! Thank you for your feedback!',
    OPTOUT = '好的, 我们不会再向您发送调查。OK, you will get no more surveys from us.',
    WINDOW_MAX = 30 * 86400,
    ANSWER_MAX = 1024,    -- a longer message is no answer: a new conversation
    -- channels whose own widget shows a form (omniq_ws' web chat and app): asked by the
    -- survey event, answered with oq_survey_answer
    FORM = {web = true, app = true},
    -- what a CSAT answer may say instead of a number (the longest that starts the text wins;
-- a Chinese word may have a comment after it, an English one must stand alone)
    WORDS = {['非常满意'] = 5, ['很满意'] = 5, ['特别满意'] = 5, ['满意'] = 4, ['还行'] = 3,
        ['一般'] = 3, ['不满意'] = 2, ['不太满意'] = 2, ['很不满意'] = 1, ['非常不满意'] = 1,
        ['非常差'] = 1, ['很差'] = 1, ['太差'] = 1, ['差'] = 1, ['好评'] = 5, ['差评'] = 1,
        ['中评'] = 3, ['满分'] = 'max', ['very satisfied'] = 5, ['extremely satisfied'] = 5,
        ['satisfied'] = 4, ['neutral'] = 3,
        ['dissatisfied'] = 2, ['unsatisfied'] = 2, ['very dissatisfied'] = 1,
        ['very unsatisfied'] = 1, ['excellent'] = 5, ['great'] = 5, ['good'] = 4,
        ['bad'] = 2, ['poor'] = 2, ['terrible'] = 1, ['awful'] = 1},
    NUMERALS = {['零'] = 0, ['〇'] = 0, ['一'] = 1, ['二'] = 2, ['两'] = 2, ['三'] = 3,
        ['四'] = 4, ['五'] = 5, ['六'] = 6, ['七'] = 7, ['八'] = 8, ['九'] = 9, ['十'] = 10},
    -- what may follow a number: a unit (then any comment may follow directly)
    UNITS = {'颗星', '顆星', '分', '星', ' 分', ' 星', '/10', '/5', ' stars', ' star', 'stars', 'star',
        ' points', ' point', 'points', 'pts'},
    LEADS = {'我给', '我打', '给你们', '给您', '给', '打', 'i give ', "i'd give ", 'i would give ',
        'rating ', 'score '},
    OPTOUT_WORDS = {td = true, stop = true, unsubscribe = true, ['退订'] = true,
        ['退订调查'] = true, ['不要调查'] = true},
    -- separators between a bare score and its comment
    SEPS = {' ', ',', '.', '!', '~', '-', ':', ';', '，', '。', '！', '～', '：', '；', '、',
        '　'},
}

-- The text as answers are read: ASCII lowercased, full-width digits and space made ASCII,
-- spaces at the ends off.
function SV.norm(body)
    local t = slower(body)
    t = string.gsub(t, '\239\188([\144-\153])', function(c) return string.char(sbyte(c) - 96) end)
    t = string.gsub(t, '\227\128\128', ' ')
    t = string.gsub(t, '^%s+', '')
    return (string.gsub(t, '%s+$', ''))
end

function SV.starts(t, p) return ssub(t, 1, #p) == p end

-- The rest after a score: '' or a comment, nil when what follows is no separator (and no
-- unit came): "5个订单" is no answer.
function SV.rest_after(t, unit_seen)
    if t == '' then return '' end
    for _, sp in ipairs_(SV.SEPS) do
        if SV.starts(t, sp) then unit_seen = true; break end
    end
    if not unit_seen then return nil end
    local prev
    repeat
        prev = t
        for _, sp in ipairs_(SV.SEPS) do
            if SV.starts(t, sp) then t = ssub(t, #sp + 1) end
        end
    until t == prev
    return t
end

-- An answer's score for step ('csat' 1-5, 'nps' 0-10) and its comment, or nil.
function SV.parse(body, step)
    if #body > SV.ANSWER_MAX then return nil end
    local t = SV.norm(body)
    local hi, lo = step == 'nps' and 10 or 5, step == 'nps' and 0 or 1
    -- a word (the longest that starts the text)
    local best, bestw = nil, nil
    for w, v in pairs_(SV.WORDS) do
        if SV.starts(t, w) and (not bestw or #w > #bestw) then best, bestw = v, w end
    end
    if bestw then
        local score = best == 'max' and hi or best
        if step == 'nps' and best ~= 'max' then return nil end
        local rest = SV.rest_after(ssub(t, #bestw + 1), true)
        -- an English word is an answer alone ("good morning, ..." is a new conversation)
        if smatch(bestw, '^[%a ]+$') and not smatch(rest, '^[%p%s]*$') then return nil end
        return score, smatch(rest, '^[%p%s]*$') and '' or rest
    end
    for _, l in ipairs_(SV.LEADS) do
        if SV.starts(t, l) then t = ssub(t, #l + 1); break end
    end
    local n, len = nil, 0
    local d = smatch(t, '^%d+')
    if d then
        if #d > 2 or smatch(t, '^%d+[%.,]%d') then return nil end   -- 5.5: no score
        n, len = tonum(d), #d
    else
        -- 十 (10), or one numeral 零..九
        for w, v in pairs_(SV.NUMERALS) do
            if SV.starts(t, w) then n, len = v, #w; break end
        end
        if n and SV.starts(ssub(t, len + 1), '十') then return nil end   -- 二十: no score here
    end
    if not n or n < lo or n > hi then return nil end
    t = ssub(t, len + 1)
    local unit = false
    for _, u in ipairs_(SV.UNITS) do
        if SV.starts(t, u) then
            if (u == '/5' and hi ~= 5) or (u == '/10' and hi ~= 10) then return nil end
            t, unit = ssub(t, #u + 1), true
            break
        end
    end
    local comment = SV.rest_after(t, unit)
    if not comment then return nil end
    return n, comment
end

function SV.config(ctx, queue)
    for _, q in ipairs_({queue, '*'}) do
        if q ~= '' then
            local v = rcall('HMGET', ctx.P .. ':svc:' .. q, unpk(SV.FIELDS))
            if v[1] then
                local c = {}
                for i, f in ipairs_(SV.FIELDS) do c[f] = v[i] or SV.DEFAULTS[f] end
                return c
            end
        end
    end
    return nil
end

-- HMAC-SHA1 (RFC 2104) of msg under key, in hex: Redis gives the library SHA-1 alone.
function SV.unhex(h) return (string.gsub(h, '..', function(x) return string.char(tonum(x, 16)) end)) end
function SV.hmac(key, msg)
    if #key > 64 then key = SV.unhex(redis.sha1hex(key)) end
    key = key .. string.rep('\0', 64 - #key)
    local i, o = {}, {}
    for n = 1, 64 do
        local b = sbyte(key, n)
        i[n], o[n] = string.char(bit.bxor(b, 0x36)), string.char(bit.bxor(b, 0x5c))
    end
    return redis.sha1hex(tconcat(o) .. SV.unhex(redis.sha1hex(tconcat(i) .. msg)))
end

-- A survey link's token for session sid: signed with the tenant's survey key (P:svk, made
-- at random by the omniq module's start: oq_survey_key), nil without one.
function SV.token(ctx, sid)
    local k = rcall('GET', ctx.P .. ':svk')
    return k and SV.hmac(SV.unhex(k), 'survey|' .. sid)
end

-- The web page that takes session sid's answer (survey's link: the base customers reach;
-- the page asks what the fragment says), or nil without a link or a key.
function SV.link_of(ctx, c, sid)
    local tok = c.link ~= '' and SV.token(ctx, sid)
    if not tok then return nil end
    return sfmt('%s/survey/%s/%s/%s#%s', (string.gsub(c.link, '/+$', '')), smatch(ctx.P, '{(.*)}'),
        sid, tok, c.kind)
end

-- oq_survey_key hex: the tenant's survey key (64 hex digits), kept once made: 1 when this
-- one was taken, 0 when the tenant had one.
function SV.fn_key(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'key')
    if #args[1] ~= 64 or smatch(args[1], '[^0-9a-f]') then
        U.fail('ARG', 'the survey key must be 64 lowercase hex digits')
    end
    return rcall('SET', ctx.P .. ':svk', args[1], 'NX') and 1 or 0
end

-- Whether the tenant has any survey (the engine asks the same, engine/sla.c).
function SV.on(ctx) return rcall('EXISTS', ctx.P .. ':svq') == 1 end

-- A message from the team to the customer of ended session sid on the channel it was
-- asked on: its own channel (the message joins the transcript and leaves through the
-- outbox, as a reply), or another one (a call's survey by SMS: a message of no session to
-- `to`, noted in the call's transcript). Returns true, or false and why.
function SV.say(ctx, sid, own, ch, to, ext, text)
    local ok, why = OB.room(ctx, ch)
    if not ok then return false, why end
    if own then
        OB.queue(ctx, sid, M.tx_add(ctx, sid, 'out', 'omniq', 'text', text, ch, ext), ch, ext)
    else
        OB.add(ctx, ch, to, 'omniq', 'text', text)
        M.tx_add(ctx, sid, 'note', 'omniq', 'text', 'Survey, by ' .. ch .. ': ' .. text, ch, ext)
    end
    return true
end

-- Where the customer of ended session s is asked: its channel when its senders reach them
-- after the end; a call's, by SMS through the survey's gateway when the caller's number is
-- known. Returns the channel and the address for a message of no session (nil when the
-- session's own), or nil when they cannot be reached.
function SV.reach(ctx, s, c)
    if s.class ~= 'voice' then
        if OB.has_senders(ctx, s.channel) then return s.channel end
        return nil
    end
    -- asked on the call itself (oq_survey_voice) or not at all: never by SMS as well
    if c.voice == '1' or c.sms == '' or not OB.has_senders(ctx, 'sms') then return nil end
    local num = smatch(rcall('HGET', R.skey(ctx, s.id), 'identity') or '', '^%a+:(%+%d+)$')
    return num and 'sms', num and c.sms .. ':' .. num
end

-- The session ended (the sweep's look at it, 80_sla.lua): its survey, when one applies.
function SV.on_end(ctx, s)
    if (s.state ~= 'closed' and s.state ~= 'wrapup') or not SV.on(ctx) then return end
    local key = R.skey(ctx, s.id)
    if rcall('HEXISTS', key, 'survey') == 1 then return end
    local c = SV.config(ctx, s.queue)
    if not c then return end
    local form = s.class ~= 'voice' and SV.FORM[s.channel]
    local ch, to
    if not form then
        ch, to = SV.reach(ctx, s, c)
        if not ch then return end
    end
    local live = s.customer ~= '' and C.resolve(ctx, s.customer)
    if live and rcall('HGET', C.key(ctx, live), 'surveys') == 'no' then
        rcall('HSET', key, 'survey', 'optout')
        return
    end
    local until_ = U.istr(ctx.now + tonum(c.window) * 1000)
    if form then
        -- the widget's form asks what the kind says, at once: its event is the question
        rcall('HSET', key, 'survey', 'asked', 'sv_kind', c.kind, 'sv_step', c.kind,
            'sv_at', ctx.ns, 'sv_until', until_)
        X.count(ctx, 'surveys_asked')
        X.emit(ctx, 'survey', s.id, c.kind, s.agent, s.channel, s.ext)
        return
    end
    local step = c.kind == 'nps' and 'nps' or 'csat'
    local text = step == 'nps' and (c.ask_nps ~= '' and c.ask_nps or SV.ASK_NPS)
        or (c.ask ~= '' and c.ask or SV.ASK)
    -- a mail also carries the link to the survey's page (answered there, or in words)
    local url = s.channel == 'email' and SV.link_of(ctx, c, s.id)
    if url then text = text .. SV.LINK_SAY .. url end
    local ok, why = SV.say(ctx, s.id, not to, ch, to, s.ext, text)
    if not ok then
        rcall('HSET', key, 'survey', 'unsent', 'survey_comment', why)
        return
    end
    rcall('HSET', key, 'survey', 'asked', 'sv_kind', c.kind, 'sv_step', step, 'sv_ch', ch,
        'sv_to', to or '', 'sv_at', ctx.ns, 'sv_until', until_)
    -- the customer's next message on ch finds it (M.survey_answer)
    if live then rcall('HSET', C.key(ctx, live), 'sv_sid', s.id) end
    X.count(ctx, 'surveys_asked')
    X.emit(ctx, 'survey', s.id, step, s.agent, s.channel, s.ext)
end

-- An answer's scores ({csat = n, nps = n}, either may be nil) and comment on session key,
-- the customer's last_csat, the count: what both ways of answering record. upd: more
-- fields to write with them.
function SV.record(ctx, key, cid, scores, comment, before, upd)
    for _, f in ipairs_({'csat', 'nps'}) do
        if scores[f] then upd[#upd + 1] = f; upd[#upd + 1] = U.istr(scores[f]) end
    end
    if comment ~= '' then
        comment = before ~= '' and before .. '\n' .. comment or comment
        upd[#upd + 1] = 'survey_comment'; upd[#upd + 1] = ssub(comment, 1, SV.ANSWER_MAX)
    end
    rcall('HSET', key, unpk(upd))
    local live = scores.csat and cid and cid ~= '' and C.resolve(ctx, cid)
    if live then rcall('HSET', C.key(ctx, live), 'last_csat', U.istr(scores.csat)) end
end

function SV.thanks_of(c)
    if c.thanks == '-' then return '' end
    return c.thanks ~= '' and c.thanks or SV.THANKS
end

-- The session whose survey was asked of customer cid on channel last (their sv_sid, kept
-- after the answer: a retried delivery of it is known there), or nil.
function M.survey_waiting(ctx, cid, channel)
    local live = cid and C.resolve(ctx, cid)
    local sid = live and rcall('HGET', C.key(ctx, live), 'sv_sid')
    if not sid or rcall('HGET', R.skey(ctx, sid), 'sv_ch') ~= channel then return nil end
    return sid, live
end

-- oq_ingest (42_messages.lua), for customer cid (live: its live id) with no live session on
-- channel (or the one the agent wraps up) and session sid's survey asked there
-- (M.survey_waiting): their message as its answer, or nil (not one).
function M.survey_answer(ctx, sid, live, cid, channel, from, body)
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, 'survey', 'sv_step', 'sv_until', 'channel', 'ext', 'queue',
        'sv_kind', 'agent', 'survey_comment', 'state', 'sv_to')
    if v[1] ~= 'asked' or (tonum(v[3]) or 0) < ctx.now then return nil end
    local step, own, ext, queue, kind, agent = v[2], v[4] == channel, v[5] or '', v[6], v[7], v[8] or ''
    local c = SV.config(ctx, queue) or SV.DEFAULTS
    local upd, reply, state, extra
    if SV.OPTOUT_WORDS[(string.gsub(SV.norm(body), '[%.!。！]+$', ''))] then
        rcall('HSET', C.key(ctx, live), 'surveys', 'no')
        upd, reply, state, extra = {'survey', 'optout'}, SV.OPTOUT, 'optout', {}
        REP.rearchive(ctx, sid)
    else
        local score, comment = SV.parse(body, step)
        if not score then return nil end
        extra = {step, U.istr(score)}
        if step == 'csat' and kind == 'both' then
            upd, reply, state = {'sv_step', 'nps'}, c.ask_nps ~= '' and c.ask_nps or SV.ASK_NPS, 'nps'
        else
            upd, reply, state = {'survey', 'answered'}, SV.thanks_of(c), 'answered'
            X.count(ctx, 'surveys_answered')
        end
        SV.record(ctx, key, cid, {[step] = score}, comment, v[9] or '', upd)
        REP.survey(ctx, sid, {[step] = score})
        upd = nil
    end
    local id = M.tx_add(ctx, sid, 'in', from, 'text', body, own and channel or v[4], ext)
    if upd then rcall('HSET', key, unpk(upd)) end
    if reply and reply ~= '' then SV.say(ctx, sid, own, channel, v[11], ext, reply) end
    X.emit(ctx, 'survey', sid, state, agent, v[4], ext, extra)
    return {sid, v[10] or 'closed', agent, '0', cid or '', id, '3'}
end

-- oq_survey_answer sid csat nps comment [token]: the answer a customer gave in a form (the
-- web chat's or the app's; a mailed link's page, with the link's token, NOTFOUND when it is
-- not the session's), csat 1-5 and nps 0-10 ("" where not given: the
-- ones the survey asks, at least one), comment "" or their words. Recorded as an answer in
-- words is, with a note in the transcript for the agent. Returns the thanks to show ("":
-- none). STATE when no survey of the session waits for an answer (none, answered, opted
-- out) or its window has closed.
function SV.fn_answer(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 5 then V.args(args, 4, 'sid csat nps comment [token]') end
    local sid = V.sid(args[1])
    if args[5] and args[5] ~= '' then
        -- a link's answer: the token must be the session's (compared whole: a forged one
        -- learns nothing from how it differs)
        local want = SV.token(ctx, sid)
        if not want or want ~= slower(args[5]) then
            U.fail('NOTFOUND', 'no survey for this link')
        end
    end
    local csat = args[2] ~= '' and V.int('csat', args[2], 1, 5) or nil
    local nps = args[3] ~= '' and V.int('nps', args[3], 0, 10) or nil
    local comment = V.str('comment', args[4], SV.ANSWER_MAX, true)
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, 'survey', 'sv_kind', 'sv_until', 'channel', 'ext', 'queue',
        'agent', 'customer', 'survey_comment', 'sv_ch', 'sv_step')
    if not v[4] then U.fail('NOTFOUND', 'session ' .. sid) end
    if v[1] ~= 'asked' then
        U.fail('STATE', 'session ' .. sid .. ' has no survey waiting for an answer'
            .. (v[1] and ' (' .. v[1] .. ')' or ''))
    end
    if (tonum(v[3]) or 0) < ctx.now then
        U.fail('STATE', 'the survey of session ' .. sid .. ' takes no answers any more')
    end
    local kind = v[2]    -- a form asks all the survey's kind asks, whatever a message asked
    if not csat and not nps then U.fail('ARG', 'a score is required: csat 1-5 or nps 0-10') end
    if (csat and kind == 'nps') or (nps and kind == 'csat') then
        U.fail('ARG', 'this survey asks ' .. kind .. ' only')
    end
    -- on the call the keypad asks one score at a time: a CSAT of a survey of both kinds
    -- leaves it asked, its NPS next (as an answer in words does)
    local first = kind == 'both' and v[10] == 'voice' and csat and not nps and v[11] == 'csat'
    if v[10] == 'voice' and v[11] == 'nps' and csat then
        U.fail('ARG', 'this survey asks its nps now')
    end
    local said = {}
    if csat then said[#said + 1] = 'CSAT ' .. csat .. '/5' end
    if nps then said[#said + 1] = 'NPS ' .. nps .. '/10' end
    if comment ~= '' then said[#said + 1] = '\226\128\156' .. comment .. '\226\128\157' end
    M.tx_add(ctx, sid, 'note', 'omniq', 'text', 'Survey: ' .. tconcat(said, ' \194\183 '),
        v[4], v[5] or '')
    SV.record(ctx, key, v[8], {csat = csat, nps = nps}, comment, v[9] or '',
        first and {'sv_step', 'nps'} or {'survey', 'answered'})
    REP.survey(ctx, sid, {csat = csat, nps = nps})
    if not first then X.count(ctx, 'surveys_answered') end
    local extra = {}
    if csat then extra[#extra + 1] = 'csat'; extra[#extra + 1] = U.istr(csat) end
    if nps then extra[#extra + 1] = 'nps'; extra[#extra + 1] = U.istr(nps) end
    X.emit(ctx, 'survey', sid, first and 'nps' or 'answered', v[7] or '', v[4], v[5] or '',
        extra)
    return SV.thanks_of(SV.config(ctx, v[6] or '') or SV.DEFAULTS), ctx
end

-- oq_survey_voice sid [can]: the call's agent hung up and the caller is still on the line:
-- when its queue's survey asks calls by voice (voice '1'), the survey is asked now, on the
-- call (omniq_sip keeps the caller, omniq_media asks by keypad: CSAT 1-5, NPS 0-10, or both,
-- as the survey's kind says) and answered with oq_survey_answer. can: what the node's
-- prompts can ask (1 CSAT, 2 NPS, 3 both; default 1): a kind it cannot ask is not asked.
-- Reply {kind, ''} when asked, {'', why} when not (no such survey, surveyed already, opted
-- out: recorded as the sweep would). One survey per session.
SV.VOICE_NEEDS = {csat = 1, nps = 2, both = 3}

function SV.fn_voice(keys, args)
    local ctx = X.begin(keys)
    if #args ~= 2 then V.args(args, 1, 'sid [can]') end
    local sid = V.sid(args[1])
    local can = (args[2] or '') ~= '' and V.int('can', args[2], 1, 3) or 1
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, 'class', 'state', 'queue', 'customer', 'survey', 'agent',
        'channel', 'ext')
    if not v[2] then U.fail('NOTFOUND', 'session ' .. sid) end
    if v[1] ~= 'voice' then return {'', 'session ' .. sid .. ' is no call'} end
    if v[2] ~= 'active' and v[2] ~= 'wrapup' and v[2] ~= 'closed' then
        return {'', 'session ' .. sid .. ' is ' .. v[2]}
    end
    if v[5] then return {'', 'session ' .. sid .. ' has a survey already (' .. v[5] .. ')'} end
    local c = SV.on(ctx) and SV.config(ctx, v[3] or '')
    if not c or c.voice ~= '1' then
        return {'', 'the survey of queue ' .. (v[3] or '') .. ' does not ask calls by voice'}
    end
    local need = SV.VOICE_NEEDS[c.kind] or 1
    if can ~= 3 and can ~= need then
        return {'', 'the prompts of this node cannot ask ' .. c.kind .. ' on the call'}
    end
    local live = (v[4] or '') ~= '' and C.resolve(ctx, v[4])
    if live and rcall('HGET', C.key(ctx, live), 'surveys') == 'no' then
        rcall('HSET', key, 'survey', 'optout')
        return {'', 'the customer opted out of surveys'}
    end
    local step = c.kind == 'nps' and 'nps' or 'csat'
    rcall('HSET', key, 'survey', 'asked', 'sv_kind', c.kind, 'sv_step', step, 'sv_ch', 'voice',
        'sv_at', ctx.ns, 'sv_until', U.istr(ctx.now + SV.VOICE_WINDOW_MS))
    X.count(ctx, 'surveys_asked')
    X.emit(ctx, 'survey', sid, step, v[6] or '', v[7] or '', v[8] or '')
    return {c.kind, ''}, ctx
end

function SV.check(f, v)
    if f == 'kind' then
        if v ~= 'csat' and v ~= 'nps' and v ~= 'both' then
            U.fail('ARG', 'kind must be csat, nps or both')
        end
    elseif f == 'window' then
        V.int('window', v, 60, SV.WINDOW_MAX)
    elseif f == 'ask' or f == 'ask_nps' or f == 'thanks' then
        V.str(f, v, L.SLA_NOTICE_MAX, true)
    elseif f == 'sms' then
        if v ~= '' then V.id('sms', v) end
    elseif f == 'voice' then
        if v ~= '' and v ~= '1' then U.fail('ARG', "voice must be '1' or ''") end
    elseif f == 'link' then
        V.str('link', v, L.TEXT_MAX, true)
        if v ~= '' and not smatch(v, '^https?://[%w%.%-:%[%]]+[%w%./_%-]*$') then
            U.fail('ARG', 'link must be the web surface as customers reach it, '
                .. 'e.g. https://support.example.com')
        end
    else
        U.fail('ARG', 'field must be one of kind, window, ask, ask_nps, thanks, sms, link, voice')
    end
    return v
end

function SV.queue_arg(v)
    if v == '*' then return v end
    return V.queue(v)
end

-- oq_survey_set queue field value [field value ...]: the queue's survey made or changed
-- (fields not given keep their value, or the default). OK.
function SV.fn_set(keys, args)
    local ctx = X.begin(keys)
    local queue = SV.queue_arg(args[1] or '')
    return U.named_set(ctx, ctx.P .. ':svc:' .. queue, ctx.P .. ':svq', queue, args, 2,
        SV.FIELDS, SV.DEFAULTS, SV.check, 'surveys')
end

-- oq_survey_del queue: 1 when it had one (sessions asked already still take answers).
function SV.fn_del(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'queue')
    local queue = SV.queue_arg(args[1])
    rcall('ZREM', ctx.P .. ':svq', queue)
    return rcall('DEL', ctx.P .. ':svc:' .. queue)
end

-- oq_survey_list: rows [queue, <queue>, field, value, ...] (a reader).
function SV.fn_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    return U.named_list(ctx.P .. ':svq', ctx.P .. ':svc:', 'queue', SV.FIELDS, SV.DEFAULTS)
end
