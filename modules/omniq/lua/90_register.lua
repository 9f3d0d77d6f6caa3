-- 90_register.lua — the library's public face: every FCALL name.
--
-- Each handler runs inside pcall so that the OQ_* errors raised deep in a
-- validator come back as a clean error reply ("OQ_ARG priority must be an
-- integer") instead of Redis' script error decoration. Errors that are not
-- ours (a Redis command failing, a bug) are re-raised untouched so that they
-- stay loud. Pure readers carry the no-writes flag: Redis may then run them
-- on replicas and during OOM, and refuses them any write.

local function guarded(fn)
    return function(keys, args)
        local ok, res = pcall(fn, keys, args)
        if ok then return res end
        local msg = error_text(res)
        if string.sub(msg, 1, 3) == 'OQ_' then
            return redis.error_reply(msg)
        end
        error(res, 0)
    end
end

local function reg(name, fn, ro)
    if ro then
        redis.register_function{function_name = name, callback = guarded(fn), flags = {'no-writes'}}
    else
        redis.register_function{function_name = name, callback = guarded(fn)}
    end
end

reg('oq_config', fn_config)
reg('oq_agent_set', fn_agent_set)
reg('oq_agent_del', fn_agent_del)
reg('oq_agent_state', fn_agent_state)
reg('oq_agent_get', fn_agent_get, true)
reg('oq_agent_list', fn_agent_list, true)
reg('oq_agent_secret', fn_agent_secret)
reg('oq_agent_secret_get', fn_agent_secret_get, true)
reg('oq_login_try', fn_login_try)
reg('oq_login_done', fn_login_done)
reg('oq_agent_sessions', fn_agent_sessions, true)
reg('oq_enqueue', fn_enqueue)
reg('oq_session_get', fn_session_get, true)
reg('oq_session_set', fn_session_set)
reg('oq_followups', fn_followups, true)
reg('oq_accept', fn_accept)
reg('oq_decline', fn_decline)
reg('oq_transfer', fn_transfer)
reg('oq_close', fn_close)
reg('oq_abandon', fn_abandon)
reg('oq_wrapup_done', fn_wrapup_done)
reg('oq_append', fn_append)
reg('oq_append_many', fn_append_many)
reg('oq_append_once', fn_append_once)
reg('oq_typing', fn_typing)
reg('oq_ingest', fn_ingest)
reg('oq_reply', fn_reply)
reg('oq_transcript', fn_transcript, true)
reg('oq_sweep', fn_sweep)
reg('oq_miss', fn_miss)
reg('oq_expire', fn_expire)
reg('oq_customer_get', fn_customer_get, true)
reg('oq_customer_history', fn_customer_history, true)
reg('oq_customer_set', fn_customer_set)
reg('oq_link', fn_link)
reg('oq_merge', fn_merge)
reg('oq_queue_list', fn_queue_list, true)
reg('oq_queue_get', fn_queue_get, true)
reg('oq_stats', fn_stats, true)
reg('oq_presence', fn_presence)
reg('oq_online', fn_online, true)
reg('oq_outbox_add', fn_outbox_add)
reg('oq_outbox_forget', fn_outbox_forget)
