/* bench.c: machine facts, CSV headers, medians and progress lines (see bench.h). */
#include "bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "sysinfo.h"
#include "trace.h"

#ifdef __clang__
#define BENCH_COMPILER "clang " __clang_version__
#else
#define BENCH_COMPILER "gcc " __VERSION__
#endif

static char series[32]; /* "" for the reference, "-yours" for the learner's code */

const char *bench_outdir(int argc, char **argv, const char *name)
{
    if (argc < 2 || argc > 3 || argv[1][0] == '\0' || (argc == 3 && strcmp(argv[2], "yours"))) {
        fprintf(stderr,
                "usage: bench_%s OUTDIR [yours]   (writes OUTDIR/%s.csv, or %s-yours.csv)\n", name,
                name, name);
        return NULL;
    }
    snprintf(series, sizeof(series), "%s", argc == 3 ? "-yours" : "");
    return argv[1];
}

int bench_traced(size_t capacity, int (*run)(void *ctx, struct h_trace *trace), void *ctx,
                 struct h_trace **out, double *took_s)
{
    struct h_trace *trace;
    int64_t start;
    int rc = h_trace_create(&trace, capacity);

    if (rc != 0)
        return rc;
    start = h_now_ns();
    rc = run(ctx, trace);
    *took_s = h_ns_to_s(h_now_ns() - start);
    if (rc != 0) {
        h_trace_destroy(trace);
        return rc;
    }
    *out = trace;
    return 0;
}

const char *bench_series(void)
{
    return series;
}

int bench_cores(void)
{
    return h_cpus();
}

/* The CPU's model name from /proc/cpuinfo, into buf; "unknown" if it has none (some ARM
 * kernels do not say). */
static void cpu_model(char *buf, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];

    snprintf(buf, size, "unknown");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');

        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        colon += strspn(colon + 1, " \t") + 1;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, size, "%s", colon);
        break;
    }
    fclose(f);
}

void bench_fact(FILE *f, const char *key, const char *fmt, ...)
{
    va_list ap;

    fprintf(f, "# %s: ", key);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

int bench_csv_open(FILE **out, const char *outdir, const char *name)
{
    char path[4096], cpu[256], date[64];
    time_t now = time(NULL);
    struct utsname uts;
    struct tm tm;
    FILE *f;

    if (snprintf(path, sizeof(path), "%s/%s%s.csv", outdir, name, series) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    f = fopen(path, "w");
    if (!f)
        return -errno;
    cpu_model(cpu, sizeof(cpu));
    if (!gmtime_r(&now, &tm) || strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(date, sizeof(date), "unknown");
    fprintf(f, "# conclab benchmark: %s\n", name);
    bench_fact(f, "cores", "%d", bench_cores());
    bench_fact(f, "cpu", "%s", cpu);
    bench_fact(f, "date", "%s", date);
    bench_fact(f, "compiler", "%s", BENCH_COMPILER);
    if (uname(&uts) == 0)
        bench_fact(f, "kernel", "%s %s %s", uts.sysname, uts.release, uts.machine);
    *out = f;
    return 0;
}

void bench_csv_columns(FILE *f, const char *columns)
{
    fprintf(f, "%s\n", columns);
}

int bench_csv_close(FILE *f)
{
    int bad = ferror(f);

    if (fclose(f) != 0 || bad)
        return -EIO;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

struct bench_stats bench_stats_of(double *samples, int n)
{
    qsort(samples, (size_t)n, sizeof(*samples), by_value);
    return (struct bench_stats){
        .median_s = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2,
        .min_s = samples[0],
        .max_s = samples[n - 1],
        .reps = n,
    };
}

void bench_step(const char *name, int64_t started_ns, const char *fmt, ...)
{
    va_list ap;

    printf("  %-9s ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("  (%.2f s)\n", h_ns_to_s(h_now_ns() - started_ns));
    fflush(stdout);
}

int bench_python_version(const char *script, char *buf, size_t size)
{
    FILE *p;
    int status;

    if (access(script, R_OK) != 0) {
        snprintf(buf, size, "%s missing: no Python series", script);
        return -ENOENT;
    }
    snprintf(buf, size, "python3 not found: no Python series");
    p = popen("python3 --version 2>/dev/null", "r");
    if (!p)
        return -ENOENT;
    if (!fgets(buf, (int)size, p))
        snprintf(buf, size, "python3 not found: no Python series");
    status = pclose(p);
    buf[strcspn(buf, "\n")] = '\0';
    if (status != 0) {
        snprintf(buf, size, "python3 not found: no Python series");
        return -ENOENT;
    }
    return 0;
}

int bench_python_run(FILE *csv, const char *script, const char *args)
{
    char cmd[1024], line[512];
    FILE *p;

    if (snprintf(cmd, sizeof(cmd), "python3 %s %s", script, args) >= (int)sizeof(cmd))
        return -ENAMETOOLONG;
    fflush(stdout); /* our progress lines before Python's */
    p = popen(cmd, "r");
    if (!p)
        return -EIO;
    while (fgets(line, sizeof(line), p)) {
        fputs(line, csv);
        fflush(csv);
    }
    if (pclose(p) != 0) {
        fprintf(stderr, "bench: %s failed; the charts show what it measured\n", script);
        return -EIO;
    }
    return 0;
}
