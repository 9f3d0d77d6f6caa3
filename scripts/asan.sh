#!/usr/bin/env bash
# The sanitizer build of the modules and the integration tests run with it (docs/testing.md,
# "Sanitizers").
#   scripts/asan.sh build           our modules (and the worked example) built with ASan and
#                                   UBSan into build/asan/modules, from a copy of the sources
#                                   under build/asan/src: never the objects or the .so files
#                                   of `make`, never the modules admins load
#   scripts/asan.sh run [test...]   the integration tests (all, or those named) with kamailio
#                                   started on those modules, libasan preloaded and the
#                                   omniq_asan fixture loaded first; "PASS asan/<test>" lines,
#                                   logs in build/test-logs/asan/<test>/
#   scripts/asan.sh core            run, for the core tests below (make test: about a minute)
# A finding (ASan, UBSan, a leak) fails its test: the harness reads the reports in kamailio's
# log (teardown.py, Ctx.memory_bugs). Leaks that are Kamailio's or a library's are not
# reported: asan-leaks.supp here, and the cfg parse left out by the omniq_asan fixture.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${OMNIQ_BUILD:-$top/build}
asan=$build/asan
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
# GCC 12 warns wrongly about some instrumented code (-Wrestrict on snprintf into a global):
# warnings stay warnings there; `make` keeps -Werror
SAN_CC="$SAN -Wno-restrict -Wno-error=maybe-uninitialized -Wno-error=stringop-overflow"

# What `make test` runs on the sanitizer build: omniq's RPC, cfg and KEMI faces, omniq_sip's
# queued and cancelled calls and its shutdown, omniq_ws' REST API, chat, desk, app and
# channel webhook, the outbound sender process, the WeChat channel both ways, SMS, email over LMTP
# (and its signed bounces), queued-call media (SRTP, refused offers, a silent caller, a callback by key, closed hours), a call outside business hours, follow-ups over REST, a phone follow-up's
# click-to-dial (tm's UAC from the dispatcher), the SQL archive on SQLite and PostgreSQL
# (its writes, its history reads, a database gone and back), and the fault tests that need no malloc
# wrapper (a wrong library, pkg and shm failing in a chat message and a queued INVITE).
# `make check-asan` runs them all.
CORE="rpc_agent_session_lifecycle rpc_errors_write_nothing rpc_queues_transcript_link
  kemi_lua_routing_script sip_queued_then_answered sip_caller_cancels_while_queued
  sip_stop_with_a_queued_call_exits_cleanly ws_rest_session_lifecycle
  ws_chat_customer_and_agent_in_real_time desk_agent_takes_a_chat_from_offer_to_close
  app_resend_and_resume_lose_nothing_and_repeat_nothing channel_ingest_and_webhook_reply
  rest_agents_state_skills_capacity_password wrong_library_rpc_commands_answer_500_and_write_nothing
  alloc_failures_in_a_chat_message_answer_errors_and_leak_nothing
  alloc_failures_in_a_queued_invite_answer_the_caller_and_leak_nothing
  sip_closing_a_live_call_hangs_it_up sip_call_ended_while_redis_is_down_frees_the_agent_when_it_is_back
  sip_calls_of_a_dead_node_end_when_its_lease_runs_out
  sip_call_ended_after_redis_is_back_waits_for_its_kept_answer
  sip_dial_a_phone_follow_up_rings_the_agent_then_calls_the_customer
  ws_idle_sockets_are_bounded_and_customers_and_agents_get_in ws_message_begun_and_not_finished_is_closed
  outbound_reply_leaves_through_the_senders_process_and_shows_sent
  outbound_retries_back_off_then_fail_with_the_providers_words
  wechat_callback_in_each_mode_opens_a_session_that_reaches_an_agent
  wechat_forged_stale_oversized_and_malformed_callbacks_store_nothing
  wechat_provider_errors_end_as_the_agent_should_see_them
  wechat_wecom_customer_service_fetches_with_a_cursor_across_a_restart
  sms_sip_bad_requests_get_clear_answers_and_store_nothing
  sms_sip_charsets_cpim_and_a_retransmission_stored_once
  sms_agents_reply_leaves_as_a_sip_message_to_the_gateway_and_shows_sent
  sms_twilio_refusal_fails_with_its_words_and_a_429_is_retried
  sms_kannel_parts_that_come_one_by_one_are_one_message
  email_a_new_mail_opens_a_session_of_the_sender_and_answers_join_it
  email_refusals_say_why_and_store_nothing
  email_attachments_are_kept_and_listed_for_the_agent
  email_postfix_a_customers_mail_reaches_the_agent_and_the_reply_threads_back
  media_a_queued_caller_hears_greeting_place_and_music_over_srtp
  media_offers_it_cannot_play_are_refused_with_a_warning_and_nothing_is_stored
  media_a_silent_caller_is_ended_and_its_ports_freed
  transfer_blind_by_refer_to_a_queue_moves_the_session_with_the_audio
  transfer_to_an_agent_who_cannot_take_it_leaves_the_call_with_the_first
  transfer_from_the_desk_refers_the_caller_and_the_audio_moves
  transfer_from_the_desk_the_callers_phone_refuses_keeps_the_call_and_says_why
  transfer_attended_after_a_consultation_moves_the_session_to_the_colleague
  transfer_whose_invite_reaches_another_node_moves_the_session_there
  transfer_from_the_desk_whose_invite_reaches_another_node_hangs_up_the_first_call
  agent_call_is_refused_to_anyone_but_an_agents_own_phone
  media_a_caller_who_presses_1_by_sip_info_is_called_back
  media_a_call_is_surveyed_on_the_line_after_the_agent_hangs_up
  media_a_caller_who_hangs_up_during_the_survey_gets_200_and_nothing_is_recorded
  media_a_survey_of_both_kinds_asks_csat_then_nps_and_10_is_1_then_0
  media_a_caller_who_presses_1_is_called_back_and_keeps_the_place
  media_a_call_outside_business_hours_hears_closed_then_480_with_retry_after
  email_imap_idle_reads_new_mail_as_it_comes
  archive_sqlite_intervals_copied_and_history_read_back
  archive_postgresql_stopped_and_restarted_in_the_middle
  email_imap_a_message_that_can_never_be_stored_is_flagged_and_passed
  sla_three_levels_once_across_two_nodes_to_wechat_the_desk_and_the_customer
  sip_a_call_outside_business_hours_is_told_when_to_call_again_or_goes_to_the_night_service
  followup_through_rest_scheduled_read_and_ended email_postfix_a_forged_delivery_report_fails_no_reply"

