/* Calls that really block stay interruptible under the grate
 * (grate/tests/signals.rs): a handler without SA_RESTART makes them fail with
 * EINTR, one with SA_RESTART makes them go on, as natively. SIGALRM repeats
 * while a call blocks, so no case depends on timing.
 *
 * Usage: interruptible CASE DIR
 *   pipe    read on an empty pipe (passed through to the kernel)
 *   fifo    open of a FIFO made at DIR/fifo with no writer
 *   setlkw  F_SETLKW on DIR/lock while a child holds a conflicting lock
 *   tracer  prints TracerPid (from /proc/self/status) at start, after an
 *           SA_RESTART handler and after a handler without it
 * Prints "ok CASE" and exits 0, or prints FAIL lines and exits 1. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

/* SIGALRM's handler, with or without SA_RESTART; then SIGALRM every `ms`
 * (0: none). Repeating, so that a signal lands while the call blocks however
 * late the call starts: no case depends on timing. */
static void alarm_every(int ms, int restart) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct timeval every = {ms / 1000, (ms % 1000) * 1000};
    struct itimerval it = {every, every};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void pipe_read(void) {
    int p[2];
    char c;
    CHECK(pipe(p) == 0);
    alarm_every(50, 0);
    CHECK_ERR(read(p[0], &c, 1), EINTR);
    /* With SA_RESTART the read goes on until the writer comes, 300 ms after
     * the timer started: signals came meanwhile. */
    alarm_every(50, 1);
    alarms = 0;
    pid_t writer = fork();
    if (writer == 0) {
        usleep(300 * 1000);
        _exit(write(p[1], "w", 1) == 1 ? 0 : 1);
    }
    CHECK_EQ(read(p[0], &c, 1), 1);
    alarm_every(0, 1);
    CHECK(alarms >= 1);
    while (waitpid(writer, NULL, 0) != writer && errno == EINTR) {
    }
}

static void fifo_open(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/fifo", dir);
    unlink(path);
    CHECK(mkfifo(path, 0600) == 0);
    alarm_every(50, 0);
    CHECK_ERR(open(path, O_RDONLY), EINTR);
    alarm_every(0, 0);
    unlink(path);
}

static void setlkw(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/lock", dir);
    int fd = open(path, O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0);
    int ready[2], release[2];
    CHECK(pipe(ready) == 0 && pipe(release) == 0);
    pid_t holder = fork();
    if (holder == 0) {
        /* Holds the lock until told, then for 300 ms more. */
        struct flock hold = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        char go;
        if (fcntl(fd, F_SETLK, &hold) != 0) _exit(1);
        if (write(ready[1], "r", 1) != 1) _exit(1);
        if (read(release[0], &go, 1) != 1) _exit(1);
        usleep(300 * 1000);
        _exit(0);
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    struct flock want = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    alarm_every(50, 0);
    CHECK_ERR(fcntl(fd, F_SETLKW, &want), EINTR);
    /* With SA_RESTART the wait goes on until the holder lets go. */
    alarm_every(50, 1);
    alarms = 0;
    CHECK_EQ(write(release[1], "g", 1), 1);
    CHECK_EQ(fcntl(fd, F_SETLKW, &want), 0);
    alarm_every(0, 1);
    CHECK(alarms >= 1);
    while (waitpid(holder, NULL, 0) != holder && errno == EINTR) {
    }
    close(fd);
    unlink(path);
}

static long tracer_pid(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long pid = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "TracerPid: %ld", &pid) == 1) break;
    if (f) fclose(f);
    return pid;
}

static void tracer(void) {
    long start = tracer_pid();
    alarm_every(0, 1);
    long restarting = tracer_pid();
    alarm_every(0, 0);
    long interrupting = tracer_pid();
    printf("tracer %ld %ld %s\n", start, restarting, interrupting > 0 ? "traced" : "untraced");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: interruptible pipe|fifo|setlkw DIR\n");
        return 2;
    }
    const char *what = argv[1];
    if (strcmp(what, "pipe") == 0)
        pipe_read();
    else if (strcmp(what, "fifo") == 0)
        fifo_open(argv[2]);
    else if (strcmp(what, "setlkw") == 0)
        setlkw(argv[2]);
    else if (strcmp(what, "tracer") == 0)
        tracer();
    else
        return 2;
    if (failures) return 1;
    printf("ok %s\n", what);
    return 0;
}
