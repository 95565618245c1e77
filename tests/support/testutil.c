#include "tests/support/testutil.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void tu_add_suite(const char *suite, const struct tu_test *tests)
{
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	if (!s) {
		fprintf(stderr, "cannot add suite %s\n", suite);
		exit(2);
	}
	for (const struct tu_test *t = tests; t->name; t++)
		CU_add_test(s, t->name, t->fn);
}

char *tu_write_temp(const char *text, int mode)
{
	const char *dir = getenv("TMPDIR");
	char *path = malloc(512);
	snprintf(path, 512, "%s/vigil-test.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		free(path);
		return NULL;
	}
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		free(path);
		return NULL;
	}
	fchmod(fd, (mode_t)mode);
	close(fd);
	return path;
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

const char *tu_fixture(const char *rel)
{
	static char path[PATH_MAX + 64];
	const char *env = getenv("VIGIL_TEST_DATA");
	if (env && *env) {
		snprintf(path, sizeof path, "%s/%s", env, rel);
		return path;
	}
	snprintf(path, sizeof path, "tests/data/%s", rel);
	if (access(path, R_OK) == 0)
		return path;
	/* run from elsewhere: tests/data beside the binary's build directory */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof path, "%s/../tests/data/%s", exe, rel);
		}
	}
	return path;
}

const char *tu_build_path(const char *name)
{
	static char path[4][512];
	static int slot;
	const char *b = getenv("VIGIL_BUILD");
	char *p = path[slot++ & 3];
	snprintf(p, 512, "%s/%s", b && *b ? b : "build", name);
	return p;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pid_t tu_spawn_server(char *const argv[], int *port, int timeout_ms)
{
	int pfd[2];
	if (pipe(pfd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		const char *logdir = getenv("VIGIL_TEST_LOGDIR");
		char lp[512];
		if (logdir && *logdir)
			snprintf(lp, sizeof lp, "%s/%s.%d.log", logdir,
				 strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0], (int)getpid());
		else
			snprintf(lp, sizeof lp, "/dev/null");
		int efd = open(lp, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (efd >= 0)
			dup2(efd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	char buf[256];
	size_t n = 0;
	long long deadline = now_ms() + timeout_ms;
	*port = 0;
	while (now_ms() < deadline && n < sizeof buf - 1) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int r = poll(&p, 1, 100);
		if (r <= 0)
			continue;
		ssize_t k = read(pfd[0], buf + n, 1);
		if (k <= 0)
			break;
		n++;
		buf[n] = '\0';
		char *s = strstr(buf, "port=");
		if (s && strchr(s, '\n')) {
			*port = atoi(s + 5);
			break;
		}
	}
	/* keep the pipe's read end open by handing it to nobody: close it; the
	 * child must not die on SIGPIPE for later prints, so it should ignore it */
	close(pfd[0]);
	if (*port <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

int tu_stop_server(pid_t pid)
{
	int st;
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	for (int i = 0; i < 300; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

int64_t tu_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t tu_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tu_listen_loopback(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}
