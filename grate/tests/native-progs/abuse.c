/* Abuse programs for imfs-grate's native host, run by grate/tests/abuse.rs
 * while it watches the grate's memory.
 *
 * Usage: abuse MODE. Modes: baseline, counts, edges, paths, badptrs, pools, procs,
 * threads, exec. Each checks every result itself (the value and errno Linux
 * gives on tmpfs) and exits 0 when all hold, else prints "FAIL ..." lines and
 * exits 1.
 *
 * Environment:
 *   IMFS_LIMITS  set by the grate: the run is under imfs; pool limits come
 *                from it and statfs counts must return to their start.
 *   ABUSE_DIR    work there (a tmpfs directory) to run natively on Linux,
 *                which is how the expectations below were checked.
 *   ABUSE_MARKS  at checkpoints, print "mark NAME" on stdout and wait for a
 *                byte on stdin, so the watcher can sample the grate's memory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

#define PAGE 4096L
/* Linux's MAX_RW_COUNT: the most one read or write moves. */
#define MAX_RW_COUNT (INT_MAX & ~(PAGE - 1))

static const char *self_path;

/* ---- limits and the filesystem's free counts ---- */

/* A limit from IMFS_LIMITS ("key=value,..."); -1 when not under the grate. */
static long limit(const char *key) {
    const char *env = getenv("IMFS_LIMITS");
    size_t klen = strlen(key);
    for (const char *p = env; p && *p;) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') return atol(p + klen + 1);
        p = strchr(p, ',');
        if (p) p++;
    }
    return -1;
}

static int under_grate(void) { return getenv("IMFS_LIMITS") != NULL; }

struct counts {
    unsigned long bfree, ffree;
};

static struct counts fs_counts(void) {
    struct statfs s;
    struct counts c = {0, 0};
    if (statfs(".", &s) == 0) {
        c.bfree = s.f_bfree;
        c.ffree = s.f_ffree;
    } else {
        CHECK(!"statfs");
    }
    return c;
}

/* The filesystem is as it was: every block and node given back. Only under
 * the grate, where the filesystem is this program's alone. */
static void check_restored(struct counts start, const char *what) {
    if (!under_grate()) return;
    struct counts now = fs_counts();
    if (now.bfree != start.bfree || now.ffree != start.ffree) {
        fprintf(stderr, "FAIL after %s: statfs free blocks %lu nodes %lu, at start %lu %lu\n",
                what, now.bfree, now.ffree, start.bfree, start.ffree);
        failures++;
    }
}

/* Checkpoint for the watcher (see ABUSE_MARKS). */
static void mark(const char *name) {
    if (!getenv("ABUSE_MARKS")) return;
    printf("mark %s\n", name);
    fflush(stdout);
    char c;
    if (read(0, &c, 1) != 1) {
        fprintf(stderr, "FAIL mark %s: no answer from the watcher\n", name);
        failures++;
    }
}

/* ---- memory shapes ---- */

/* Test memory comes from low addresses, in order, each range followed by a
 * page left unmapped for good: a hole stays a hole, and addr + 1 TiB stays in
 * user space, so huge counts get past the kernel's access_ok to the copy. */
static char *arena = (char *)0x200000000UL;

static char *low_pages(long pages) {
    char *p = arena;
    arena += (pages + 1) * PAGE;
    void *got = mmap(p, pages * PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (got != p) {
        perror("mmap low pages");
        exit(2);
    }
    memset(p, 'z', pages * PAGE);
    return p;
}

/* An address whose page is mapped nowhere. */
static void *unmapped_page(void) {
    char *p = arena;
    arena += PAGE;
    return p;
}

/* The last `len` bytes of a writable page followed by an unmapped page. */
static char *before_hole(size_t len) { return low_pages(1) + PAGE - len; }

/* Whether [addr, addr + len) is within user space (the kernel's access_ok
 * on x86_64): if not, read, write and each iovec of several fault up front. */
static int in_user_space(const void *addr, unsigned long len) {
    unsigned long a = (unsigned long)addr;
    return a + len >= a && a + len <= 0x7ffffffff000UL;
}

/* `call` moves V bytes when its range is in user space, else EFAULT. */
#define CHECK_RW(call, addr, len, V)                                                      \
    do {                                                                                  \
        if (in_user_space(addr, len))                                                     \
            CHECK_EQ(call, V);                                                            \
        else                                                                              \
            CHECK_ERR(call, EFAULT);                                                      \
    } while (0)

static int make_file(const char *path, size_t size) {
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0);
    char buf[4096];
    memset(buf, 'd', sizeof buf);
    for (size_t done = 0; done < size;) {
        size_t n = size - done < sizeof buf ? size - done : sizeof buf;
        ssize_t w = write(fd, buf, n);
        CHECK(w == (ssize_t)n);
        if (w <= 0) break;
        done += w;
    }
    return fd;
}

/* ---- baseline: nothing but one file, for the watcher's reference ---- */

static int mode_baseline(void) {
    int fd = make_file("base", 10);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink("base"), 0);
    return 0;
}

/* ---- counts: huge counts into small or unmapped buffers ---- */

