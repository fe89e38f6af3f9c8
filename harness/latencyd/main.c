/* latencyd: the loopback HTTP server of conclab, as a program (`make server`).
 *
 *     latencyd [--port N] [--bind ADDR] [--max-connections N] [--header-timeout-ms MS]
 *              [--idle-timeout-ms MS]
 *
 * The first line on stdout is "listening on ADDR:PORT" (with --port 0, the port it picked), so a
 * script can start it and read where to connect. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
 * The endpoints are listed in ld_server.h, and by `curl http://127.0.0.1:8080/`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_server.h"

static struct ld_server *running; /* for the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    ld_server_stop(running);
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: latencyd [--port N] [--bind ADDR] [--max-connections N]\n"
            "                [--header-timeout-ms MS] [--idle-timeout-ms MS]\n"
            "  --port N               where to listen (default %d; 0 picks a free port)\n"
            "  --bind ADDR            the address to listen on (default 127.0.0.1)\n"
            "  --max-connections N    close connections over N at once (default: as many\n"
            "                         as the file descriptor limit allows)\n"
            "  --header-timeout-ms MS close a client slower than this to send its request\n"
            "                         head (default %d)\n"
            "  --idle-timeout-ms MS   close an idle keep-alive connection after (default %d)\n",
            LD_DEFAULT_PORT, LD_HEADER_TIMEOUT_MS, LD_IDLE_TIMEOUT_MS);
}

/* A whole decimal number in [min, max], or -1. */
static long number(const char *s, long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    return v;
}

/* Fills *c from argv; returns 0, 1 for --help, or -1 on a mistake (after saying what). */
static int parse_args(int argc, char **argv, struct ld_config *c)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int *field = NULL;
        long min = 1, max = INT_MAX;

        if (!strcmp(opt, "--help") || !strcmp(opt, "-h"))
            return 1;
        if (!val) {
            fprintf(stderr, "latencyd: %s wants a value (--help lists the options)\n", opt);
            return -1;
        }
        if (!strcmp(opt, "--bind")) {
            c->bind_addr = val;
            i++;
            continue;
        }
        if (!strcmp(opt, "--port")) {
            field = &c->port;
            min = 0;
            max = 65535;
        } else if (!strcmp(opt, "--max-connections")) {
            field = &c->max_connections;
        } else if (!strcmp(opt, "--header-timeout-ms")) {
            field = &c->header_timeout_ms;
        } else if (!strcmp(opt, "--idle-timeout-ms")) {
            field = &c->idle_timeout_ms;
        } else {
            fprintf(stderr, "latencyd: unknown option %s (--help lists the options)\n", opt);
            return -1;
        }
        if ((*field = (int)number(val, min, max)) < 0) {
            fprintf(stderr, "latencyd: %s wants a number from %ld to %ld, not '%s'\n", opt, min,
                    max, val);
            return -1;
        }
        i++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct ld_config config = { .port = LD_DEFAULT_PORT };
    struct sigaction sa = { .sa_handler = on_signal };
    const char *addr;
    long nofile;
    int rc;

    if ((rc = parse_args(argc, argv, &config)) != 0) {
        usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    addr = config.bind_addr = config.bind_addr ? config.bind_addr : "127.0.0.1";
    if ((nofile = ld_raise_nofile()) < 0)
        fprintf(stderr, "latencyd: cannot raise the file limit: %s\n", strerror((int)-nofile));
    if ((rc = ld_server_create(&running, &config)) < 0) {
        fprintf(stderr, "latencyd: cannot listen on %s:%d: %s\n", addr, config.port, strerror(-rc));
        return 1;
    }
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        perror("latencyd: sigaction");
        ld_server_destroy(running);
        return 1;
    }
    /* The one line a script waits for; flushed, since stdout may be a pipe. */
    if (strchr(addr, ':')) {
        printf("listening on [%s]:%d\n", addr, ld_server_port(running));
    } else {
        printf("listening on %s:%d\n", addr, ld_server_port(running));
        printf("try: curl -i http://%s:%d/delay/200   (Ctrl-C stops the server)\n", addr,
               ld_server_port(running));
    }
    fflush(stdout);
    if ((rc = ld_server_run(running)) < 0)
        fprintf(stderr, "latencyd: the event loop failed: %s\n", strerror(-rc));
    ld_server_destroy(running);
    return rc < 0 ? 1 : 0;
}
