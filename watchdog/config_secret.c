/* Secrets named by the config: read from a 0600 file or the environment,
 * never from the config itself.
 *
 * A secret file is opened without following a symlink and without blocking
 * (a FIFO there must not hang the daemon, at start or on SIGHUP), then
 * judged on the open descriptor: a regular file, owned by root or by
 * vigil's user, no group / other bits, at most WD_SECRET_MAX bytes. One
 * trailing newline is dropped; any other control byte is an error (a
 * secret with an embedded newline would be cut or sent wrong).
 *
 * Environment secrets: once the process has loaded them, the main program
 * may scrub them (wd_secret_env_scrub): they are copied into a private
 * table and removed from the environment, so /proc/PID/environ does not
 * hold them; a reload finds them in the table. */
#include "watchdog/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

#define WD_SECRET_MAX 4096
#define WD_KEPT_MAX 64

static bool scrub_env;
static struct {
	char *name, *value;
} kept[WD_KEPT_MAX];
static size_t nkept;

void wd_secret_env_scrub(bool on)
{
	scrub_env = on;
}

static const char *kept_value(const char *name)
{
	for (size_t i = 0; i < nkept; i++)
		if (strcmp(kept[i].name, name) == 0)
			return kept[i].value;
	return NULL;
}

/* The variable's value: the environment first (a reload may bring a new
 * one), then the copy kept when it was scrubbed. */
static const char *env_secret(const char *name)
{
	const char *v = getenv(name);
	if (v && *v) {
		if (scrub_env) {
			size_t i = 0;
			while (i < nkept && strcmp(kept[i].name, name) != 0)
				i++;
			if (i < WD_KEPT_MAX) {
				if (i == nkept) {
					kept[nkept].name = xstrdup(name);
					kept[nkept++].value = NULL;
				}
				if (kept[i].value) {
					explicit_bzero(kept[i].value, strlen(kept[i].value));
					free(kept[i].value);
				}
				kept[i].value = xstrdup(v);
				explicit_bzero(getenv(name), strlen(v)); /* the environ copy too */
				unsetenv(name);
				return kept[i].value;
			}
		}
		return v;
	}
	return kept_value(name);
}

char *wd_read_secret_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen, "secret file %s is a symbolic link; name the file itself", path);
		else
			snprintf(err, errlen, "cannot open secret file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	const char *bad = NULL;
	if (fstat(fd, &st) != 0)
		bad = "cannot be examined";
	else if (!S_ISREG(st.st_mode))
		bad = "is not a regular file";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		bad = "is owned by another user (must be root or vigil's own user)";
	else if (st.st_size > WD_SECRET_MAX)
		bad = "is larger than 4096 bytes (not a secret)";
	if (bad) {
		snprintf(err, errlen, "secret file %s %s", path, bad);
		close(fd);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "secret file %s is accessible by group or others (mode %03o); run: chmod 600 %s",
			 path, (unsigned)(st.st_mode & 0777), path);
		close(fd);
		return NULL;
	}
	char buf[WD_SECRET_MAX + 2];
	size_t n = 0;
	for (;;) {
		ssize_t got = read(fd, buf + n, sizeof buf - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n >= sizeof buf - 1)
			break;
	}
	close(fd);
	buf[n] = '\0';
	if (n > WD_SECRET_MAX) {
		snprintf(err, errlen, "secret file %s is larger than 4096 bytes (not a secret)", path);
		explicit_bzero(buf, sizeof buf);
		return NULL;
	}
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			snprintf(err, errlen,
				 "secret file %s holds a line break or control byte inside the secret (byte %zu); it "
				 "must "
				 "be one line",
				 path, i + 1);
			explicit_bzero(buf, sizeof buf);
			return NULL;
		}
	if (n == 0) {
		snprintf(err, errlen, "secret file %s is empty", path);
		return NULL;
	}
	char *s = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return s;
}

/* Loads one secret named by an env var or a file. required: error if neither. */
int wd_load_secret(const char *path, int line, const char *what, const char *env, const char *file, int required,
		   char **out, char *err, size_t errlen)
{
	*out = NULL;
	char at[600];
	if (line > 0)
		snprintf(at, sizeof at, "%s:%d", path, line);
	else
		snprintf(at, sizeof at, "%s", path);
	path = at;
	if (*env && *file) {
		snprintf(err, errlen, "%s: %s: set either the _env or the _file key, not both", path, what);
		return -1;
	}
	if (*env) {
		const char *v = env_secret(env);
		if (!v || !*v) {
			snprintf(err, errlen, "%s: %s: environment variable %s is not set", path, what, env);
			return -1;
		}
		*out = xstrdup(v);
	} else if (*file) {
		char e2[400];
		*out = wd_read_secret_file(file, e2, sizeof e2);
		if (!*out) {
			snprintf(err, errlen, "%s: %s: %s", path, what, e2);
			return -1;
		}
	} else if (required) {
		snprintf(err, errlen, "%s: %s: missing required key (%s_env or %s_file)", path, what, what, what);
		return -1;
	}
	if (*out)
		log_secret_add(*out);
	return 0;
}