static int mode_counts(void) {
    struct counts start = fs_counts();
    const int FILE_LEN = 100;
    int fd = make_file("f", FILE_LEN);
    char *tail16 = before_hole(16); /* 16 bytes, then a hole */
    void *hole = unmapped_page();
    const unsigned long huge[] = {1UL << 40, 1UL << 62, SSIZE_MAX};

    for (unsigned i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        unsigned long n = huge[i];
        /* read/pread: as much as the buffer takes before the hole. */
        CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
        CHECK_RW(syscall(SYS_read, fd, tail16, n), tail16, n, 16);
        /* The offset moved by what was delivered. */
        CHECK_EQ(lseek(fd, 0, SEEK_CUR), in_user_space(tail16, n) ? 16 : 0);
        CHECK_RW(syscall(SYS_pread64, fd, tail16, n, 90), tail16, n, 10);
        CHECK_RW(syscall(SYS_pread64, fd, tail16, n, 100), tail16, n, 0);
        CHECK_RW(syscall(SYS_pread64, fd, tail16, n, 1L << 50), tail16, n, 0);
        /* Into an unmapped page: nothing moves. */
        CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
        CHECK_ERR(syscall(SYS_read, fd, hole, n), EFAULT);
        CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
        CHECK_ERR(syscall(SYS_pread64, fd, hole, n, 0), EFAULT);
        /* write/pwrite: as much as is readable before the hole. */
        CHECK_RW(syscall(SYS_pwrite64, fd, tail16, n, 200), tail16, n, 16);
        CHECK_EQ(lseek(fd, 0, SEEK_END), in_user_space(tail16, n) ? 216 : FILE_LEN);
        CHECK_RW(syscall(SYS_write, fd, tail16, n), tail16, n, 16);
        CHECK_ERR(syscall(SYS_write, fd, hole, n), EFAULT);
        CHECK_ERR(syscall(SYS_pwrite64, fd, hole, n, 0), EFAULT);
        CHECK_EQ(ftruncate(fd, FILE_LEN), 0);
        /* Negative offsets are EINVAL whatever the count. */
        CHECK_ERR(syscall(SYS_pread64, fd, tail16, n, -1L), EINVAL);
        CHECK_ERR(syscall(SYS_pwrite64, fd, tail16, n, LONG_MIN), EINVAL);
    }
    /* 1 MiB of memory, then a hole. */
    char *big = low_pages(256);
    const long BIG = 256 * PAGE;
    /* A huge count at the file's end reads nothing; a mapped buffer takes
     * the whole file, however large the count. */
    CHECK_EQ(lseek(fd, 0, SEEK_END), FILE_LEN);
    CHECK_EQ(syscall(SYS_read, fd, big, 1UL << 40), 0);
    CHECK_EQ(syscall(SYS_pread64, fd, big, 1UL << 40, 0), FILE_LEN);
    /* A huge count from a mapped buffer writes up to the hole. */
    CHECK_EQ(syscall(SYS_pwrite64, fd, big, 1UL << 40, 0), BIG);
    CHECK_EQ(ftruncate(fd, FILE_LEN), 0);

    /* readv/writev/preadv/pwritev. The count is an unsigned int: above
     * IOV_MAX it is EINVAL, but 1<<40 and 1<<62 truncate to 0 segments. */
    struct iovec iov[4];
    memset(big, 0, BIG);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_ERR(syscall(SYS_readv, fd, big, 1L << 30), EINVAL);
    CHECK_ERR(syscall(SYS_readv, fd, big, -1L), EINVAL);
    CHECK_ERR(syscall(SYS_preadv, fd, big, 1025, 0, 0), EINVAL);
    CHECK_ERR(syscall(SYS_writev, fd, big, (1L << 32) + 1025), EINVAL);
    CHECK_EQ(syscall(SYS_writev, fd, big, 1L << 62), 0);
    CHECK_EQ(syscall(SYS_pwritev, fd, big, 1L << 40, 0, 0), 0);
    /* 1024 iovecs whose array runs into a hole. */
    CHECK_ERR(syscall(SYS_readv, fd, before_hole(16 * 100), 1024), EFAULT);
    CHECK_ERR(syscall(SYS_writev, fd, hole, 1024), EFAULT);
    /* A length with the sign bit set is EINVAL. */
    iov[0] = (struct iovec){big, 1UL << 63};
    CHECK_ERR(readv(fd, iov, 1), EINVAL);
    CHECK_ERR(writev(fd, iov, 1), EINVAL);
    iov[1] = iov[0];
    iov[0] = (struct iovec){big, 1};
    CHECK_ERR(preadv(fd, iov, 2, 0), EINVAL);
    /* Several segments are each checked whole: past user space faults up
     * front (one segment is clamped first: see mode edges). */
    iov[0] = (struct iovec){big, SSIZE_MAX};
    iov[1] = iov[0];
    CHECK_ERR(preadv(fd, iov, 2, 0), EFAULT);
    CHECK_ERR(pwritev(fd, iov, 2, 0), EFAULT);
    /* Within user space, huge lengths are served as far as memory allows. */
    iov[0] = (struct iovec){tail16, 1UL << 40};
    CHECK_EQ(preadv(fd, iov, 1, 0), 16);
    iov[0] = (struct iovec){big, 10};
    iov[1] = (struct iovec){tail16, 1UL << 40};
    iov[2] = (struct iovec){big, 1UL << 40};
    CHECK_EQ(preadv(fd, iov, 3, 0), 26);
    CHECK_EQ(pwritev(fd, iov, 3, 1000), 26);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 1026);
    CHECK_EQ(ftruncate(fd, FILE_LEN), 0);
    /* Zero-length segments around a hole are skipped. */
    iov[0] = (struct iovec){hole, 0};
    iov[1] = (struct iovec){big, 5};
    iov[2] = (struct iovec){NULL, 0};
    CHECK_EQ(preadv(fd, iov, 3, 0), 5);

    /* getdents64: count is an unsigned int. */
    CHECK_EQ(mkdir("dir", 0755), 0);
    for (int i = 0; i < 100; i++) {
        char name[64];
        snprintf(name, sizeof name, "dir/entry-with-a-longish-name-%02d", i);
        CHECK_EQ(close(make_file(name, 0)), 0);
    }
    int dfd = open("dir", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    /* Into 16 bytes then a hole: the first entry faults. */
    CHECK_ERR(syscall(SYS_getdents64, dfd, tail16, INT_MAX), EFAULT);
    CHECK_ERR(syscall(SYS_getdents64, dfd, tail16, 16), EINVAL); /* too small */
    CHECK_ERR(syscall(SYS_getdents64, dfd, hole, INT_MAX), EFAULT);
    long got;
    /* 1<<32 and more truncate to 0: EINVAL (below 1<<32: see mode edges). */
    CHECK_ERR(syscall(SYS_getdents64, dfd, big, 1UL << 32), EINVAL);
    CHECK_ERR(syscall(SYS_getdents64, dfd, hole, 1UL << 40), EINVAL);
    /* A count larger than the memory, entries fitting: served. */
    CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0);
    got = syscall(SYS_getdents64, dfd, big, (1UL << 32) | 65536);
    CHECK(got > 102 * 24 && got < 102 * 64);
    CHECK_EQ(close(dfd), 0);
    for (int i = 0; i < 100; i++) {
        char name[64];
        snprintf(name, sizeof name, "dir/entry-with-a-longish-name-%02d", i);
        CHECK_EQ(unlink(name), 0);
    }
    CHECK_EQ(rmdir("dir"), 0);

    /* getcwd: a huge size is fine when the path fits the memory. */
    char cwd[PATH_MAX], cwd2[PATH_MAX];
    long len = syscall(SYS_getcwd, cwd, sizeof cwd);
    CHECK(len > 0);
    CHECK_EQ(syscall(SYS_getcwd, cwd2, 1UL << 40), len);
    CHECK(strcmp(cwd, cwd2) == 0);
    CHECK_ERR(syscall(SYS_getcwd, hole, 1UL << 40), EFAULT);
    if (len > 16)
        CHECK_ERR(syscall(SYS_getcwd, tail16, 1UL << 40), EFAULT);
    else
        CHECK_EQ(syscall(SYS_getcwd, tail16, 1UL << 40), len);
    CHECK_ERR(syscall(SYS_getcwd, cwd2, 0), ERANGE);

    /* readlink: bufsiz is an int. */
    CHECK_EQ(symlink("a-target-of-22-bytes..", "ln"), 0);
    char lbuf[64];
    CHECK_ERR(syscall(SYS_readlink, "ln", lbuf, 1UL << 40), EINVAL); /* int 0 */
    CHECK_ERR(syscall(SYS_readlink, "ln", lbuf, 0x80000000UL), EINVAL); /* negative */
    CHECK_EQ(syscall(SYS_readlink, "ln", lbuf, (1UL << 40) | 5), 5);
    CHECK_EQ(syscall(SYS_readlink, "ln", lbuf, 0x7fffffffUL), 22);
    CHECK_ERR(syscall(SYS_readlink, "ln", tail16, 0x7fffffffUL), EFAULT); /* copied whole or not */
    CHECK_ERR(syscall(SYS_readlink, "ln", hole, 0x7fffffffUL), EFAULT);
    CHECK_EQ(syscall(SYS_readlinkat, AT_FDCWD, "ln", lbuf, (1UL << 40) | 64), 22);
    CHECK_EQ(unlink("ln"), 0);

    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink("f"), 0);
    check_restored(start, "counts");
    return 0;
}

