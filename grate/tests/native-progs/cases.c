/* Test cases run under imfs-grate's native host (root mode unless noted).
 * Usage: cases CASE [ARGS...]; exit 0 when every check of CASE holds, else
 * prints "FAIL ..." lines and exits 1. Built static by grate/tests/native.rs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "progs.h"

static char self_path[4096];

static int put(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The whole content of `path` into buf (NUL-terminated), or -1. */
static ssize_t get(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n >= 0) buf[n] = 0;
    return n;
}

/* ---- cases ---- */

static int case_exit(int argc, char **argv) { return argc > 2 ? atoi(argv[2]) : 0; }

static int case_signal(int argc, char **argv) {
    (void)argc; (void)argv;
    raise(SIGSEGV);
    return 0;
}

/* Files in imfs: write, seek, read, stat; nothing of it on the host. */
static int case_files(int argc, char **argv) {
    (void)argc; (void)argv;
    int fd = open("/f", O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "hello", 5) == 5);
    CHECK(lseek(fd, 1, SEEK_SET) == 1);
    char buf[16] = {0};
    CHECK(read(fd, buf, sizeof buf) == 4 && memcmp(buf, "ello", 4) == 0);
    CHECK(pread(fd, buf, 2, 0) == 2 && memcmp(buf, "he", 2) == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode));
    CHECK(stat("/f", &st) == 0 && st.st_size == 5);
    CHECK(mkdir("/d", 0755) == 0);
    CHECK(chdir("/d") == 0);
    CHECK(put("rel", "x") == 0);
    CHECK(stat("/d/rel", &st) == 0 && st.st_size == 1);
    char cwd[64];
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/d") == 0);
    CHECK(close(fd) == 0);
    CHECK_ERR(close(fd), EBADF);
    CHECK_ERR(open("/nonexistent", O_RDONLY), ENOENT);
    /* The host's files are not visible in root mode. */
    CHECK_ERR(open("/etc/passwd", O_RDONLY), ENOENT);
    /* mmap of an imfs file is not supported. */
    fd = open("/f", O_RDONLY);
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == ENODEV);
    /* Anonymous maps still work. */
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);
    close(fd);
    return failures != 0;
}

/* Bad pointers give EFAULT, and the grate survives them. */
static int case_efault(int argc, char **argv) {
    (void)argc; (void)argv;
    CHECK_ERR(open((const char *)1, O_RDONLY), EFAULT);
    CHECK_ERR(mkdir((const char *)-4096L, 0755), EFAULT);
    void *volatile bad = (void *)8; /* volatile: keeps the compiler from flagging it */
    int fd = open("/e", O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0);
    CHECK_ERR(write(fd, bad, 4), EFAULT);
    CHECK(write(fd, "abcd", 4) == 4);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK_ERR(read(fd, bad, 4), EFAULT);
    CHECK_ERR(fstat(fd, (struct stat *)8), EFAULT);
    CHECK_ERR(syscall(SYS_newfstatat, AT_FDCWD, "/e", (struct stat *)8, 0), EFAULT);
    /* A path ending exactly at the end of a mapping is readable. */
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);
    munmap(page + 4096, 4096);
    memcpy(page + 4096 - 3, "/e", 3);
    struct stat st;
    CHECK(stat(page + 4096 - 3, &st) == 0 && st.st_size == 4);
    /* Without its NUL the path runs into the hole: EFAULT. */
    memcpy(page + 4096 - 2, "/e", 2);
    CHECK_ERR(stat(page + 4096 - 2, &st), EFAULT);
    close(fd);
    return failures != 0;
}

/* Kernel fds (pipes) and imfs fds never get the same number. */
static int case_pipes(int argc, char **argv) {
    (void)argc; (void)argv;
    int a = open("/p", O_CREAT | O_RDWR, 0644);
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(a == 3 && p[0] == 4 && p[1] == 5);
    CHECK(close(a) == 0);
    int q[2];
    CHECK(pipe(q) == 0);
    CHECK(q[0] == 3 && q[1] == 6);
    int b = open("/p", O_RDWR);
    CHECK(b == 7);
    CHECK(write(p[1], "pipe", 4) == 4);
    CHECK(write(b, "file", 4) == 4);
    char buf[8] = {0};
    CHECK(read(p[0], buf, 4) == 4 && memcmp(buf, "pipe", 4) == 0);
    CHECK(pread(b, buf, 4, 0) == 4 && memcmp(buf, "file", 4) == 0);
    /* dup2 of an imfs fd over a pipe end replaces it; of a pipe over an imfs fd too. */
    CHECK(dup2(b, q[1]) == q[1]);
    CHECK(pwrite(q[1], "FI", 2, 0) == 2);
    CHECK(pread(b, buf, 4, 0) == 4 && memcmp(buf, "FIle", 4) == 0);
    CHECK(dup2(p[1], b) == b);
    CHECK(write(b, "xy", 2) == 2);
    CHECK(read(p[0], buf, 2) == 2 && memcmp(buf, "xy", 2) == 0);
    /* F_DUPFD honours its minimum; F_DUPFD_CLOEXEC sets cloexec. */
    int c = fcntl(q[1], F_DUPFD, 100);
    CHECK(c == 100);
    int d = fcntl(q[1], F_DUPFD_CLOEXEC, 100);
    CHECK(d == 101 && fcntl(d, F_GETFD) == FD_CLOEXEC);
    CHECK(pread(d, buf, 4, 0) == 4 && memcmp(buf, "FIle", 4) == 0);
    /* stdout redirected into an imfs file and back. */
    int saved = dup(1);
    CHECK(dup2(c, 1) == 1);
    CHECK(pwrite(1, "out", 3, 0) == 3);
    CHECK(dup2(saved, 1) == 1);
    CHECK(pread(c, buf, 4, 0) == 4 && memcmp(buf, "oute", 4) == 0);
    return failures != 0;
}

