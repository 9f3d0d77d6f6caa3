-- 90_register.lua — the library's public face: every FCALL name.
--
-- Each handler runs inside pcall so that the OQ_* errors raised deep in a validator come
-- back as a clean error reply ("OQ_ARG priority must be an integer") instead of Redis'
-- script error decoration. Errors that are not ours (a Redis command failing, a bug) are
-- re-raised untouched so that they stay loud. A handler returns its reply and, when it
-- counted something, its ctx: the counters are written once, at the end (X.finish). Pure
-- readers carry the no-writes flag: Redis may then run them on replicas and during OOM,
-- and refuses them any write.

local function guarded(fn)
    return function(keys, args)
        if not bound then bind() end
        local ok, res, ctx = pcall_(fn, keys, args)
        if ok then
            if ctx then X.finish(ctx) end
            return res
        end
        local msg = U.error_text(res)
        if ssub(msg, 1, 3) == 'OQ_' then
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

reg('oq_config', AO.fn_config)
reg('oq_agent_set', AO.fn_agent_set)
reg('oq_agent_update', AO.fn_agent_update)
reg('oq_agent_del', AO.fn_agent_del)
reg('oq_agent_state', AO.fn_agent_state)
reg('oq_agent_phone', AO.fn_agent_phone)
reg('oq_agent_get', Q.fn_agent_get, true)
reg('oq_agent_list', Q.fn_agent_list, true)
reg('oq_agent_secret', AO.fn_agent_secret)
reg('oq_agent_secret_get', Q.fn_agent_secret_get, true)
reg('oq_agent_token', Q.fn_agent_token, true)
reg('oq_agent_revoke', AO.fn_agent_revoke)
reg('oq_agent_role', PK.fn_agent_role)
reg('oq_login_try', AO.fn_login_try)
reg('oq_login_done', AO.fn_login_done)
reg('oq_agent_sessions', Q.fn_agent_sessions, true)
-- Steps the engine runs unless it hands them back with ["library"] and nothing written:
-- a new session (a reopen is the library's), a close (an abandon is the library's).
local function engine_first(name, cmd, lua_fn)
    local step, lib = E.step(cmd), guarded(lua_fn)
    redis.register_function{function_name = name, callback = function(keys, args)
        local r = step(keys, args)
        if type_(r) == 'table' and r[1] == 'library' and r[2] == nil then
            return lib(keys, args)
        end
        return r
    end}
end

