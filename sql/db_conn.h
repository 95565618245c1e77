/* The libpq layer's connection: lazy connect with connect_timeout and
 * statement_timeout, reconnect with exponential backoff, parameterised
 * queries only (values never go into SQL text; identifiers such as the
 * schema name are validated and quoted with PQescapeIdentifier).
 *
 * A connection is used by one thread at a time: the journal, the outbox,
 * the HA lock and the findings store each own one. */
#ifndef DB_CONN_H
#define DB_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Return codes (0 = ok). */
#define DB_OK 0
#define DB_EUNREACH (-2) /* cannot connect / connection lost: SOURCE_UNREACHABLE */
#define DB_ESQL (-3)     /* the server refused the statement */
#define DB_EDATA (-4)    /* unexpected result shape or bad input */
#define DB_ECONFIG (-5)  /* bad schema name, bad dsn */

struct db_err {
	int code;
	char sqlstate[6];
	char msg[512];
};

/* What a connection needs (the program builds it from its configuration). */
struct db_params {
	char dsn[512];
	char password[256];           /* "" = none (or from dsn/.pgpass) */
	char schema[64];              /* vigil's schema; "" = "vigil" */
	int64_t connect_timeout_ms;   /* 0 = 5 s */
	int64_t statement_timeout_ms; /* 0 = 5 s */
	int64_t backoff_min_ms;       /* 0 = 250 ms */
	int64_t backoff_max_ms;       /* 0 = 30 s */
	bool read_only;               /* default_transaction_read_only=on (bot db) */
	char app_name[64];            /* application_name; "" = "vigil" */
};

/* True if s is a safe schema name: [a-z_][a-z0-9_]{0,62}. */
bool db_ident_ok(const char *s);

struct db_conn;

/* Validates p (schema name) and returns a connection object; it connects
 * on first use. NULL with e set on a bad schema name. */
struct db_conn *db_conn_new(const struct db_params *p, struct db_err *e);
void db_conn_free(struct db_conn *c);

/* Connects if needed. DB_EUNREACH while the backoff delay after a failed
 * attempt runs (no attempt made) or when the attempt fails. */
int db_conn_ensure(struct db_conn *c, struct db_err *e);
bool db_conn_up(const struct db_conn *c);
/* Forgets the backoff so the next call tries at once (tests, operator). */
void db_conn_retry_now(struct db_conn *c);
/* The parameters the connection was made with (defaults filled in). */
const struct db_params *db_conn_params(const struct db_conn *c);
/* The live libpq handle or NULL. */
PGconn *db_conn_pg(struct db_conn *c);
/* The quoted schema identifier ("vigil"), valid once connected. */
const char *db_conn_schema(struct db_conn *c);

/* Runs sql with text parameters (PQexecParams). On success returns 0 and,
 * if res is not NULL, the result (PQclear it). A lost connection gives
 * DB_EUNREACH; outside a transaction the statement is retried once on a
 * fresh connection, so statements must be idempotent (inserts use ON
 * CONFLICT DO NOTHING). "%S" in sql is replaced by the quoted schema. */
int db_exec(struct db_conn *c, const char *sql, int nparams, const char *const *vals, PGresult **res, struct db_err *e);
/* Number of rows a command touched (PQcmdTuples) via db_exec. */
int db_exec_count(struct db_conn *c, const char *sql, int nparams, const char *const *vals, long *count,
		  struct db_err *e);

int db_begin(struct db_conn *c, struct db_err *e);
int db_commit(struct db_conn *c, struct db_err *e);
void db_rollback(struct db_conn *c);

/* Fills e (code, message with secrets redacted). Returns code. */
int db_err_set(struct db_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clocks: wd_wall_ms (stored times), wd_mono_ms (backoff). */
#include "base/clock_now.h"
/* A new random positive 63-bit id, roughly time ordered. */
int64_t db_new_id(void);

/* SQL fragments converting between ms since the epoch and timestamptz. */
#define DB_MS2TS(p) "(timestamptz 'epoch' + (" p ")::int8 * interval '1 millisecond')"
#define DB_TS2MS(c) "coalesce((extract(epoch from " c ") * 1000)::int8, 0)"

#endif
