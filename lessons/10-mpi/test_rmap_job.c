/* test_rmap_job.c: lesson 10's tests start an MPI job, bound it, read its report, and make sure
 * nothing of it outlives the test (read-only: the grader uses its own copy).
 *
 * mpirun starts the ranks as its own children, each in a process group of its own, and a rank
 * whose mpirun died can live on as an orphan. So every process of a job is marked with an
 * environment variable only this job has (RMAP_JOB=pid-counter), which mpirun hands down to
 * the ranks: after the job, any process that still carries it is a leftover, wherever it has
 * been reparented to, and is reported and killed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "test_rmap.h"

#define STOP_GRACE_MS 1000 /* between SIGTERM to mpirun and SIGKILL to all of the job */
#define SETTLE_MS     1000 /* how long ranks may take to vanish after mpirun returned */

extern char **environ;

/* Every process of the system whose environment holds mark; kills them with sig if sig > 0.
 * Returns how many there were. /proc/PID/environ is readable for our own uid's processes. */
static int marked(const char *mark, int sig)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[8192];
        ssize_t len;
        int fd;

        if (!isdigit((unsigned char)e->d_name[0]) || atoi(e->d_name) == getpid())
            continue;
        snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            continue;
        len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (len > 0 && memmem(buf, (size_t)len, mark, strlen(mark) + 1)) {
            found++;
            if (sig > 0)
                kill(atoi(e->d_name), sig);
        }
    }
    closedir(d);
    return found;
}

/* prog_rmap, beside this test binary. */
static int prog_path(char *path, size_t size)
{
    ssize_t len = readlink("/proc/self/exe", path, size - 16);
    char *slash;

    if (len < 0)
        return -errno;
    path[len] = '\0';
    if (!(slash = strrchr(path, '/')))
        return -ENOENT;
    strcpy(slash + 1, "prog_rmap");
    return access(path, X_OK) == 0 ? 0 : -errno;
}

/* The environment of the job: ours, its mark, a private TMPDIR (Open MPI's session files go
 * there, and go with it), and, for root (the benchmarks may run as root; tests never do), Open
 * MPI's consent to run as root. */
static char **job_environ(const char *mark, const char *tmpdir)
{
    static char tmp[PATH_MAX + 8];
    size_t n = 0;
    char **env;

    while (environ[n])
        n++;
    if (!(env = calloc(n + 5, sizeof(*env))))
        return NULL;
    for (size_t i = 0, k = 0; i < n; i++)
        if (strncmp(environ[i], "TMPDIR=", 7) != 0)
            env[k++] = environ[i];
    for (n = 0; env[n]; n++)
        ;
    snprintf(tmp, sizeof(tmp), "TMPDIR=%s", tmpdir);
    env[n++] = (char *)mark;
    env[n++] = tmp;
    if (geteuid() == 0) {
        env[n++] = "OMPI_ALLOW_RUN_AS_ROOT=1";
        env[n++] = "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1";
    }
    return env;
}

/* Waits for pid until deadline; returns true with its status if it ended. */
static bool wait_until(pid_t pid, int64_t deadline, int *status)
{
    for (;;) {
        pid_t got = waitpid(pid, status, WNOHANG);

        if (got == pid || (got < 0 && errno != EINTR))
            return got == pid;
        if (h_ms_left(deadline) <= 0)
            return false;
        h_sleep_ms(5);
    }
}

/* Reads the report prog_rmap's rank 0 wrote. */
static void read_report(struct job *j, const char *file)
{
    FILE *f = fopen(file, "re");
    char line[256];

    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        long k, r, rc, items, busy, i, v;
        long long wall;

        if (sscanf(line, "run %ld %lld", &k, &wall) == 2 && k >= 0 && k < JOB_MAX_RUNS) {
            j->run[k].wall_ns = wall;
            j->runs = (int)k + 1;
        } else if (sscanf(line, "rank %ld %ld %ld %ld %ld", &k, &r, &rc, &items, &busy) == 5 &&
                   k >= 0 && k < JOB_MAX_RUNS && r >= 0 && r < JOB_MAX_RANKS) {
            j->run[k].rank[r] = (struct job_rank){ (int)rc, items, busy };
        } else if (sscanf(line, "out %ld %ld", &i, &v) == 2 && i >= 0 && i < JOB_MAX_ITEMS) {
            j->out[i] = v;
        } else if (sscanf(line, "sum %ld", &v) == 1) {
            j->sum = v;
        } else if (strcmp(line, "end\n") == 0) {
            j->ended = true;
        }
    }
    fclose(f);
}