engine_first('oq_enqueue', 'omniq.enqueue', S.fn_enqueue)
reg('oq_open_live', S.fn_open_live)
reg('oq_session_get', Q.fn_session_get, true)
reg('oq_session_set', S.fn_session_set)
reg('oq_followups', Q.fn_followups, true)
-- steps that run in the engine whole (05_engine.lua)
redis.register_function{function_name = 'oq_accept', callback = E.step('omniq.accept')}
reg('oq_decline', S.fn_decline)
reg('oq_transfer', T.fn_transfer)
reg('oq_xfer_note', T.fn_note)
reg('oq_xfer_take', T.fn_take)
reg('oq_xfer_moved', T.fn_moved, true)
reg('oq_pick', PK.fn_pick)
reg('oq_waiting', PK.fn_waiting, true)
reg('oq_canned_set', CN.fn_canned_set)
reg('oq_canned_list', CN.fn_canned_list, true)
reg('oq_agent_search', SR.fn_agent_search, true)
engine_first('oq_close', 'omniq.close', S.fn_close_queued)
reg('oq_abandon', S.fn_abandon)
reg('oq_wrapup_done', S.fn_wrapup_done)
redis.register_function{function_name = 'oq_append', callback = E.step('omniq.append')}
redis.register_function{function_name = 'oq_append_many', callback = E.step('omniq.append_many')}
redis.register_function{function_name = 'oq_append_once', callback = E.step('omniq.append_once')}
reg('oq_typing', M.fn_typing)
reg('oq_ingest', M.fn_ingest)
redis.register_function{function_name = 'oq_reply', callback = E.step('omniq.reply')}
reg('oq_transcript', M.fn_transcript, true)
reg('oq_sweep', SW.fn_sweep)
reg('oq_archived', ARC.fn_archived)
reg('oq_archive_pending', ARC.fn_archive_pending, true)
reg('oq_archive_read', ARC.fn_archive_read, true)
reg('oq_archive_intervals', ARC.fn_archive_intervals, true)
reg('oq_intervals_archived', ARC.fn_intervals_archived)
reg('oq_miss', LP.fn_miss)
reg('oq_expire', LP.fn_expire)
reg('oq_node_lease', ND.fn_node_lease)
reg('oq_customer_get', Q.fn_customer_get, true)
reg('oq_customer_history', Q.fn_customer_history, true)
reg('oq_customer_set', C.fn_customer_set)
reg('oq_link', C.fn_link)
reg('oq_merge', C.fn_merge)
reg('oq_queue_list', Q.fn_queue_list, true)
reg('oq_queue_get', Q.fn_queue_get, true)
reg('oq_stats', Q.fn_stats, true)
reg('oq_presence', N.fn_presence)
reg('oq_online', N.fn_online, true)
reg('oq_send', OB.fn_send)
reg('oq_ob_register', OB.fn_register)
reg('oq_ob_add', OB.fn_add)
reg('oq_ob_status', OB.fn_status, true)
reg('oq_ob_take', OB.fn_take)
reg('oq_ob_done', OB.fn_done)
reg('oq_ob_report', OB.fn_report)
reg('oq_ob_get', OB.fn_get, true)
reg('oq_deliveries', OB.fn_deliveries, true)
reg('oq_chan_get', CH.fn_get, true)
reg('oq_chan_set', CH.fn_set)
reg('oq_chan_lease', CH.fn_lease)
reg('oq_chan_part', CH.fn_part)
reg('oq_chan_parts_due', CH.fn_parts_due)
reg('oq_media_ref', MD.fn_ref)
reg('oq_media_open', MD.fn_open)
reg('oq_media_put', MD.fn_put)
reg('oq_sla_set', SL.fn_set)
reg('oq_sla_del', SL.fn_del)
reg('oq_sla_list', SL.fn_list, true)
reg('oq_sla_get', SL.fn_get, true)
reg('oq_sla_ack', SL.fn_ack)
reg('oq_queue_roles', SL.fn_queue_roles)
reg('oq_agent_notify', SL.fn_agent_notify)
reg('oq_hours_put', BH.fn_put)
reg('oq_hours_del', BH.fn_del)
reg('oq_hours_get', BH.fn_get, true)
reg('oq_hours_due', BH.fn_due, true)
reg('oq_tier_set', RV.fn_tier_set)
reg('oq_tier_del', RV.fn_tier_del)
reg('oq_tier_list', RV.fn_tier_list, true)
reg('oq_region_prefix_set', RV.fn_prefix_set)
reg('oq_region_prefix_list', RV.fn_prefix_list, true)
reg('oq_region_queue_set', RV.fn_region_queue_set)
reg('oq_region_queue_list', RV.fn_region_queue_list, true)
reg('oq_callback_words', CB.fn_set)
reg('oq_closed_callback', BH.fn_closed_callback)
reg('oq_callback_words_get', CB.fn_get, true)
reg('oq_survey_set', SV.fn_set)
reg('oq_survey_del', SV.fn_del)
reg('oq_survey_list', SV.fn_list, true)
reg('oq_survey_answer', SV.fn_answer)
reg('oq_survey_voice', SV.fn_voice)
reg('oq_survey_key', SV.fn_key)
reg('oq_report', REP.fn_report, true)
reg('oq_board', REP.fn_board, true)
reg('oq_disposition_set', DSP.fn_set)
reg('oq_disposition_del', DSP.fn_del)
reg('oq_disposition_list', DSP.fn_list, true)
reg('oq_lead_channel', DSP.fn_lead_channel)
reg('oq_followup_add', FU.fn_add)
reg('oq_callback', FU.fn_callback)
reg('oq_followup_get', FU.fn_get, true)
reg('oq_followup_cancel', FU.fn_cancel)
reg('oq_followup_done', FU.fn_done)
reg('oq_dial_claim', FU.fn_dial_claim)
reg('oq_followups_of', FU.fn_of, true)
reg('oq_fu_rule_set', FU.fn_rule_set)
reg('oq_fu_rule_del', FU.fn_rule_del)
reg('oq_fu_rule_list', FU.fn_rule_list, true)
