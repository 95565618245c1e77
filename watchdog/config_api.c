/* [api] checks: where the bot's query API listens and who may use it
 * (watchdog/api.c). A unix socket is guarded by its file mode and group;
 * a TCP port only on loopback (wd_parse_listen, the /metrics rules) and
 * then only with a bearer token from a 0600 file (wd_load_secret, which
 * registers it for log redaction). Decided at load, so check-config
 * refuses what `vigil run` could not serve safely. */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "watchdog/config.h"
#include "watchdog/metrics.h"

#define API_TOKEN_MIN 16

int wd_conf_check_api(struct wd_conf *c, char *err, size_t errlen)
{
	struct wd_api_conf *a = &c->api;
	a->gid = -1;
	if (!a->listen[0]) {
		if (a->token_file[0] || a->socket_group[0]) {
			snprintf(err, errlen, "%s: [api] token_file / socket_group given but listen is not", c->path);
			return -1;
		}
		return 0;
	}
	char *end;
	unsigned long mode = strtoul(a->socket_mode, &end, 8);
	if (!a->socket_mode[0] || *end || mode > 0777 || a->socket_mode[0] == '-' || a->socket_mode[0] == '+') {
		snprintf(err, errlen, "%s: [api] socket_mode: '%s' is not an octal file mode (e.g. 0660)", c->path,
			 a->socket_mode);
		return -1;
	}
	if (mode & 0007) {
		snprintf(err, errlen,
			 "%s: [api] socket_mode %s lets every local user query the API; give access through "
			 "socket_group (e.g. 0660)",
			 c->path, a->socket_mode);
		return -1;
	}
	a->mode = (unsigned)mode;
	if (strncmp(a->listen, "unix:", 5) == 0) {
		const char *p = a->listen + 5;
		a->is_unix = true;
		if (p[0] != '/' || strlen(p) >= sizeof((struct sockaddr_un *)0)->sun_path || strstr(p, "/../") ||
		    p[strlen(p) - 1] == '/') {
			snprintf(err, errlen,
				 "%s: [api] listen: '%s': a unix socket needs an absolute path of at most %zu "
				 "bytes (unix:/run/vigil/api.sock)",
				 c->path, a->listen, sizeof((struct sockaddr_un *)0)->sun_path - 1);
			return -1;
		}
		if (a->socket_group[0]) {
			struct group gr, *g = NULL;
			char buf[4096];
			if (getgrnam_r(a->socket_group, &gr, buf, sizeof buf, &g) != 0 || !g) {
				snprintf(err, errlen, "%s: [api] socket_group: no group '%s'", c->path,
					 a->socket_group);
				return -1;
			}
			a->gid = (long long)g->gr_gid;
		}
	} else {
		char host[64], why[256];
		int port;
		a->is_unix = false;
		if (wd_parse_listen(a->listen, host, sizeof host, &port, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: [api] listen: %s (unix:/PATH, or a loopback HOST:PORT)", c->path,
				 why);
			return -1;
		}
		if (a->socket_group[0]) {
			snprintf(err, errlen, "%s: [api] socket_group is for a unix socket only", c->path);
			return -1;
		}
		if (!a->token_file[0]) {
			snprintf(err, errlen,
				 "%s: [api] listen on TCP (%s) needs token_file: a 0600 file holding the bearer token "
				 "(any local user can reach a loopback port)",
				 c->path, a->listen);
			return -1;
		}
	}
	if (a->token_file[0]) {
		if (wd_load_secret(c->path, 0, "[api] token", "", a->token_file, 1, &a->token, err, errlen) != 0)
			return -1;
		if (strlen(a->token) < API_TOKEN_MIN) {
			snprintf(err, errlen, "%s: [api] token_file: the token is shorter than %d characters", c->path,
				 API_TOKEN_MIN);
			return -1;
		}
	}
	return 0;
}