/* ---- edges: huge counts and sizes where the grate differs from Linux 6.x ---- */

static int mode_edges(void) {
    struct counts start = fs_counts();
    const int FILE_LEN = 100;
    int fd = make_file("f", FILE_LEN);
    char *big = low_pages(256);
    const long BIG = 256 * PAGE;
    void *hole = unmapped_page();
    struct iovec iov[1];
    /* One segment is clamped to MAX_RW_COUNT before its range is checked
     * (import_ubuf, Linux >= 6.4): served, not EFAULT. */
    iov[0] = (struct iovec){big, 1UL << 62};
    CHECK_EQ(preadv(fd, iov, 1, 0), FILE_LEN);
    CHECK_EQ(pwritev(fd, iov, 1, 0), BIG);
    CHECK_EQ(ftruncate(fd, FILE_LEN), 0);
    iov[0] = (struct iovec){big, SSIZE_MAX};
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(readv(fd, iov, 1), FILE_LEN);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink("f"), 0);

    CHECK_EQ(mkdir("dir", 0755), 0);
    for (int i = 0; i < 100; i++) {
        char name[64];
        snprintf(name, sizeof name, "dir/entry-with-a-longish-name-%02d", i);
        CHECK_EQ(close(make_file(name, 0)), 0);
    }
    int dfd = open("dir", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    /* Counts of 1<<31 and more are negative as an int: nothing fits, EINVAL,
     * even into a hole; 1<<32 truncates to 0. */
    const unsigned long too_big[] = {1UL << 31, 0xffffffffUL, 1UL << 32, 1UL << 40};
    for (unsigned i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
        CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0);
        CHECK_ERR(syscall(SYS_getdents64, dfd, big, too_big[i]), EINVAL);
        CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0);
        CHECK_ERR(syscall(SYS_getdents64, dfd, hole, too_big[i]), EINVAL);
    }
    CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0);
    /* Into one page then a hole: the entries that fit, then the rest. */
    char *page = before_hole(PAGE);
    long total = 0, got;
    int rounds = 0;
    while ((got = syscall(SYS_getdents64, dfd, page, INT_MAX)) > 0) {
        total += got;
        rounds++;
        CHECK(got <= PAGE);
    }
    CHECK_EQ(got, 0);
    CHECK(rounds >= 2); /* 102 entries of 56 bytes do not fit one page */
    CHECK(total >= 102 * 24);
    CHECK_EQ(close(dfd), 0);
    for (int i = 0; i < 100; i++) {
        char name[64];
        snprintf(name, sizeof name, "dir/entry-with-a-longish-name-%02d", i);
        CHECK_EQ(unlink(name), 0);
    }
    CHECK_EQ(rmdir("dir"), 0);

    /* A cwd deeper than PATH_MAX: getcwd is ENAMETOOLONG, however large the
     * buffer, and before ERANGE for a small one. */
    const int DEPTH = 2100; /* "/n" each: 4200 bytes */
    int depth = 0;
    for (; depth < DEPTH; depth++) {
        if (mkdir("n", 0755) != 0 || chdir("n") != 0) break;
    }
    CHECK_EQ(depth, DEPTH);
    CHECK_ERR(syscall(SYS_getcwd, big, 1UL << 40), ENAMETOOLONG);
    CHECK_ERR(syscall(SYS_getcwd, big, 64), ENAMETOOLONG);
    for (int i = 0; i < depth; i++) {
        CHECK_EQ(chdir(".."), 0);
        CHECK_EQ(rmdir("n"), 0);
    }
    check_restored(start, "edges");
    return 0;
}