case "${1:-}" in
core)
  exec "$0" run $CORE
  ;;
build)
  src=$("$top/scripts/kamailio-src.sh" "${CACHE:-$top/.cache}")
  # Kamailio's own extra options (from make cfg) stay: MODULE_VERSION must match the core's
  cc_extra="$(sed -n 's/^CC_EXTRA_OPTS=//p' "$src/src/config.mak") $SAN_CC"
  mod_ld="$(sed -n 's/^MOD_LDFLAGS=//p' "$src/src/config.mak") $SAN"
  mkdir -p "$asan/src" "$asan/modules"
  # A copy of the sources (not of `make`'s objects) that keeps the relative paths the module
  # Makefiles use (../../include). Files keep their times, so make rebuilds what changed;
  # a source gone from the tree goes from the copy (Makefile.modules builds every *.c).
  dirs="modules include docs/examples tests/modules/omniq_asan"
  (cd "$top" && tar cf - --exclude='*.o' --exclude='*.d' --exclude='*.so' \
     --exclude=oq_lualib.c --exclude=ws_static.c $dirs) | (cd "$asan/src" && tar xf -)
  (cd "$asan/src" && find $dirs -type f \( -name '*.[ch]' -o -name '*.lua' \) ) |
    while read -r f; do
      case "$f" in */oq_lualib.c|*/ws_static.c) continue ;; esac
      [ -e "$top/$f" ] || rm -f "$asan/src/$f"
    done
  for m in "$asan"/src/modules/*/ "$asan"/src/docs/examples/*/; do
    # as the top Makefile: a module is a directory with a Makefile (one whose parts are
    # still being written, unit-tested alone, has none yet)
    [ -f "$m/Makefile" ] || continue
    make --no-print-directory -C "$m" COREPATH="$src/src" OMNIQ_INCLUDE="$asan/src/include" \
      SRTP_PREFIX="$("$top/scripts/libsrtp.sh" openssl "${CACHE:-$top/.cache}")" \
      CC_EXTRA_OPTS="$cc_extra" MOD_LDFLAGS="$mod_ld" quiet=silent
    cp "$m"/*.so "$asan/modules/"
  done
  # the fixture itself is not instrumented: it only hands pkg memory to libasan's allocator
  make --no-print-directory -C "$asan/src/tests/modules/omniq_asan" COREPATH="$src/src" quiet=silent
  cp "$asan/src/tests/modules/omniq_asan/omniq_asan.so" "$asan/modules/"
  echo "built with ASan+UBSan: $(cd "$asan/modules" && echo *.so) -> $asan/modules"
  ;;
run)
  shift
  [ -f "$asan/modules/omniq_asan.so" ] || { echo "no sanitizer build: make asan" >&2; exit 2; }
  export OMNIQ_SUITE=asan
  export OMNIQ_KAM_MODULES="$asan/modules"
  export OMNIQ_KAM_PRELOAD=$(gcc -print-file-name=libasan.so)
  export OMNIQ_KAM_ARGS="--loadmodule=$asan/modules/omniq_asan.so"
  # reports go to kamailio's log (stderr), where the harness looks for them; a UBSan finding
  # goes on (the test fails on its report), an ASan one ends its process
  export ASAN_OPTIONS="detect_leaks=1:leak_check_at_exit=1:abort_on_error=0:halt_on_error=1:detect_odr_violation=0:allocator_may_return_null=1:print_suppressions=0"
  # leaks that are Kamailio's or a library's, never ours: each explained in the file
  export LSAN_OPTIONS="suppressions=$top/scripts/asan-leaks.supp"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0"
  exec /usr/bin/python3 "$top/tests/integration/run.py" "$@"
  ;;
*)
  echo "usage: $0 build | run [test...] | core" >&2; exit 2 ;;
esac