int job_run(struct job *j)
{
    static int jobs;
    char prog[PATH_MAX], dir[] = "/tmp/rmap.XXXXXX", file[64], mark[64], np[16], n[24], chunk[24],
                         repeat[16];
    char **env;
    int timeout = j->timeout_ms * (h_sanitized() ? 3 : 1), rc;
    pid_t pid;

    for (int i = 0; i < JOB_MAX_ITEMS; i++)
        j->out[i] = JOB_GARBAGE;
    j->sum = JOB_GARBAGE;
    j->runs = 0;
    j->ended = j->timed_out = false;
    if ((rc = prog_path(prog, sizeof(prog))) != 0 || !mkdtemp(dir))
        return rc != 0 ? rc : -errno;
    snprintf(file, sizeof(file), "%s/report", dir);
    snprintf(mark, sizeof(mark), "RMAP_JOB=%d-%d", (int)getpid(), ++jobs);
    snprintf(np, sizeof(np), "%d", j->np);
    snprintf(n, sizeof(n), "%ld", j->n);
    snprintf(chunk, sizeof(chunk), "%ld", j->chunk);
    snprintf(repeat, sizeof(repeat), "%d", j->repeat);
    char *argv[] = { "mpirun", "-np", np, "--oversubscribe", "--bind-to", "none",
                     /* shared memory between the ranks; no network but loopback; ranks that
                      * wait for a message give their CPU away (there are more ranks than
                      * cores). */
                     "--mca", "btl", "self,vader", "--mca", "oob_tcp_if_include", "lo", "--mca",
                     "mpi_yield_when_idle", "1", prog, file, (char *)j->kind, n, chunk,
                     (char *)j->work, repeat, NULL };
    if (!(env = job_environ(mark, dir)))
        return -ENOMEM;
    fflush(NULL);
    if ((pid = fork()) == 0) {
        setpgid(0, 0);
        close_range(3, ~0U, 0); /* the job holds nothing of the test's but stdio */
        execvpe("mpirun", argv, env);
        fprintf(stderr, "cannot run mpirun (%s): install Open MPI with make deps\n",
                strerror(errno));
        _exit(127);
    }
    free(env);
    if (pid < 0)
        return -errno;
    if (!wait_until(pid, h_deadline_ms(timeout), &j->status)) {
        j->timed_out = true;
        kill(pid, SIGTERM); /* mpirun stops its ranks itself, given the time */
        if (!wait_until(pid, h_deadline_ms(STOP_GRACE_MS), &j->status)) {
            kill(-pid, SIGKILL);
            marked(mark + 0, SIGKILL);
            waitpid(pid, &j->status, 0);
        }
    }
    j->leftovers = marked(mark, 0);
    for (int64_t end = h_deadline_ms(SETTLE_MS); j->leftovers > 0 && h_ms_left(end) > 0;) {
        h_sleep_ms(10);
        j->leftovers = marked(mark, 0);
    }
    marked(mark, SIGKILL);
    read_report(j, file);
    /* Best effort: what Open MPI left in its session folder goes too. */
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}

bool job_check_ended(const struct job *j)
{
    bool ok = true;

    if (j->timed_out)
        ok = H_ASSERT(false,
                      "%s map of %ld items on %d ranks had not finished after %d ms: a rank "
                      "waiting for a message nobody sends (a stop never sent, a rank that "
                      "left a collective early)?",
                      j->kind, j->n, j->np, j->timeout_ms);
    else if (!WIFEXITED(j->status) || WEXITSTATUS(j->status) != 0 || !j->ended)
        ok = H_ASSERT(false,
                      "%s map of %ld items on %d ranks: the job failed (mpirun %s %d%s): a rank "
                      "crashed, or called MPI_Abort or exit? (its messages are above)",
                      j->kind, j->n, j->np, WIFEXITED(j->status) ? "exited with" : "got signal",
                      WIFEXITED(j->status) ? WEXITSTATUS(j->status) : WTERMSIG(j->status),
                      j->ended ? "" : ", before rank 0 wrote its report");
    return H_ASSERT(j->leftovers == 0,
                    "%d processes of the job (ranks or daemons) were still running after "
                    "mpirun returned",
                    j->leftovers) &&
           ok;
}

bool job_check_results(const struct job *j, long except)
{
    for (long i = 0; i < j->n && i < JOB_MAX_ITEMS; i++) {
        long want = i == except ? 0 : 3 * i * i + 7;
        char why[96] = "";

        if (j->out[i] == want)
            continue;
        if (j->out[i] == JOB_GARBAGE)
            snprintf(why, sizeof(why), " (never written)");
        for (long k = 0; k < j->n && !why[0]; k++)
            if (j->out[i] == 3 * k * k + 7)
                snprintf(why, sizeof(why),
                         " (item %ld's result: stored where it arrived, not at its index?)", k);
        return H_ASSERT(false, "%s map of %ld items on %d ranks: out[%ld] is %ld, want %ld%s",
                        j->kind, j->n, j->np, i, j->out[i], want, why);
    }
    return true;
}

bool job_check_rcs(const struct job *j, int k, int want)
{
    for (int r = 0; r < j->np; r++)
        if (!H_ASSERT(j->run[k].rank[r].rc == want, "%s map: rank %d returned %s, want %s", j->kind,
                      r, h_errname(j->run[k].rank[r].rc), h_errname(want)))
            return false;
    return true;
}
