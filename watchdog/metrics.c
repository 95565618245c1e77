/* DESIGN: the metrics registry. A flat array of series under one mutex:
 * vigil has at most a few thousand series (accounts x codes x endpoints),
 * updates happen a few times per audit, so a linear scan with strcmp is
 * cheaper than any cleverness and trivially correct. Rendering sorts by
 * family name then labels so scrapes are stable and diffable. */
#include "watchdog/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define WD_HIST_NB 11
static const double hist_bounds[WD_HIST_NB] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

struct wd_family {
	char *name;
	char *help;
	enum wd_mtype type;
};

struct wd_series {
	char *name;
	char *labels;
	enum wd_mtype type;
	double value;                 /* counter / gauge */
	uint64_t buckets[WD_HIST_NB]; /* histogram, non-cumulative */
	uint64_t count;
	double sum;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct wd_family *fams;
static size_t nfams, capfams;
static struct wd_series *series;
static size_t nseries, capseries;

static struct wd_family *family_find(const char *name)
{
	for (size_t i = 0; i < nfams; i++)
		if (strcmp(fams[i].name, name) == 0)
			return &fams[i];
	return NULL;
}

void wd_metric_declare(const char *name, enum wd_mtype type, const char *help)
{
	pthread_mutex_lock(&mu);
	if (!family_find(name)) {
		if (nfams == capfams) {
			capfams = capfams ? capfams * 2 : 32;
			fams = xrealloc(fams, capfams * sizeof *fams);
		}
		fams[nfams].name = xstrdup(name);
		fams[nfams].help = xstrdup(help ? help : "");
		fams[nfams].type = type;
		nfams++;
	}
	pthread_mutex_unlock(&mu);
}

/* Under mu. */
static struct wd_series *series_get(const char *name, const char *labels, enum wd_mtype type)
{
	if (!labels)
		labels = "";
	for (size_t i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0 && strcmp(series[i].labels, labels) == 0)
			return &series[i];
	if (nseries == capseries) {
		capseries = capseries ? capseries * 2 : 64;
		series = xrealloc(series, capseries * sizeof *series);
	}
	struct wd_series *s = &series[nseries++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->labels = xstrdup(labels);
	s->type = type;
	return s;
}

void wd_metric_add(const char *name, const char *labels, double v)
{
	pthread_mutex_lock(&mu);
	series_get(name, labels, WD_MT_COUNTER)->value += v;
	pthread_mutex_unlock(&mu);
}

void wd_metric_set(const char *name, const char *labels, double v)
{
	pthread_mutex_lock(&mu);
	series_get(name, labels, WD_MT_GAUGE)->value = v;
	pthread_mutex_unlock(&mu);
}

void wd_metric_observe(const char *name, const char *labels, double v)
{
	pthread_mutex_lock(&mu);
	struct wd_series *s = series_get(name, labels, WD_MT_HISTOGRAM);
	s->type = WD_MT_HISTOGRAM;
	s->count++;
	s->sum += v;
	for (size_t i = 0; i < WD_HIST_NB; i++)
		if (v <= hist_bounds[i]) {
			s->buckets[i]++;
			break;
		}
	pthread_mutex_unlock(&mu);
}

void wd_metric_unset(const char *name, const char *labels)
{
	if (!labels)
		labels = "";
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0 && strcmp(series[i].labels, labels) == 0) {
			free(series[i].name);
			free(series[i].labels);
			series[i] = series[--nseries];
			break;
		}
	pthread_mutex_unlock(&mu);
}

void wd_metric_zero(const char *name, const char *label_prefix)
{
	size_t pl = label_prefix ? strlen(label_prefix) : 0;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0 && (pl == 0 || strncmp(series[i].labels, label_prefix, pl) == 0))
			series[i].value = 0;
	pthread_mutex_unlock(&mu);
}

double wd_metric_get(const char *name, const char *labels)
{
	double v = 0;
	if (!labels)
		labels = "";
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0 && strcmp(series[i].labels, labels) == 0) {
			v = series[i].type == WD_MT_HISTOGRAM ? (double)series[i].count : series[i].value;
			break;
		}
	pthread_mutex_unlock(&mu);
	return v;
}

char *wd_metric_escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *in && o + 3 < outlen; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
	return out;
}

static int series_cmp(const void *a, const void *b)
{
	const struct wd_series *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->labels, y->labels);
}

static const char *type_name(enum wd_mtype t)
{
	return t == WD_MT_COUNTER ? "counter" : t == WD_MT_GAUGE ? "gauge" : "histogram";
}

/* Exact: integers as integers (up to 2^53), others in the shortest form
 * that reads back as the same double (a timestamp keeps its milliseconds;
 * "%.6g" once printed 1.79622e+09, 52 minutes off). */
static void fmt_num(FILE *f, double v)
{
	if (isnan(v)) {
		fputs("NaN", f);
	} else if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	} else if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
		fprintf(f, "%.0f", v);
	} else {
		char b[40];
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(b, sizeof b, "%.*g", prec, v);
			if (strtod(b, NULL) == v)
				break;
		}
		fputs(b, f);
	}
}

static void render_hist(FILE *f, const struct wd_series *s)
{
	const char *sep = s->labels[0] ? "," : "";
	uint64_t cum = 0;
	for (size_t i = 0; i < WD_HIST_NB; i++) {
		cum += s->buckets[i];
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->name, s->labels, sep, hist_bounds[i],
			(unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->name, s->labels, sep, (unsigned long long)s->count);
	if (s->labels[0]) {
		fprintf(f, "%s_sum{%s} ", s->name, s->labels);
		fmt_num(f, s->sum);
		fprintf(f, "\n%s_count{%s} %llu\n", s->name, s->labels, (unsigned long long)s->count);
	} else {
		fprintf(f, "%s_sum ", s->name);
		fmt_num(f, s->sum);
		fprintf(f, "\n%s_count %llu\n", s->name, (unsigned long long)s->count);
	}
}

char *wd_metrics_render(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return xstrdup("");
	pthread_mutex_lock(&mu);
	struct wd_series *copy = xmalloc((nseries ? nseries : 1) * sizeof *copy);
	if (nseries)
		memcpy(copy, series, nseries * sizeof *copy);
	qsort(copy, nseries, sizeof *copy, series_cmp);
	const char *last = NULL;
	for (size_t i = 0; i < nseries; i++) {
		const struct wd_series *s = &copy[i];
		if (!last || strcmp(last, s->name) != 0) {
			const struct wd_family *fam = family_find(s->name);
			if (fam && fam->help[0])
				fprintf(f, "# HELP %s %s\n", s->name, fam->help);
			fprintf(f, "# TYPE %s %s\n", s->name, type_name(fam ? fam->type : s->type));
			last = s->name;
		}
		if (s->type == WD_MT_HISTOGRAM) {
			render_hist(f, s);
			continue;
		}
		if (s->labels[0])
			fprintf(f, "%s{%s} ", s->name, s->labels);
		else
			fprintf(f, "%s ", s->name);
		fmt_num(f, s->value);
		fputc('\n', f);
	}
	pthread_mutex_unlock(&mu);
	free(copy);
	fclose(f);
	return buf;
}

void wd_metrics_reset(void)
{
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nseries; i++) {
		free(series[i].name);
		free(series[i].labels);
	}
	for (size_t i = 0; i < nfams; i++) {
		free(fams[i].name);
		free(fams[i].help);
	}
	free(series);
	free(fams);
	series = NULL;
	fams = NULL;
	nseries = capseries = nfams = capfams = 0;
	pthread_mutex_unlock(&mu);
}
