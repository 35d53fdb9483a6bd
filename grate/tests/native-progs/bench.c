/* Round-trip microbenchmark for grate/benches/native_roundtrip.rs.
 * Usage: bench OP N PATH; prints "ns_per_op X". OP: fstat | pread (1 byte
 * from a file at PATH, created) | continue (lseek on a pipe: trapped, then
 * handed back to the kernel) | signal (a handled signal sent to itself) |
 * fork (fork, child _exit, waitpid; N/100 of them) | signal-traced,
 * fork-traced (the same after installing a handler without SA_RESTART, which
 * makes the grate trace the process: a ptrace stop per signal, two per fork). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t caught;
static void on_usr1(int sig) {
    (void)sig;
    caught++;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *op = argv[1];
    long n = atol(argv[2]);
    int fd = open(argv[3], O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "x", 1) != 1) { perror("open"); return 1; }
    int p[2];
    if (pipe(p) != 0) return 1;
    struct stat st;
    char c;
    signal(SIGUSR1, on_usr1); /* glibc's signal() sets SA_RESTART */
    const char *traced = strstr(op, "-traced");
    if (traced) {
        struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
        sigaction(SIGUSR2, &sa, NULL);
        op = strncmp(op, "fork", 4) == 0 ? "fork" : "signal";
    }
    if (strcmp(op, "fork") == 0) n = n / 100 > 0 ? n / 100 : 1;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (strcmp(op, "fstat") == 0) {
            if (fstat(fd, &st) != 0) return 1;
        } else if (strcmp(op, "pread") == 0) {
            if (pread(fd, &c, 1, 0) != 1) return 1;
        } else if (strcmp(op, "signal") == 0) {
            if (kill(getpid(), SIGUSR1) != 0) return 1;
        } else if (strcmp(op, "fork") == 0) {
            pid_t pid = fork();
            if (pid == 0) _exit(0);
            if (pid < 0 || waitpid(pid, NULL, 0) != pid) return 1;
        } else {
            if (lseek(p[0], 0, SEEK_CUR) != -1) return 1;
        }
    }
    double t1 = now_ns();
    unlink(argv[3]);
    printf("ns_per_op %.0f\n", (t1 - t0) / n);
    return 0;
}
