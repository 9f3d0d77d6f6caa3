/* oq_archive.h - the SQL archive (oq_archive.c): ended sessions and the reports' intervals
 * copied out of Redis into a database an admin chooses through Kamailio's own database API
 * (srdb1, as acc does), and the reports' history read back from it. */
#ifndef OQ_ARCHIVE_H
#define OQ_ARCHIVE_H

#include "core/str.h"
#include "oq_redis.h"

typedef struct oq_archive_cfg {
	str db_url;        /* modparam archive_db_url: "" = no archive process */
	int batch;         /* archive_batch: sessions per database transaction */
	int interval_ms;   /* archive_interval: the wait when nothing is pending, or after a
	                    * failure */
	int reports_s;     /* archive_reports_interval: how often intervals are copied */
} oq_archive_cfg_t;

extern oq_archive_cfg_t oq_archive_cfg;

/* mod_init, before the settings are written to Redis: binds the database module (a
 * missing one stops the start), turns the setting `archive` on, asks for the process. */
int oq_archive_mod_init(void);
/* PROC_MAIN's child_init: forks "omniq archive" when there is a database. */
int oq_archive_fork(void);
/* oq_report for from to step by [name] (argc 4 or 5), with the archive's copies of the
 * intervals Redis no longer holds when the range reaches back that far: the reply, or
 * NULL with *rc and oq_last_error() set (an unreachable database is an error, never
 * figures that silently leave a part out). */
redisReply *oq_report_call(int argc, const str *argv, int *rc);

#endif