/* ---- paths ---- */

/* A symlink chain link0 -> link1 -> ... -> link{n-1} -> target. */
static void make_chain(const char *prefix, int n, const char *target) {
    char from[64], to[64];
    for (int i = 0; i < n; i++) {
        snprintf(from, sizeof from, "%s%d", prefix, i);
        if (i + 1 < n)
            snprintf(to, sizeof to, "%s%d", prefix, i + 1);
        else
            snprintf(to, sizeof to, "%s", target);
        CHECK_EQ(symlink(to, from), 0);
    }
}

static void remove_chain(const char *prefix, int n) {
    char name[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%d", prefix, i);
        CHECK_EQ(unlink(name), 0);
    }
}

static int mode_paths(void) {
    struct counts start = fs_counts();
    long name_max = limit("name_max") > 0 ? limit("name_max") : NAME_MAX;
    long path_max = limit("path_max") > 0 ? limit("path_max") : PATH_MAX;
    long depth = limit("symlink_depth") > 0 ? limit("symlink_depth") : 40;
    struct stat st;
    struct statfs sfs;
    char buf[64];

    /* A path with no NUL before an unmapped page: EFAULT everywhere. */
    char *nonul = before_hole(100);
    memset(nonul, 'p', 100);
    CHECK_ERR(open(nonul, O_RDONLY), EFAULT);
    CHECK_ERR(open(nonul, O_CREAT | O_WRONLY, 0644), EFAULT);
    CHECK_ERR(stat(nonul, &st), EFAULT);
    CHECK_ERR(mkdir(nonul, 0755), EFAULT);
    CHECK_ERR(unlink(nonul), EFAULT);
    CHECK_ERR(rename(nonul, "x"), EFAULT);
    CHECK_ERR(symlink(nonul, "x"), EFAULT);
    CHECK_ERR(symlink("x", nonul), EFAULT);
    CHECK_ERR(chdir(nonul), EFAULT);
    CHECK_ERR(statfs(nonul, &sfs), EFAULT);
    CHECK_ERR(syscall(SYS_readlink, nonul, buf, sizeof buf), EFAULT);
    /* ... but a whole page of it without NUL is too long first. */
    char *page = before_hole(PAGE);
    memset(page, 'p', PAGE);
    CHECK_ERR(open(page, O_RDONLY), path_max <= PAGE ? ENAMETOOLONG : EFAULT);

    /* 1 MiB paths: ENAMETOOLONG, read no further than path_max. */
    size_t mib = 1 << 20;
    char *huge = malloc(mib + 1);
    for (size_t i = 0; i < mib; i++) huge[i] = i % 2 ? '/' : 'a';
    huge[mib] = 0;
    CHECK_ERR(open(huge, O_RDONLY), ENAMETOOLONG);
    CHECK_ERR(open(huge, O_CREAT | O_RDWR, 0644), ENAMETOOLONG);
    CHECK_ERR(stat(huge, &st), ENAMETOOLONG);
    CHECK_ERR(lstat(huge, &st), ENAMETOOLONG);
    CHECK_ERR(mkdir(huge, 0755), ENAMETOOLONG);
    CHECK_ERR(rmdir(huge), ENAMETOOLONG);
    CHECK_ERR(unlink(huge), ENAMETOOLONG);
    CHECK_ERR(rename(huge, "x"), ENAMETOOLONG);
    CHECK_ERR(rename("x", huge), ENAMETOOLONG);
    CHECK_ERR(link(huge, "x"), ENAMETOOLONG);
    CHECK_ERR(symlink(huge, "x"), ENAMETOOLONG);
    CHECK_ERR(symlink("x", huge), ENAMETOOLONG);
    CHECK_ERR(chdir(huge), ENAMETOOLONG);
    CHECK_ERR(truncate(huge, 0), ENAMETOOLONG);
    CHECK_ERR(access(huge, F_OK), ENAMETOOLONG);
    CHECK_ERR(chmod(huge, 0644), ENAMETOOLONG);
    CHECK_ERR(statfs(huge, &sfs), ENAMETOOLONG);
    CHECK_ERR(syscall(SYS_readlink, huge, buf, sizeof buf), ENAMETOOLONG);
    CHECK_ERR(utimensat(AT_FDCWD, huge, NULL, 0), ENAMETOOLONG);
    CHECK_ERR(syscall(SYS_statx, AT_FDCWD, huge, 0, 0x7ff, buf), ENAMETOOLONG);
    /* One past the limit, NUL included, is too long; at it, it resolves. */
    memset(huge, '/', path_max);
    huge[path_max - 1] = 0;
    CHECK_EQ(stat(huge, &st), 0);
    huge[path_max - 1] = '/';
    huge[path_max] = 0;
    CHECK_ERR(stat(huge, &st), ENAMETOOLONG);
    free(huge);

    /* Names of name_max bytes live; name_max + 1 is too long. */
    char name[1024];
    memset(name, 'n', name_max);
    name[name_max] = 0;
    int fd = open(name, O_CREAT | O_EXCL | O_RDWR, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(stat(name, &st), 0);
    CHECK_EQ(mkdir("d", 0755), 0);
    char moved[1100];
    snprintf(moved, sizeof moved, "d/%s", name);
    CHECK_EQ(rename(name, moved), 0);
    CHECK_EQ(symlink(moved, name), 0);
    CHECK_EQ(stat(name, &st), 0);
    CHECK_EQ(unlink(name), 0);
    CHECK_EQ(unlink(moved), 0);
    CHECK_EQ(rmdir("d"), 0);
    name[name_max] = 'n';
    name[name_max + 1] = 0;
    CHECK_ERR(open(name, O_CREAT | O_RDWR, 0644), ENAMETOOLONG);
    CHECK_ERR(mkdir(name, 0755), ENAMETOOLONG);
    CHECK_ERR(stat(name, &st), ENAMETOOLONG);
    CHECK_ERR(symlink("x", name), ENAMETOOLONG);

    /* Nesting through full paths until the path is too long. */
    char *deep = malloc(path_max + 8);
    size_t dlen = 0;
    long levels = 0;
    for (;;) {
        deep[dlen] = 'd';
        deep[dlen + 1] = 0;
        if (mkdir(deep, 0755) != 0) {
            /* A small config may run out of nodes first. */
            if (errno == ENOSPC && under_grate())
                CHECK_EQ(fs_counts().ffree, 0);
            else
                /* "d/d/.../d" with NUL: 2 * levels bytes fit, 2 * (levels + 1) do not. */
                CHECK(errno == ENAMETOOLONG && levels == path_max / 2);
            break;
        }
        levels++;
        deep[dlen + 1] = '/';
        dlen += 2;
    }
    CHECK(levels > 0);
    /* Remove from the bottom, shortening the path. */
    for (long i = levels; i > 0; i--) {
        deep[2 * i - 1] = 0;
        CHECK_EQ(rmdir(deep), 0);
    }
    free(deep);

    /* Symlink loops and chains. */
    CHECK_EQ(symlink("loop-b", "loop-a"), 0);
    CHECK_EQ(symlink("loop-a", "loop-b"), 0);
    CHECK_EQ(symlink("self", "self"), 0);
    CHECK_ERR(open("loop-a", O_RDONLY), ELOOP);
    CHECK_ERR(open("loop-a", O_CREAT | O_RDWR, 0644), ELOOP);
    CHECK_ERR(stat("self", &st), ELOOP);
    CHECK_ERR(stat("self/x", &st), ELOOP);
    CHECK_EQ(lstat("self", &st), 0);
    CHECK_ERR(chdir("loop-b"), ELOOP);
    CHECK_ERR(truncate("loop-a", 0), ELOOP);
    CHECK_ERR(open("loop-a", O_RDONLY | O_NOFOLLOW), ELOOP);
    CHECK_EQ(close(make_file("end", 5)), 0);
    make_chain("ok", (int)depth, "end");
    make_chain("no", (int)depth + 1, "end");
    fd = open("ok0", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, sizeof buf), 5);
    CHECK_EQ(close(fd), 0);
    CHECK_ERR(open("no0", O_RDONLY), ELOOP);
    CHECK_EQ(stat("ok0", &st), 0);
    CHECK_ERR(stat("no0", &st), ELOOP);
    CHECK_ERR(stat("no1/", &st), ENOTDIR); /* 40 links to a file, then a trailing slash */
    remove_chain("ok", (int)depth);
    remove_chain("no", (int)depth + 1);
    CHECK_EQ(unlink("loop-a"), 0);
    CHECK_EQ(unlink("loop-b"), 0);
    CHECK_EQ(unlink("self"), 0);

    /* A symlink whose target is path_max - 1 bytes: "./" repeated, then "end". */
    char *target = malloc(path_max + 1);
    long tlen = path_max - 1;
    for (long i = 0; i < tlen - 3; i++) target[i] = i % 2 ? '/' : '.';
    if ((tlen - 3) % 2) target[tlen - 4] = '/'; /* keep "//end", never "./end" cut */
    memcpy(target + tlen - 3, "end", 3);
    target[tlen] = 0;
    CHECK_EQ((long)strlen(target), tlen);
    CHECK_EQ(symlink(target, "longlink"), 0);
    CHECK_EQ(lstat("longlink", &st), 0);
    CHECK_EQ(st.st_size, tlen);
    char *back = malloc(path_max + 1);
    CHECK_EQ(syscall(SYS_readlink, "longlink", back, path_max + 1), tlen);
    CHECK(memcmp(back, target, tlen) == 0);
    CHECK_ERR(syscall(SYS_readlink, "longlink", back, 1UL << 40), EINVAL);
    fd = open("longlink", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, sizeof buf), 5);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(stat("longlink", &st), 0);
    CHECK_EQ(st.st_size, 5);
    /* One byte more is too long. */
    target[tlen] = 'x';
    target[tlen + 1] = 0;
    CHECK_ERR(symlink(target, "longer"), ENAMETOOLONG);
    CHECK_EQ(unlink("longlink"), 0);
    CHECK_EQ(unlink("end"), 0);
    free(target);
    free(back);

    check_restored(start, "paths");
    return 0;
}

