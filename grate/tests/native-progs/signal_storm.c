/* Signal storm: calls that never fail with EINTR natively must not fail with
 * EINTR under the grate either (grate/tests/signals.rs).
 *
 * Usage: signal_storm DIR FORK_PAIRS STATS OPENS [THREADS]
 *
 * A SIGCHLD handler installed without SA_RESTART (as dash's is) reaps
 * children; a pinger child sends the program SIGCHLD every ~50 us for the
 * whole run, and the fork phase's children exit at once (at most MAX_LIVE
 * alive at a time), so signals land all the time. Each phase counts the calls that failed with EINTR: fork pairs,
 * stat, open + dup2 + close of a file in DIR, mkdir + rmdir, creat + unlink.
 * With THREADS, that many threads (started before the handler is installed)
 * share the stat and open phases, and the process-wide signals land on any.
 * Prints one line of counts; exits 0 when no call failed at all, 1 otherwise.
 * Natively (DIR on tmpfs) every count but "signals" is 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t signals, reaped;

static void on_chld(int sig) {
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
    signals++;
    errno = saved;
}

/* Children forked and not yet reaped are kept under this, well within the
 * grate's default cage limit (64 live processes): the storm tests EINTR,
 * not that limit. */
#define MAX_LIVE 16

/* EINTR failures per call, and failures for any other reason. */
static long eintr_fork, eintr_stat, eintr_open, eintr_dup2, eintr_close, eintr_mkdir,
    eintr_rmdir, eintr_creat, eintr_unlink, other;
static pthread_mutex_t counts = PTHREAD_MUTEX_INITIALIZER;

/* Counts a failed call: `slot` when it failed with EINTR. */
static void failed(long *slot, const char *what) {
    int e = errno;
    pthread_mutex_lock(&counts);
    if (e == EINTR) {
        (*slot)++;
    } else {
        if (other < 5) fprintf(stderr, "%s: %s\n", what, strerror(e));
        other++;
    }
    pthread_mutex_unlock(&counts);
}

static char file[4096];
static long stats, opens, nthreads = 1;

/* The stat and open phases: each of `nthreads` does its share. */
static void *stat_and_open(void *arg) {
    long dup_at = 200 + (long)arg;
    struct stat st;
    for (long i = 0; i < stats / nthreads; i++) {
        if (stat(file, &st) != 0) failed(&eintr_stat, "stat");
    }
    for (long i = 0; i < opens / nthreads; i++) {
        int f = open(file, O_RDONLY);
        if (f < 0) {
            failed(&eintr_open, "open");
            continue;
        }
        if (i % 8 == 0) {
            if (dup2(f, dup_at) != dup_at)
                failed(&eintr_dup2, "dup2");
            else if (close(dup_at) != 0)
                failed(&eintr_close, "close");
        }
        if (close(f) != 0) failed(&eintr_close, "close");
    }
    return NULL;
}

/* Threads wait here until the handler is in place. */
static pthread_barrier_t start;

static void *thread_main(void *arg) {
    pthread_barrier_wait(&start);
    return stat_and_open(arg);
}

/* A child that sends its parent SIGCHLD every ~50 us until killed. */
static pid_t start_pinger(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec gap = {0, 50 * 1000};
        for (;;) {
            if (kill(parent, SIGCHLD) != 0) _exit(0);
            nanosleep(&gap, NULL);
        }
    }
    return pid;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: signal_storm DIR FORK_PAIRS STATS OPENS [THREADS]\n");
        return 2;
    }
    const char *dir = argv[1];
    long pairs = atol(argv[2]);
    stats = atol(argv[3]);
    opens = atol(argv[4]);
    if (argc == 6 && atol(argv[5]) > 0) nthreads = atol(argv[5]);
    char sub[4096], made[4096];
    snprintf(file, sizeof file, "%s/storm-file", dir);
    snprintf(sub, sizeof sub, "%s/storm-dir", dir);
    snprintf(made, sizeof made, "%s/storm-made", dir);
    int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) != 0) {
        perror(file);
        return 2;
    }

    pthread_t threads[64];
    if (nthreads > 64) nthreads = 64;
    pthread_barrier_init(&start, NULL, (unsigned)nthreads);
    for (long t = 1; t < nthreads; t++) pthread_create(&threads[t], NULL, thread_main, (void *)t);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = 0; /* no SA_RESTART: interrupted calls fail with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    pid_t pinger = start_pinger();
    while (pinger < 0 && errno == EINTR) pinger = start_pinger();
    if (pinger < 0) {
        perror("fork");
        return 2;
    }

    long forks = 0;
    for (long i = 0; i < pairs; i++) {
        while (forks - reaped > MAX_LIVE) {
            struct timespec pause = {0, 100 * 1000};
            nanosleep(&pause, NULL);
        }
        for (int j = 0; j < 2; j++) {
            pid_t pid = fork();
            if (pid == 0) _exit(0);
            if (pid > 0)
                forks++;
            else
                failed(&eintr_fork, "fork");
        }
    }
    pthread_barrier_wait(&start);
    stat_and_open((void *)0);
    for (long t = 1; t < nthreads; t++) pthread_join(threads[t], NULL);
    for (long i = 0; i < stats / 10; i++) {
        if (mkdir(sub, 0755) != 0) failed(&eintr_mkdir, "mkdir");
        if (rmdir(sub) != 0) failed(&eintr_rmdir, "rmdir");
        int f = creat(made, 0644);
        if (f < 0) {
            failed(&eintr_creat, "creat");
        } else if (close(f) != 0) {
            failed(&eintr_close, "close");
        }
        if (unlink(made) != 0) failed(&eintr_unlink, "unlink");
    }

    kill(pinger, SIGKILL);
    /* Everything is reaped once the pinger is: no signal comes after it. */
    signal(SIGCHLD, SIG_DFL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    unlink(file);
    printf("forks %ld signals %ld eintr: fork %ld stat %ld open %ld dup2 %ld close %ld mkdir %ld "
           "rmdir %ld creat %ld unlink %ld; other failures %ld\n",
           forks, (long)signals, eintr_fork, eintr_stat, eintr_open, eintr_dup2, eintr_close,
           eintr_mkdir, eintr_rmdir, eintr_creat, eintr_unlink, other);
    long eintr = eintr_fork + eintr_stat + eintr_open + eintr_dup2 + eintr_close + eintr_mkdir +
                 eintr_rmdir + eintr_creat + eintr_unlink;
    return eintr == 0 && other == 0 ? 0 : 1;
}