struct worker { int id; int ok; };

static void *worker_main(void *arg) {
    struct worker *w = arg;
    char path[32], want[32], got[32];
    snprintf(path, sizeof path, "/t%d", w->id);
    snprintf(want, sizeof want, "thread %d", w->id);
    for (int i = 0; i < 50; i++) {
        if (put(path, want) != 0) return NULL;
        if (get(path, got, sizeof got) != (ssize_t)strlen(want) || strcmp(got, want) != 0) return NULL;
    }
    w->ok = 1;
    return NULL;
}

/* Threads share the process's fd table and cwd. */
static int case_threads(int argc, char **argv) {
    (void)argc; (void)argv;
    enum { N = 4 };
    pthread_t t[N];
    struct worker w[N];
    int shared = open("/shared", O_CREAT | O_RDWR, 0644);
    for (int i = 0; i < N; i++) {
        w[i] = (struct worker){i, 0};
        CHECK(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].ok);
    }
    /* An fd opened by the main thread is usable in a thread and vice versa. */
    CHECK(write(shared, "s", 1) == 1);
    struct stat st;
    CHECK(fstat(shared, &st) == 0 && st.st_size == 1);
    return failures != 0;
}

/* A child inherits the fd table and cwd as they were at the fork; what
 * either does afterwards is its own. */
static int case_fork(int argc, char **argv) {
    (void)argc; (void)argv;
    CHECK(mkdir("/home", 0755) == 0 && chdir("/home") == 0);
    int fd = open("log", O_CREAT | O_RDWR, 0644);
    CHECK(fd == 3);
    CHECK(write(fd, "a", 1) == 1);
    int sync_pipe[2];
    CHECK(pipe(sync_pipe) == 0); /* 4, 5 */
    pid_t pid = fork();
    if (pid == 0) {
        /* poll is not trapped: the child's first call to the grate comes
         * after the parent changed its own table. */
        struct pollfd pfd = {sync_pipe[0], POLLIN, 0};
        if (poll(&pfd, 1, 10000) != 1) _exit(2);
        if (write(fd, "b", 1) != 1) _exit(3); /* still "log", shared offset */
        errno = 0;
        if (fcntl(6, F_GETFD) != -1 || errno != EBADF) _exit(4); /* the parent's later open */
        if (put("child", "c") != 0) _exit(5);                    /* relative to /home */
        _exit(0);
    }
    CHECK(pid > 0);
    CHECK(close(fd) == 0);
    CHECK(chdir("/") == 0);
    int a = open("/later", O_CREAT | O_RDWR, 0644);
    int b = open("/later", O_RDWR);
    CHECK(a == 3 && b == 6);
    CHECK(write(sync_pipe[1], "g", 1) == 1);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char buf[8];
    CHECK(get("/home/log", buf, sizeof buf) == 2 && strcmp(buf, "ab") == 0);
    CHECK(get("/home/child", buf, sizeof buf) == 1);
    /* Many short-lived children, half making no call to the grate at all:
     * more than the grate's cage limit, so a leaked snapshot would make
     * fork fail. */
    for (int i = 0; i < 150; i++) {
        pid_t p = fork();
        if (p == 0) {
            if (i % 2) _exit(0);
            int f = open("/home/log", O_RDONLY);
            _exit(f == 7 ? 0 : 1);
        }
        CHECK(waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* vfork + exec of ourselves: the new image keeps the inherited fd. */
    char num[16];
    snprintf(num, sizeof num, "%d", b);
    pid = vfork();
    if (pid == 0) {
        execl(self_path, self_path, "expect_open", num, "0", (char *)NULL);
        _exit(127);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return failures != 0;
}

/* F_SETLKW waits for a conflicting lock of another process to go, and a
 * wait that would close a cycle of waiting processes fails EDEADLK. */
static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {0};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

static int case_lockwait(int argc, char **argv) {
    (void)argc; (void)argv;
    int fd = open("/locked", O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "..", 2, 0) == 2);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 1) == 0);
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        int f = open("/locked", O_RDWR);
        if (f < 0) _exit(2);
        /* Byte 1 is the child's; then it waits for byte 0. */
        if (setlk(f, F_SETLK, F_WRLCK, 1, 1) != 0) _exit(3);
        errno = 0;
        if (setlk(f, F_SETLK, F_WRLCK, 0, 1) != -1 || (errno != EAGAIN && errno != EACCES)) _exit(4);
        if (write(ready[1], "r", 1) != 1) _exit(5);
        if (setlk(f, F_SETLKW, F_WRLCK, 0, 1) != 0) _exit(6);
        /* Granted only after the parent wrote 'X' and let go. */
        char c = 0;
        if (pread(f, &c, 1, 0) != 1 || c != 'X') _exit(7);
        _exit(0);
    }
    CHECK(pid > 0);
    char r;
    CHECK(read(ready[0], &r, 1) == 1);
    usleep(200 * 1000); /* the child is now parked in F_SETLKW */
    /* Waiting for the child's byte 1 would deadlock. */
    CHECK_ERR(setlk(fd, F_SETLKW, F_WRLCK, 1, 1), EDEADLK);
    CHECK(pwrite(fd, "X", 1, 0) == 1);
    CHECK(setlk(fd, F_SETLK, F_UNLCK, 0, 1) == 0);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The child's locks went with it: byte 1 is free now. */
    CHECK(setlk(fd, F_SETLK, F_WRLCK, 1, 1) == 0);
    return failures != 0;
}