/* ---- bad pointers everywhere ---- */

static int mode_badptrs(void) {
    struct counts start = fs_counts();
    void *bad[] = {NULL, (void *)1, unmapped_page(), (void *)0xffff888000000000UL,
                   (void *)-4096L};
    int fd = make_file("f", 100);
    CHECK_EQ(mkdir("d", 0755), 0);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = bad[i];
        CHECK_ERR(syscall(SYS_stat, "f", p), EFAULT);
        CHECK_ERR(syscall(SYS_lstat, "f", p), EFAULT);
        CHECK_ERR(syscall(SYS_fstat, fd, p), EFAULT);
        CHECK_ERR(syscall(SYS_newfstatat, AT_FDCWD, "f", p, 0), EFAULT);
        CHECK_ERR(syscall(SYS_newfstatat, fd, "", p, AT_EMPTY_PATH), EFAULT);
        CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, 0x7ff, p), EFAULT);
        CHECK_ERR(syscall(SYS_statfs, ".", p), EFAULT);
        CHECK_ERR(syscall(SYS_fstatfs, fd, p), EFAULT);
        if (p) {
            CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "f", p, 0), EFAULT);
            CHECK_ERR(syscall(SYS_utimes, "f", p), EFAULT);
        } else { /* NULL times: now */
            CHECK_EQ(syscall(SYS_utimensat, AT_FDCWD, "f", p, 0), 0);
            CHECK_EQ(syscall(SYS_utimes, "f", p), 0);
        }
        CHECK_ERR(syscall(SYS_rename, p, "g"), EFAULT);
        CHECK_ERR(syscall(SYS_rename, "f", p), EFAULT);
        CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, p, 0), EFAULT);
        CHECK_ERR(syscall(SYS_link, "f", p), EFAULT);
        CHECK_ERR(syscall(SYS_symlink, p, "s"), EFAULT);
        CHECK_ERR(syscall(SYS_open, p, O_CREAT | O_RDWR, 0644), EFAULT);
        CHECK_ERR(syscall(SYS_openat, dfd, p, O_RDONLY), EFAULT);
        CHECK_ERR(syscall(SYS_mkdir, p, 0755), EFAULT);
        CHECK_ERR(syscall(SYS_unlink, p), EFAULT);
        CHECK_ERR(syscall(SYS_chdir, p), EFAULT);
        CHECK_ERR(syscall(SYS_truncate, p, 0), EFAULT);
        CHECK_ERR(syscall(SYS_readv, fd, p, 1), EFAULT);
        CHECK_ERR(syscall(SYS_writev, fd, p, 1), EFAULT);
        CHECK_ERR(syscall(SYS_preadv, fd, p, 2, 0, 0), EFAULT);
        CHECK_ERR(syscall(SYS_pwritev, fd, p, 2, 0, 0), EFAULT);
        CHECK_ERR(syscall(SYS_pread64, fd, p, 100, 0), EFAULT);
        CHECK_ERR(syscall(SYS_pwrite64, fd, p, 100, 0), EFAULT);
        CHECK_ERR(syscall(SYS_getdents64, dfd, p, 4096), EFAULT);
        CHECK_ERR(syscall(SYS_getcwd, p, 4096), EFAULT);
        CHECK_ERR(syscall(SYS_readlink, "f", p, 100), EINVAL); /* not a link comes first */
        /* An iovec array that is fine, pointing at bad memory. */
        struct iovec iov[2] = {{p, 10}, {p, 10}};
        CHECK_ERR(syscall(SYS_preadv, fd, iov, 2, 0, 0), EFAULT);
        CHECK_ERR(syscall(SYS_pwritev, fd, iov, 2, 0, 0), EFAULT);
    }
    /* Structs that start mapped and end in a hole: EFAULT, nothing half-done
     * that matters (the stat buffer's start may be written). */
    char *tail8 = before_hole(8);
    CHECK_ERR(syscall(SYS_fstat, fd, tail8), EFAULT);
    CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, 0x7ff, tail8), EFAULT);
    CHECK_ERR(syscall(SYS_fstatfs, fd, tail8), EFAULT);
    CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "f", tail8, 0), EFAULT);
    CHECK_ERR(syscall(SYS_readv, fd, tail8, 1), EFAULT);
    memset(tail8, 'z', 8); /* no NUL before the hole */
    CHECK_ERR(syscall(SYS_rename, tail8, "g"), EFAULT);
    /* Data buffers that end in a hole move the part before it. */
    CHECK_EQ(syscall(SYS_pread64, fd, tail8, 100, 0), 8);
    CHECK_EQ(syscall(SYS_pwrite64, fd, tail8, 100, 0), 8);
    CHECK_EQ(symlink("f", "ln"), 0);
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_ERR(syscall(SYS_readlink, "ln", bad[i], 100), EFAULT);
    /* Nothing happened to the file or the directory. */
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 100);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 100);
    CHECK_ERR(stat("g", &st), ENOENT);
    CHECK_ERR(stat("s", &st), ENOENT);
    CHECK_EQ(unlink("ln"), 0);
    CHECK_EQ(close(dfd), 0);
    CHECK_EQ(rmdir("d"), 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(unlink("f"), 0);
    check_restored(start, "badptrs");
    return 0;
}

