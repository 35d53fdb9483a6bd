/* FIFOs, device and socket nodes, Unix-domain sockets on imfs paths, under
 * imfs-grate's native host. Usage: specials CASE [DIR]; paths are made under
 * DIR (default "" = the imfs root in root mode; "/imfs" style with --mount).
 * Exit 0 when every check of CASE holds, else "FAIL ..." lines and exit 1.
 * Built static by grate/tests/native_specials.rs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "progs.h"

static const char *DIR_ = "";

/* DIR/name, in one of a few rotating buffers. */
static const char *at(const char *name) {
    static char bufs[4][512];
    static int which;
    char *b = bufs[which++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", DIR_, name);
    return b;
}

static int child_ok(pid_t pid) {
    int status = 0;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Everything readable from fd until EOF, into buf (NUL-terminated). */
static ssize_t slurp(int fd, char *buf, size_t cap) {
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0) return -1;
        if (n == 0) break;
        got += (size_t)n;
    }
    buf[got] = 0;
    return (ssize_t)got;
}

/* ---- FIFOs ---- */

static int case_fifo(void) {
    const char *p = at("p");
    CHECK_EQ(mkfifo(p, 0644), 0);
    struct stat st;
    CHECK_EQ(stat(p, &st), 0);
    CHECK(S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_size == 0);
    CHECK_ERR(mkfifo(p, 0644), EEXIST);
    /* No reader: a non-blocking writer is refused, a non-blocking reader
     * opens at once and reads EOF. */
    CHECK_ERR(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
    int r = open(p, O_RDONLY | O_NONBLOCK);
    CHECK(r >= 0);
    char buf[256];
    CHECK_EQ(read(r, buf, sizeof buf), 0);
    /* With that reader open, a non-blocking writer opens; data flows. */
    int w = open(p, O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0);
    CHECK(fstat(w, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_EQ(write(w, "abc", 3), 3);
    CHECK_EQ(read(r, buf, sizeof buf), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    close(w);
    close(r);
    /* Blocking opens meet: a writer child and a reader parent, in any
     * order; the reader sees EOF once the writer closes. */
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open(p, O_WRONLY);
            if (fd < 0 || write(fd, "hello ", 6) != 6 || write(fd, "fifo", 4) != 4) _exit(1);
            _exit(close(fd) == 0 ? 0 : 1);
        }
        int fd = open(p, O_RDONLY);
        CHECK(fd >= 0);
        CHECK_EQ(slurp(fd, buf, sizeof buf), 10);
        CHECK(strcmp(buf, "hello fifo") == 0);
        CHECK_EQ(read(fd, buf, sizeof buf), 0);
        close(fd);
        CHECK(child_ok(pid));
    }
    /* The other way round: a reader child, a writer parent. */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(p, O_RDONLY);
        char b[64];
        _exit(fd >= 0 && slurp(fd, b, sizeof b) == 2 && memcmp(b, "ok", 2) == 0 ? 0 : 1);
    }
    w = open(p, O_WRONLY);
    CHECK(w >= 0);
    CHECK_EQ(write(w, "ok", 2), 2);
    close(w);
    CHECK(child_ok(pid));
    /* O_RDWR opens at once. Once every end is closed, the data is gone. */
    int rw = open(p, O_RDWR);
    CHECK(rw >= 0);
    CHECK_EQ(write(rw, "lost", 4), 4);
    close(rw);
    r = open(p, O_RDONLY | O_NONBLOCK);
    CHECK_EQ(read(r, buf, sizeof buf), 0);
    close(r);
    /* A FIFO renamed, linked and chmod'ed stays the same FIFO. */
    CHECK_EQ(rename(p, at("q")), 0);
    CHECK_EQ(link(at("q"), at("q2")), 0);
    CHECK_EQ(chmod(at("q2"), 0600), 0);
    CHECK(stat(at("q"), &st) == 0 && S_ISFIFO(st.st_mode) && st.st_nlink == 2 &&
          (st.st_mode & 07777) == 0600);
    r = open(at("q"), O_RDONLY | O_NONBLOCK);
    w = open(at("q2"), O_WRONLY | O_NONBLOCK);
    CHECK(r >= 0 && w >= 0);
    CHECK_EQ(write(w, "x", 1), 1);
    CHECK_EQ(read(r, buf, 1), 1);
    /* Unlinked while open: the ends keep working. */
    CHECK_EQ(unlink(at("q")), 0);
    CHECK_EQ(unlink(at("q2")), 0);
    CHECK_EQ(write(w, "y", 1), 1);
    CHECK_EQ(read(r, buf, 1), 1);
    close(w);
    CHECK_EQ(read(r, buf, 1), 0);
    close(r);
    /* A new FIFO under the old name is a new pipe. */
    CHECK_EQ(mkfifo(p, 0644), 0);
    CHECK_ERR(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
    CHECK_EQ(unlink(p), 0);
    return failures != 0;
}

static int caught;
static void on_signal(int sig) { (void)sig; caught++; }

/* A blocking FIFO open stays interruptible: EINTR after a handler without
 * SA_RESTART, restarted after one with it. */
static int case_fifo_signals(void) {
    const char *p = at("sp");
    CHECK_EQ(mkfifo(p, 0644), 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    alarm(1);
    CHECK_ERR(open(p, O_RDONLY), EINTR);
    CHECK_EQ(caught, 1);
    /* No reader is left behind by the interrupted open. */
    CHECK_ERR(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
    sa.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ms50 = {0, 50 * 1000 * 1000};
        for (int i = 0; i < 3; i++) {
            kill(parent, SIGUSR1);
            nanosleep(&ms50, NULL);
        }
        int fd = open(p, O_WRONLY);
        _exit(fd >= 0 && write(fd, "z", 1) == 1 ? 0 : 1);
    }
    int r = open(p, O_RDONLY);
    CHECK(r >= 0);
    char c = 0;
    CHECK_EQ(read(r, &c, 1), 1);
    CHECK(c == 'z');
    close(r);
    CHECK(child_ok(pid));
    CHECK(caught >= 2);
    CHECK_EQ(unlink(p), 0);
    return failures != 0;
}

/* ---- device and socket nodes ---- */

static int case_nodes(void) {
    struct stat st;
    /* 1:3 is /dev/null on the host: opening it here must not reach it. */
    CHECK_EQ(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)), 0);
    CHECK(stat(at("null"), &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
          minor(st.st_rdev) == 3);
    CHECK_ERR(open(at("null"), O_WRONLY), ENXIO);
    CHECK_EQ(mknod(at("blk"), S_IFBLK | 0600, makedev(8, 1)), 0);
    CHECK_ERR(open(at("blk"), O_RDONLY), ENXIO);
    CHECK_EQ(mknod(at("sock"), S_IFSOCK | 0600, 0), 0);
    CHECK_ERR(open(at("sock"), O_RDONLY), ENXIO);
    CHECK_ERR(mknod(at("dir"), S_IFDIR | 0700, 0), EPERM);
    CHECK_EQ(unlink(at("null")), 0);
    CHECK_EQ(unlink(at("blk")), 0);
    CHECK_EQ(unlink(at("sock")), 0);
    return failures != 0;
}

/* ---- Unix-domain sockets ---- */

static socklen_t sun_of(struct sockaddr_un *sa, const char *path) {
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof sa->sun_path, "%s", path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static int bind_to(int s, const char *path) {
    struct sockaddr_un sa;
    socklen_t len = sun_of(&sa, path);
    return bind(s, (struct sockaddr *)&sa, len);
}

static int connect_to(int s, const char *path) {
    struct sockaddr_un sa;
    socklen_t len = sun_of(&sa, path);
    return connect(s, (struct sockaddr *)&sa, len);
}

/* Mount mode only (the host is visible outside the prefix): entries of the
 * grate's private socket directory in $TMPDIR, or -1 when there is none. */
static int private_sockets(void) {
    const char *tmp = getenv("TMPDIR");
    DIR *d = tmp ? opendir(tmp) : NULL;
    if (!d) return -1;
    int count = -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "imfs-sockets-", 13) == 0) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
            DIR *p = opendir(path);
            if (!p) continue;
            count = 0;
            struct dirent *s;
            while ((s = readdir(p)))
                if (s->d_name[0] != '.') count++;
            closedir(p);
        }
    closedir(d);
    return count;
}

