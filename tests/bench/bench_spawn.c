/* Whole-process cost of several commands, run interleaved (A B C, A B C,
 * ...) so drift on the machine hits each the same: wall time
 * (CLOCK_MONOTONIC around fork..wait4), CPU time (user + system from
 * wait4's rusage) and peak RSS (ru_maxrss). Medians over the rounds, then
 * each command's ratio to the first one.
 *   bench_spawn PREFIX ROUNDS NAME CMD ARGS... [:: NAME CMD ARGS...]...
 * Prints "PREFIX_NAME_wall_ms X ms", "..._cpu_ms", "..._rss_mib", "..._exit"
 * and "PREFIX_NAME_over_FIRST_wall X ratio" / "_rss". Children's stdout
 * and stderr go to /dev/null (BENCH_SPAWN_SHOW=1 keeps them). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCMD 8
#define MAXROUNDS 101

struct cmd {
	const char *name;
	char **argv;
	double wall[MAXROUNDS], cpu[MAXROUNDS], rss[MAXROUNDS];
	int last_exit;
};

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double t[MAXROUNDS];
	memcpy(t, v, n * sizeof *v);
	qsort(t, n, sizeof *t, cmpd);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static int run_once(struct cmd *c, int r)
{
	double t0 = mono_ms();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!getenv("BENCH_SPAWN_SHOW")) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	int st = 0;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0)
		return -1;
	c->wall[r] = mono_ms() - t0;
	c->cpu[r] = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
		    ru.ru_stime.tv_usec / 1e3;
	c->rss[r] = ru.ru_maxrss / 1024.0;
	c->last_exit = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: bench_spawn PREFIX ROUNDS NAME CMD ARGS... [:: NAME CMD ARGS...]...\n");
		return 2;
	}
	const char *prefix = argv[1];
	int rounds = atoi(argv[2]);
	if (rounds < 1 || rounds > MAXROUNDS)
		rounds = rounds < 1 ? 1 : MAXROUNDS;
	static struct cmd cmds[MAXCMD];
	int nc = 0;
	for (int i = 3; i < argc && nc < MAXCMD;) {
		cmds[nc].name = argv[i++];
		cmds[nc].argv = &argv[i];
		while (i < argc && strcmp(argv[i], "::") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL; /* terminates this command's argv */
		if (cmds[nc].argv[0])
			nc++;
	}
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < nc; k++)
			if (run_once(&cmds[k], r) != 0) {
				perror("bench_spawn");
				return 1;
			}
	double w0 = 0, m0 = 0;
	for (int k = 0; k < nc; k++) {
		struct cmd *c = &cmds[k];
		double w = median(c->wall, rounds), cpu = median(c->cpu, rounds), m = median(c->rss, rounds);
		printf("%s_%s_wall_ms %.1f ms\n", prefix, c->name, w);
		printf("%s_%s_cpu_ms %.1f ms\n", prefix, c->name, cpu);
		printf("%s_%s_rss_mib %.1f MiB\n", prefix, c->name, m);
		printf("%s_%s_exit %d code\n", prefix, c->name, c->last_exit);
		if (k == 0) {
			w0 = w;
			m0 = m;
		} else {
			printf("%s_%s_over_%s_wall %.2f ratio\n", prefix, c->name, cmds[0].name, w0 > 0 ? w / w0 : 0);
			printf("%s_%s_over_%s_rss %.2f ratio\n", prefix, c->name, cmds[0].name, m0 > 0 ? m / m0 : 0);
			printf("%s_%s_over_%s_wall %.2f ratio\n", prefix, cmds[0].name, c->name, w > 0 ? w0 / w : 0);
		}
	}
	return 0;
}
