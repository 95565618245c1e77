/* Helpers for CUnit tests: temp files, fixture paths, spawning servers. */
#ifndef TESTUTIL_H
#define TESTUTIL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Adds a suite with its tests; tests is a NULL-name-terminated array. */
struct tu_test {
	const char *name;
	void (*fn)(void);
};
void tu_add_suite(const char *suite, const struct tu_test *tests);

/* Writes text to a new temp file with the given mode; returns its path
 * (static buffer per call site is not safe: the result is malloc'd). */
char *tu_write_temp(const char *text, int mode);

/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
char *tu_read_file(const char *path, size_t *len);

/* Path of a payload in tests/data (rel e.g. "binance/x.json"): under
 * $VIGIL_TEST_DATA, else tests/data (run from the repository root), else
 * ../tests/data beside the binary's directory. Static buffer. */
const char *tu_fixture(const char *rel);

/* Starts argv[0] with args; waits until it prints a line "port=N" on
 * stdout (up to timeout_ms) and returns the pid, writing N to *port.
 * Returns -1 on failure. The child's stderr goes to $VIGIL_TEST_LOGDIR or
 * /dev/null. */
pid_t tu_spawn_server(char *const argv[], int *port, int timeout_ms);
/* SIGTERM, wait up to 3 s, then SIGKILL. Returns the exit status or -1. */
int tu_stop_server(pid_t pid);

/* A listening TCP socket on 127.0.0.1 at a free port (*port), for a
 * test's own small server; -1 on failure. */
int tu_listen_loopback(int *port);

/* Clocks for tests and benchmarks: monotonic ns, wall-clock ms. */
int64_t tu_mono_ns(void);
int64_t tu_wall_ms(void);

/* Path of a build output (vigil, vigil-sim): $VIGIL_BUILD or "build". */
const char *tu_build_path(const char *name);

#endif
