/* oq_archive_db.h - the SQL archive's database, shared by the archive process
 * (oq_archive.c) and the reports' history reader (oq_archive_report.c): one connection per
 * process, opened when first needed; the values srdb1 takes and gives. Internal to omniq. */
#ifndef OQ_ARCHIVE_DB_H
#define OQ_ARCHIVE_DB_H

#include <hiredis/hiredis.h>

#include "core/str.h"
#include "lib/srdb1/db.h"

extern db_func_t oq_adb;       /* the database module's functions (bound in mod_init) */
extern db1_con_t *oq_adbh;     /* this process's connection, NULL until opened */
extern str oq_adb_sessions, oq_adb_intervals;   /* the tables (archive.sql) */
extern str oq_adb_icols[5];    /* omniq_interval's: tenant start kind name figures */

const char *oq_adb_url(void);  /* archive_db_url as it may be logged: no password */
/* This process's connection: 0 with oq_adbh open and the tables there, or -1. */
int oq_adb_open(void);
void oq_adb_close(void);
/* One statement with no rows wanted (BEGIN, COMMIT, the schema's): 0 or -1. */
int oq_adb_exec(const char *sql, int len);
void oq_adb_begin(void);
/* A failed transaction: ROLLBACK, and the connection closed (the next try opens one). */
void oq_adb_fail(void);

void oq_adb_str(db_val_t *v, const char *s, int len);   /* text (NULL s: "") */
void oq_adb_ll(db_val_t *v, long long n);               /* a BIGINT */
void oq_adb_num(db_val_t *v, const redisReply *s);     /* a decimal field, or NULL */
long long oq_adb_ll_of(const db_val_t *v);   /* a result's number, whatever its type */
str oq_adb_str_of(const db_val_t *v);         /* a result's text ("" for NULL) */

#endif
