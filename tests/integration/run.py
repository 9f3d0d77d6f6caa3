#!/usr/bin/env python3
"""omniq integration tests: real kamailio + redis-server (+ sipp) on loopback."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_core  # noqa: E402,F401
import test_failure  # noqa: E402,F401
import test_hammer  # noqa: E402,F401
import test_sip  # noqa: E402,F401
import test_ws  # noqa: E402,F401
import test_desk  # noqa: E402,F401
import test_app  # noqa: E402,F401
import test_rest  # noqa: E402,F401
import test_channels  # noqa: E402,F401
import test_tenants  # noqa: E402,F401
import test_hooks  # noqa: E402,F401
import test_settings  # noqa: E402,F401
import test_e2e  # noqa: E402,F401
import test_harness  # noqa: E402,F401
import test_faults  # noqa: E402,F401
import test_events_gap  # noqa: E402,F401
import test_drill  # noqa: E402,F401
import test_ws_admit  # noqa: E402,F401
import test_outbound  # noqa: E402,F401
import test_wechat_standin  # noqa: E402,F401
import test_wechat  # noqa: E402,F401
import test_twilio_standin  # noqa: E402,F401
import test_kannel_rig  # noqa: E402,F401
import test_mail_rig  # noqa: E402,F401
import test_sms  # noqa: E402,F401
import test_email  # noqa: E402,F401
import test_email_postfix  # noqa: E402,F401
import test_email_pipe  # noqa: E402,F401
import test_email_imap  # noqa: E402,F401
import test_email_settings  # noqa: E402,F401
import test_sla  # noqa: E402,F401
import test_sla_targets  # noqa: E402,F401
import test_hours  # noqa: E402,F401
import test_followup  # noqa: E402,F401
import test_sip_dial  # noqa: E402,F401
import test_survey  # noqa: E402,F401
import test_report  # noqa: E402,F401
import test_archive  # noqa: E402,F401
import test_softphone  # noqa: E402,F401
import test_clients  # noqa: E402,F401
import test_integrator  # noqa: E402,F401
import test_media  # noqa: E402,F401
import test_transfer  # noqa: E402,F401
import test_agentcall  # noqa: E402,F401

if __name__ == "__main__":
    import parallel  # noqa: E402
    args = sys.argv[1:]
    if args[:1] == ["--worker"]:
        sys.exit(parallel.worker())
    # OMNIQ_JOBS tests at once (parallel.py); 1: one by one in this process
    jobs = int(os.environ.get("OMNIQ_JOBS", "3"))
    sys.exit(parallel.run(args or None, jobs) if jobs > 1 else harness.run(args or None))