/* A grandchild whose parent exits first (it is reparented to the grate)
 * keeps the fds it inherited, and the grate waits for it. */
static int case_orphan(int argc, char **argv) {
    (void)argc; (void)argv;
    int fd = open("/o", O_CREAT | O_RDWR, 0644);
    CHECK(fd == 3 && write(fd, "inherited", 9) == 9);
    pid_t mid = fork();
    if (mid == 0) {
        if (fork() == 0) {
            /* Not trapped: wait until the middle process is surely gone. */
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
            char buf[16] = {0};
            if (pread(fd, buf, 9, 0) != 9 || strcmp(buf, "inherited") != 0) _exit(1);
            if (fcntl(fd + 1, F_GETFD) != -1 || errno != EBADF) _exit(1);
            printf("orphan ok\n");
            fflush(stdout);
            _exit(0);
        }
        _exit(0);
    }
    int status;
    CHECK(waitpid(mid, &status, 0) == mid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Opened after the fork: the orphan must not see it. */
    CHECK(open("/o", O_RDONLY) == fd + 1);
    /* Parents that fork, reap a child that never called the grate, and
     * exit without calling it again either: more of them than the grate's
     * cage limit, so a snapshot kept for such a child would make fork fail. */
    for (int i = 0; i < 150; i++) {
        pid_t p = fork();
        if (p == 0) {
            pid_t c = fork();
            if (c == 0) _exit(0);
            int st;
            _exit(c > 0 && waitpid(c, &st, 0) == c ? 0 : 1);
        }
        CHECK(waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    return failures != 0;
}

/* New files belong to the caller's filesystem ids, also after set*id
 * (the grate re-reads them). Needs root; passes trivially otherwise. */
static int case_creds(int argc, char **argv) {
    (void)argc; (void)argv;
    if (getuid() != 0) return 0;
    struct stat st;
    CHECK(put("/r", "r") == 0);
    CHECK(stat("/r", &st) == 0 && st.st_uid == 0 && st.st_gid == 0);
    CHECK(mkdir("/pub", 0777) == 0 && chmod("/pub", 0777) == 0);
    CHECK(setgid(1234) == 0 && setuid(1000) == 0);
    CHECK(put("/pub/u", "u") == 0);
    CHECK(stat("/pub/u", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1234);
    /* And permission checks use them: root's 0644 file is read-only now. */
    CHECK_ERR(open("/r", O_WRONLY), EACCES);
    return failures != 0;
}

/* The fd limit is the cage's, counting host fds too: a full table fails
 * EMFILE before creating anything; a closed dirfd is EBADF, a pipe ENOTDIR. */
static int case_limits(int argc, char **argv) {
    (void)argc; (void)argv;
    const char *limits = getenv("IMFS_LIMITS");
    const char *per = limits ? strstr(limits, "fds_per_cage=") : NULL;
    CHECK(per != NULL);
    long cap = per ? atol(per + strlen("fds_per_cage=")) : 0;
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur <= cap && (long)rl.rlim_max <= cap);
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK_ERR(openat(p[0], "x", O_RDONLY), ENOTDIR);
    CHECK_ERR(openat(900, "x", O_RDONLY), EBADF);
    CHECK_ERR(mkdirat(900, "x", 0755), EBADF);
    CHECK_ERR(fchdir(900), EBADF);
    CHECK(put("/t", "t") == 0);
    /* Host fds (pipes) and imfs fds share the table. */
    int last = -1, n = 0;
    for (;;) {
        int fd = (n % 8 == 0) ? dup(p[1]) : open("/t", O_RDONLY);
        if (fd < 0) break;
        last = fd;
        n++;
    }
    CHECK(errno == EMFILE);
    CHECK(last == (int)rl.rlim_cur - 1);
    CHECK_ERR(open("/t", O_RDONLY), EMFILE);
    CHECK_ERR(open("/not_made", O_CREAT | O_RDWR, 0644), EMFILE);
    CHECK_ERR(pipe(p), EMFILE);
    CHECK(close(last) == 0);
    struct stat st;
    CHECK_ERR(stat("/not_made", &st), ENOENT);
    CHECK(open("/t", O_RDONLY) == last);
    return failures != 0;
}

/* expect_open FD N: FD is open (not cloexec) on a file of at least N bytes. */
static int case_expect_open(int argc, char **argv) {
    if (argc < 4) return 2;
    int fd = atoi(argv[2]);
    CHECK(fcntl(fd, F_GETFD) == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size >= atoi(argv[3]));
    return failures != 0;
}

/* exec closes cloexec imfs fds (FD_CLOEXEC via open, fcntl and dup3) and
 * keeps the others; a failed exec closes nothing. */
static int case_exec(int argc, char **argv) {
    (void)argc; (void)argv;
    CHECK(put("/kept", "kept") == 0);
    int keep = open("/kept", O_RDONLY);             /* 3 */
    int gone = open("/kept", O_RDONLY | O_CLOEXEC); /* 4 */
    int later = open("/kept", O_RDONLY);            /* 5 */
    CHECK(keep == 3 && gone == 4 && later == 5);
    CHECK(fcntl(later, F_SETFD, FD_CLOEXEC) == 0);
    CHECK(fcntl(later, F_GETFD) == FD_CLOEXEC);
    CHECK(dup3(keep, 6, O_CLOEXEC) == 6);
    /* A failed exec changes nothing. */
    execl("/nonexistent/prog", "x", (char *)NULL);
    CHECK(fcntl(gone, F_GETFD) == FD_CLOEXEC);
    struct stat st;
    CHECK(fstat(gone, &st) == 0 && st.st_size == 4);
    pid_t pid = fork();
    if (pid == 0) {
        /* Child: exec a checker that sees 3 open and 4 closed (and reuses 4). */
        execl(self_path, self_path, "exec_check", (char *)NULL);
        _exit(127);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The parent's cloexec fds are untouched by the child's exec. */
    CHECK(fstat(gone, &st) == 0);
    /* Finally exec in place. */
    execl(self_path, self_path, "exec_check", (char *)NULL);
    CHECK(!"exec failed");
    return 1;
}

static int case_exec_check(int argc, char **argv) {
    (void)argc; (void)argv;
    CHECK(fcntl(3, F_GETFD) == 0);
    char buf[8] = {0};
    CHECK(pread(3, buf, 4, 0) == 4 && memcmp(buf, "kept", 4) == 0);
    CHECK_ERR(fcntl(4, F_GETFD), EBADF);
    CHECK_ERR(fcntl(5, F_GETFD), EBADF);
    CHECK_ERR(fcntl(6, F_GETFD), EBADF);
    int fd = open("/kept", O_RDONLY);
    CHECK(fd == 4);
    /* A pipe takes the next free numbers, not imfs's. */
    int p[2];
    CHECK(pipe(p) == 0 && p[0] == 5 && p[1] == 6);
    return failures != 0;
}

struct { const char *name; int (*run)(int, char **); } cases[] = {
    {"exit", case_exit},       {"signal", case_signal},         {"files", case_files},
    {"efault", case_efault},   {"pipes", case_pipes},           {"threads", case_threads},
    {"fork", case_fork},       {"exec", case_exec},             {"exec_check", case_exec_check},
    {"expect_open", case_expect_open}, {"orphan", case_orphan}, {"creds", case_creds}, {"limits", case_limits},
    {"lockwait", case_lockwait},
};

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    /* argv[0] is the host path of this binary (exec passes through in root mode). */
    snprintf(self_path, sizeof self_path, "%s", argv[0]);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(argv[1], cases[i].name) == 0) return cases[i].run(argc, argv);
    fprintf(stderr, "no case %s\n", argv[1]);
    return 2;
}
