-- omniq's SQL archive (modules/omniq/oq_archive.c; docs/admin.md "The SQL archive").
-- The archive process runs these statements on every connection (all are IF NOT EXISTS):
-- an admin may also apply them beforehand, e.g. psql -f archive.sql. Portable SQL: the
-- same text serves SQLite (db_sqlite) and PostgreSQL (db_postgres). Times are ms since
-- 1970 (UTC), as everywhere in omniq.

-- Every ended session: one row, written when it ended and again after a late change (its
-- survey answer, its first-contact verdict). `record` is its whole Redis hash as a JSON
-- object and `transcript` its messages as a JSON array: what the columns do not name is
-- still there.
CREATE TABLE IF NOT EXISTS omniq_session (
    tenant VARCHAR(64) NOT NULL,
    sid VARCHAR(20) NOT NULL,
    channel VARCHAR(32) NOT NULL,
    queue VARCHAR(64) NOT NULL,
    customer VARCHAR(64) NOT NULL,
    identity VARCHAR(256) NOT NULL,
    agent VARCHAR(64) NOT NULL,
    state VARCHAR(16) NOT NULL,
    created BIGINT,
    enqueued BIGINT,
    answered BIGINT,
    ended BIGINT NOT NULL,
    disposition VARCHAR(64) NOT NULL,
    tags VARCHAR(1024) NOT NULL,
    csat INTEGER,
    nps INTEGER,
    survey VARCHAR(16) NOT NULL,
    fcr INTEGER,
    transfers INTEGER NOT NULL,
    record TEXT NOT NULL,
    transcript TEXT NOT NULL,
    archived BIGINT NOT NULL,
    PRIMARY KEY (tenant, sid)
);
CREATE INDEX IF NOT EXISTS omniq_session_ended ON omniq_session (tenant, ended);
CREATE INDEX IF NOT EXISTS omniq_session_customer ON omniq_session (tenant, customer);

-- The reports' figures of every 15-minute interval (lua/76_report.lua): one row per
-- dimension, kind '*' (the tenant, name '*'), 'q' queue, 'c' channel, 'a' agent, 'g'
-- complaint tag; figures are REP.FIGURES' numbers in order, space-separated.
CREATE TABLE IF NOT EXISTS omniq_interval (
    tenant VARCHAR(64) NOT NULL,
    start BIGINT NOT NULL,
    kind CHAR(1) NOT NULL,
    name VARCHAR(1024) NOT NULL,
    figures TEXT NOT NULL,
    PRIMARY KEY (tenant, start, kind, name)
);