static int case_sockets(void) {
    int mounted = DIR_[0] == '/';
    struct stat st;
    umask(022);
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(bind_to(srv, at("srv")), 0);
    CHECK(stat(at("srv"), &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0755);
    CHECK_EQ(listen(srv, 8), 0);
    /* The real socket is bound in the grate's private directory. */
    if (mounted) CHECK_EQ(private_sockets(), 1);
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(bind_to(other, at("srv")), EADDRINUSE);
    CHECK_ERR(bind_to(srv, at("again")), EINVAL);
    CHECK_ERR(access(at("again"), F_OK), ENOENT);
    CHECK_ERR(bind_to(other, at("nodir/x")), ENOENT);
    /* connect reaches the listener; data flows both ways. */
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(connect_to(c, at("srv")), 0);
    int a = accept(srv, NULL, NULL);
    CHECK(a >= 0);
    CHECK_EQ(write(c, "ping", 4), 4);
    char buf[16] = {0};
    CHECK_EQ(read(a, buf, sizeof buf), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_EQ(write(a, "pong", 4), 4);
    CHECK_EQ(read(c, buf, sizeof buf), 4);
    close(a);
    close(c);
    /* Linux's errors. */
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(connect_to(c, at("none")), ENOENT);
    int fd = open(at("plain"), O_CREAT | O_WRONLY, 0644);
    close(fd);
    CHECK_ERR(connect_to(c, at("plain")), ECONNREFUSED);
    CHECK_EQ(mknod(at("unbound"), S_IFSOCK | 0644, 0), 0);
    CHECK_ERR(connect_to(c, at("unbound")), ECONNREFUSED);
    /* Renamed, the socket is found by its new name; linked, by both. */
    CHECK_EQ(rename(at("srv"), at("srv2")), 0);
    CHECK_ERR(connect_to(c, at("srv")), ENOENT);
    CHECK_EQ(link(at("srv2"), at("srv3")), 0);
    CHECK_EQ(connect_to(c, at("srv3")), 0);
    a = accept(srv, NULL, NULL);
    CHECK(a >= 0);
    close(a);
    close(c);
    /* Unlinked, it is gone for new connections. */
    CHECK_EQ(unlink(at("srv2")), 0);
    if (mounted) CHECK_EQ(private_sockets(), 1);
    CHECK_EQ(unlink(at("srv3")), 0);
    /* The last name gone, the private socket file goes too. */
    if (mounted) CHECK_EQ(private_sockets(), 0);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(connect_to(c, at("srv2")), ENOENT);
    close(c);
    close(srv);
    /* Datagrams: sendto by path. */
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_EQ(bind_to(d, at("dg")), 0);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un sa;
    socklen_t len = sun_of(&sa, at("dg"));
    CHECK_EQ(sendto(s, "datagram", 8, 0, (struct sockaddr *)&sa, len), 8);
    CHECK_EQ(recv(d, buf, sizeof buf, 0), 8);
    CHECK(memcmp(buf, "datagram", 8) == 0);
    CHECK_EQ(connect_to(s, at("dg")), 0);
    CHECK_EQ(send(s, "again", 5, 0), 5);
    CHECK_EQ(recv(d, buf, sizeof buf, 0), 5);
    /* Request and reply: the server answers the address recvfrom gave it
     * (a client bound on an imfs name), and getsockname's address reaches
     * the server too. */
    int cl = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_EQ(bind_to(cl, at("client")), 0);
    CHECK_EQ(sendto(cl, "req", 3, 0, (struct sockaddr *)&sa, len), 3);
    struct sockaddr_un from;
    socklen_t from_len = sizeof from;
    CHECK_EQ(recvfrom(d, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len), 3);
    CHECK_EQ(sendto(d, "rep", 3, 0, (struct sockaddr *)&from, from_len), 3);
    CHECK_EQ(recv(cl, buf, sizeof buf, 0), 3);
    CHECK(memcmp(buf, "rep", 3) == 0);
    struct sockaddr_un self;
    socklen_t self_len = sizeof self;
    CHECK_EQ(getsockname(d, (struct sockaddr *)&self, &self_len), 0);
    CHECK_EQ(sendto(cl, "via name", 8, 0, (struct sockaddr *)&self, self_len), 8);
    CHECK_EQ(recv(d, buf, sizeof buf, 0), 8);
    close(cl);
    CHECK_EQ(unlink(at("client")), 0);
    /* A stream socket cannot reach a datagram one. */
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(connect_to(c, at("dg")), EPROTOTYPE);
    close(c);
    /* Abstract names are the kernel's, untouched. */
    int ab = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un abs = {AF_UNIX, "\0imfs-abstract-test"};
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("imfs-abstract-test");
    CHECK_EQ(bind(ab, (struct sockaddr *)&abs, alen), 0);
    CHECK_EQ(listen(ab, 1), 0);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(connect(c, (struct sockaddr *)&abs, alen), 0);
    close(c);
    close(ab);
    close(s);
    close(d);
    CHECK_EQ(unlink(at("dg")), 0);
    return failures != 0;
}

/* A blocking connect to a listener whose backlog is full, and a blocking
 * sendto to a full receiver, wait until there is room (a child makes it). */
static int case_sockets_wait(void) {
    struct timespec ms100 = {0, 100 * 1000 * 1000};
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(bind_to(srv, at("busy")), 0);
    CHECK_EQ(listen(srv, 0), 0);
    int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(connect_to(c1, at("busy")), 0);
    /* The backlog is full now: a non-blocking connect says so. */
    int nb = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK_ERR(connect_to(nb, at("busy")), EAGAIN);
    pid_t pid = fork();
    if (pid == 0) {
        nanosleep(&ms100, NULL);
        int ok = accept(srv, NULL, NULL) >= 0 && accept(srv, NULL, NULL) >= 0;
        _exit(ok ? 0 : 1);
    }
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(connect_to(c2, at("busy")), 0);
    CHECK(child_ok(pid));
    close(c1);
    close(c2);
    close(nb);
    close(srv);
    /* Datagrams: fill the receiver's queue, then a blocking send waits. */
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_EQ(bind_to(d, at("full")), 0);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un sa;
    socklen_t len = sun_of(&sa, at("full"));
    int queued = 0;
    while (queued < 100000 &&
           sendto(s, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&sa, len) == 1)
        queued++;
    CHECK(errno == EAGAIN && queued > 0);
    pid = fork();
    if (pid == 0) {
        char b[8];
        nanosleep(&ms100, NULL);
        for (int i = 0; i <= queued; i++)
            if (recv(d, b, sizeof b, 0) != 1) _exit(1);
        _exit(0);
    }
    CHECK_EQ(sendto(s, "y", 1, 0, (struct sockaddr *)&sa, len), 1);
    CHECK(child_ok(pid));
    close(s);
    close(d);
    CHECK_EQ(unlink(at("busy")), 0);
    CHECK_EQ(unlink(at("full")), 0);
    return failures != 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (argc > 2) DIR_ = argv[2];
    if (strcmp(argv[1], "fifo") == 0) return case_fifo();
    if (strcmp(argv[1], "fifo_signals") == 0) return case_fifo_signals();
    if (strcmp(argv[1], "nodes") == 0) return case_nodes();
    if (strcmp(argv[1], "sockets") == 0) return case_sockets();
    if (strcmp(argv[1], "sockets_wait") == 0) return case_sockets_wait();
    fprintf(stderr, "no case %s\n", argv[1]);
    return 2;
}