/* ---- pools: fill, free, repeat ---- */

/* Writes until ENOSPC; the bytes written. */
static long fill_data(const char *path) {
    static char block[1 << 16];
    memset(block, 'D', sizeof block);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CHECK(fd >= 0);
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, block, sizeof block);
        if (n < 0) {
            CHECK(errno == ENOSPC);
            break;
        }
        total += n;
    }
    CHECK_EQ(close(fd), 0);
    return total;
}

/* Creates nodes until ENOSPC; how many. */
static long fill_nodes(void) {
    char name[32];
    long n = 0;
    for (;; n++) {
        snprintf(name, sizeof name, "n%ld", n);
        if (mknod(name, S_IFREG | 0644, 0) != 0) {
            CHECK(errno == ENOSPC);
            break;
        }
    }
    return n;
}

static void free_nodes(long n) {
    char name[32];
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "n%ld", i);
        CHECK_EQ(unlink(name), 0);
    }
}

/* Opens until EMFILE/ENFILE; how many. */
static long fill_fds(int *fds, long cap) {
    long n = 0;
    for (; n < cap; n++) {
        fds[n] = open("fdfile", O_RDONLY);
        if (fds[n] < 0) {
            CHECK(errno == EMFILE || errno == ENFILE);
            break;
        }
    }
    CHECK(n < cap);
    return n;
}

static int mode_pools(void) {
    if (!under_grate()) {
        fprintf(stderr, "FAIL pools: needs IMFS_LIMITS (runs under the grate only)\n");
        return 1;
    }
    struct counts start = fs_counts();
    long chunks = limit("chunks"), chunk_size = limit("chunk_size"), nodes = limit("nodes");
    long cap = limit("fds_per_cage") + 16;
    int *fds = calloc(cap, sizeof *fds);
    CHECK_EQ(close(make_file("fdfile", 1)), 0);
    struct counts with_fdfile = fs_counts();
    long first_data = -1, first_nodes = -1, first_fds = -1;
    for (int cycle = 1; cycle <= 20; cycle++) {
        long data = fill_data("big");
        /* All but the chunk of "fdfile": every chunk is used. */
        CHECK(data >= (chunks - 1) * chunk_size - (1 << 16) && data <= (chunks - 1) * chunk_size);
        CHECK_EQ(fs_counts().bfree, 0);
        long made = fill_nodes();
        CHECK_EQ(fs_counts().ffree, 0);
        /* All nodes but the root, "fdfile" and "big" (dirents may run out first). */
        CHECK(made > 0 && made <= nodes - 3);
        long opened = fill_fds(fds, cap);
        CHECK(opened > 0);
        if (cycle == 1) {
            first_data = data;
            first_nodes = made;
            first_fds = opened;
        } else {
            /* Freeing gave back everything: each cycle gets as much. */
            CHECK_EQ(data, first_data);
            CHECK_EQ(made, first_nodes);
            CHECK_EQ(opened, first_fds);
        }
        for (long i = 0; i < opened; i++) CHECK_EQ(close(fds[i]), 0);
        free_nodes(made);
        CHECK_EQ(unlink("big"), 0);
        check_restored(with_fdfile, "a fill/free cycle");
        if (cycle == 2) mark("cycle2");
        if (cycle == 20) mark("cycle20");
    }
    /* Nesting by mkdir + chdir until no node is left, then back up. */
    long depth = 0;
    for (;; depth++) {
        if (mkdir("n", 0755) != 0) {
            CHECK(errno == ENOSPC);
            break;
        }
        CHECK_EQ(chdir("n"), 0);
    }
    CHECK(depth > 0);
    CHECK_EQ(fs_counts().ffree, 0);
    /* (getcwd down here: see mode edges.) */
    CHECK_ERR(mknod("f", S_IFREG | 0644, 0), ENOSPC);
    for (long i = 0; i < depth; i++) {
        CHECK_EQ(chdir(".."), 0);
        CHECK_EQ(rmdir("n"), 0);
    }
    CHECK_EQ(unlink("fdfile"), 0);
    free(fds);
    check_restored(start, "pools");
    return 0;
}

/* ---- processes ---- */

/* Forks children that wait on a pipe, until EAGAIN or 200; each then writes
 * a file of its own and exits. The number of children. */
static int fork_bomb(int round) {
    int gate[2];
    CHECK_EQ(pipe(gate), 0);
    pid_t kids[200];
    int n = 0;
    for (; n < 200; n++) {
        pid_t pid = fork();
        if (pid < 0) {
            CHECK(errno == EAGAIN);
            break;
        }
        if (pid == 0) {
            close(gate[1]);
            char c;
            if (read(gate[0], &c, 1) != 0) _exit(2);
            char name[32];
            snprintf(name, sizeof name, "kid%d", n);
            int fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
            if (fd < 0) _exit(3);
            for (int k = 0; k < 4; k++) {
                int extra = open(name, O_RDONLY);
                if (extra < 0) _exit(4);
                if (k % 2) close(extra); /* the others close at exit */
            }
            if (write(fd, name, strlen(name)) != (ssize_t)strlen(name)) _exit(5);
            _exit(0);
        }
        kids[n] = pid;
    }
    CHECK_EQ(close(gate[0]), 0);
    CHECK_EQ(close(gate[1]), 0); /* release them all */
    for (int i = 0; i < n; i++) {
        int status;
        CHECK_EQ(waitpid(kids[i], &status, 0), kids[i]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "FAIL round %d child %d: status %#x\n", round, i, status);
            failures++;
        }
    }
    for (int i = 0; i < n; i++) {
        char name[32], buf[32];
        snprintf(name, sizeof name, "kid%d", i);
        int fd = open(name, O_RDONLY);
        CHECK(fd >= 0);
        CHECK_EQ(read(fd, buf, sizeof buf), strlen(name));
        CHECK_EQ(close(fd), 0);
        CHECK_EQ(unlink(name), 0);
    }
    return n;
}

static int mode_procs(void) {
    struct counts start = fs_counts();
    long cages = limit("cages");
    int first = fork_bomb(1);
    /* Under the grate, each live process is a cage: the bomb stops at the
     * cage limit, and again at the same place once they are gone. */
    if (cages > 0)
        CHECK_EQ(first, cages > 200 ? 200 : cages - 1);
    else
        CHECK_EQ(first, 200);
    for (int round = 2; round <= 3; round++) CHECK_EQ(fork_bomb(round), first);
    check_restored(start, "procs");
    return 0;
}

/* Threads creating, writing, reading and removing files at once. */
#define THREADS 8
#define THREAD_OPS 10000

static void *churn(void *arg) {
    long t = (long)arg;
    char name[32], buf[8];
    long bad = 0;
    for (int op = 0; op < THREAD_OPS; op += 4) {
        snprintf(name, sizeof name, "t%ld-%d", t, op % 64);
        int fd = open(name, O_CREAT | O_EXCL | O_RDWR, 0644);
        if (fd < 0) { bad++; continue; }
        if (pwrite(fd, "abcd", 4, 0) != 4) bad++;
        if (pread(fd, buf, sizeof buf, 0) != 4) bad++;
        if (close(fd) != 0) bad++;
        if (unlink(name) != 0) bad++;
    }
    return (void *)bad;
}

static int mode_threads(void) {
    struct counts start = fs_counts();
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++) CHECK_EQ(pthread_create(&th[t], NULL, churn, (void *)t), 0);
    for (int t = 0; t < THREADS; t++) {
        void *bad;
        CHECK_EQ(pthread_join(th[t], &bad), 0);
        CHECK_EQ((long)bad, 0);
    }
    /* Every fd was closed: the next is the lowest free one. */
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(fd, 3);
    CHECK_EQ(close(fd), 0);
    check_restored(start, "threads");
    return 0;
}

/* exec ROUNDS times in a row, each image keeping one inherited fd open and
 * one cloexec fd that must be gone. */
#define EXEC_ROUNDS 40

static int mode_exec(int argc, char **argv) {
    int round = argc > 2 ? atoi(argv[2]) : 0;
    int keep = argc > 3 ? atoi(argv[3]) : -1;
    int gone = argc > 4 ? atoi(argv[4]) : -1;
    /* The counts at the start, carried from image to image. */
    struct counts start = {argc > 5 ? strtoul(argv[5], NULL, 10) : 0,
                           argc > 6 ? strtoul(argv[6], NULL, 10) : 0};
    if (round == 0) {
        start = fs_counts();
        keep = make_file("kept", 3);
    } else {
        /* The inherited fd is still ours, its offset shared; the cloexec one closed. */
        CHECK_EQ(lseek(keep, 0, SEEK_CUR), 3 + round - 1);
        CHECK_ERR(fcntl(gone, F_GETFD), EBADF);
        CHECK_EQ(write(keep, "x", 1), 1);
    }
    if (round < EXEC_ROUNDS) {
        int cloexec = open("kept", O_RDONLY | O_CLOEXEC);
        CHECK(cloexec >= 0);
        char r[16], k[16], g[16], b[32], f[32];
        snprintf(r, sizeof r, "%d", round + 1);
        snprintf(k, sizeof k, "%d", keep);
        snprintf(g, sizeof g, "%d", cloexec);
        snprintf(b, sizeof b, "%lu", start.bfree);
        snprintf(f, sizeof f, "%lu", start.ffree);
        if (failures) return 1;
        char *args[] = {(char *)self_path, "exec", r, k, g, b, f, NULL};
        execv(self_path, args);
        CHECK(!"execv");
        return 1; /* main marks the end */
    }
    /* Last image: the file has every round's byte; clean up. */
    struct stat st;
    CHECK_EQ(fstat(keep, &st), 0);
    CHECK_EQ(st.st_size, 3 + EXEC_ROUNDS);
    CHECK_EQ(close(keep), 0);
    CHECK_EQ(unlink("kept"), 0);
    check_restored(start, "exec");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: abuse MODE\n");
        return 2;
    }
    /* Under the grate, paths are imfs's; /proc is not there, so exec uses
     * the path the program was started with (the host's). */
    self_path = argv[0];
    const char *dir = getenv("ABUSE_DIR");
    if (dir && chdir(dir) != 0) {
        perror(dir);
        return 2;
    }
    const char *m = argv[1];
    int rc;
    if (!strcmp(m, "baseline")) rc = mode_baseline();
    else if (!strcmp(m, "counts")) rc = mode_counts();
    else if (!strcmp(m, "edges")) rc = mode_edges();
    else if (!strcmp(m, "paths")) rc = mode_paths();
    else if (!strcmp(m, "badptrs")) rc = mode_badptrs();
    else if (!strcmp(m, "pools")) rc = mode_pools();
    else if (!strcmp(m, "procs")) rc = mode_procs();
    else if (!strcmp(m, "threads")) rc = mode_threads();
    else if (!strcmp(m, "exec")) rc = mode_exec(argc, argv);
    else {
        fprintf(stderr, "unknown mode %s\n", m);
        return 2;
    }
    /* The watcher samples once more with all the work done. */
    mark("end");
    return rc || failures ? 1 : 0;
}
