/*
 * lind_bench: per-call cost of the file syscalls a grate serves, and
 * sequential throughput, measured from inside a cage.
 *
 *   lind_bench [DIR]      (DIR defaults to "/": the imfs root under a grate)
 *
 * Prints one line per row, "row value unit", for scripts/lind-check to put
 * side by side (imfs, the upstream Rust imfs-grate, no grate). Each row is
 * the best of REPS timed batches, so one descheduling on a busy machine does
 * not decide it. Nothing is asserted: this is a benchmark, not a test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REPS 5
#define CALLS 2000          /* calls per timed batch for the per-call rows */
#define BLOCK 4096          /* random pread/pwrite size */
#define RANDOM_FILE (4 << 20)
#define SEQ_CHUNK (1 << 20) /* sequential write/read size */
#define SEQ_FILE (8 << 20)  /* one sequential pass */

static char dir[128];
static char path_a[160];

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    printf("error %s: %s\n", what, strerror(errno));
    exit(1);
}

static void row(const char *name, double value, const char *unit)
{
    printf("%s %.3f %s\n", name, value, unit);
    fflush(stdout);
}

/* xorshift: the same offsets in every run. */
static uint32_t rng = 2463534242u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void make_file(const char *path, size_t size, char *buf)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        die("create");
    for (size_t done = 0; done < size; done += SEQ_CHUNK) {
        size_t n = size - done < SEQ_CHUNK ? size - done : SEQ_CHUNK;
        if (write(fd, buf, n) != (ssize_t)n)
            die("fill");
    }
    close(fd);
}

/* Microseconds per call of the best batch. */
static double per_call(double (*batch)(void))
{
    double best = 1e18;
    for (int r = 0; r < REPS; r++) {
        double t = batch();
        if (t < best)
            best = t;
    }
    return best / CALLS;
}

static double b_stat(void)
{
    struct stat st;
    double t0 = now_us();
    for (int i = 0; i < CALLS; i++)
        if (stat(path_a, &st) != 0)
            die("stat");
    return now_us() - t0;
}

static int fd_a;
static double b_fstat(void)
{
    struct stat st;
    double t0 = now_us();
    for (int i = 0; i < CALLS; i++)
        if (fstat(fd_a, &st) != 0)
            die("fstat");
    return now_us() - t0;
}

static double b_open_close(void)
{
    double t0 = now_us();
    for (int i = 0; i < CALLS; i++) {
        int fd = open(path_a, O_RDONLY);
        if (fd < 0 || close(fd) != 0)
            die("open+close");
    }
    return now_us() - t0;
}

/* create and unlink are timed on the same CALLS names: create first. */
static char names[CALLS][160];
static double b_create(void)
{
    double t0 = now_us();
    for (int i = 0; i < CALLS; i++) {
        int fd = open(names[i], O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0 || close(fd) != 0)
            die("create");
    }
    return now_us() - t0;
}

static double b_unlink(void)
{
    double t0 = now_us();
    for (int i = 0; i < CALLS; i++)
        if (unlink(names[i]) != 0)
            die("unlink");
    return now_us() - t0;
}

static char *buf;
static int fd_r;
static double b_pread(void)
{
    double t0 = now_us();
    for (int i = 0; i < CALLS; i++) {
        off_t at = (off_t)(next_rand() % (RANDOM_FILE / BLOCK)) * BLOCK;
        if (pread(fd_r, buf, BLOCK, at) != BLOCK)
            die("pread");
    }
    return now_us() - t0;
}

static double b_pwrite(void)
{
    double t0 = now_us();
    for (int i = 0; i < CALLS; i++) {
        off_t at = (off_t)(next_rand() % (RANDOM_FILE / BLOCK)) * BLOCK;
        if (pwrite(fd_r, buf, BLOCK, at) != BLOCK)
            die("pwrite");
    }
    return now_us() - t0;
}

/* MB/s (10^6 bytes per second) of the best of REPS passes over SEQ_FILE. */
static void sequential(const char *path)
{
    double best_w = 1e18, best_r = 1e18;
    for (int r = 0; r < REPS; r++) {
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0)
            die("seq open");
        double t0 = now_us();
        for (size_t done = 0; done < SEQ_FILE; done += SEQ_CHUNK)
            if (write(fd, buf, SEQ_CHUNK) != SEQ_CHUNK)
                die("seq write");
        double t1 = now_us();
        close(fd);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            die("seq reopen");
        double t2 = now_us();
        for (size_t done = 0; done < SEQ_FILE; done += SEQ_CHUNK)
            if (read(fd, buf, SEQ_CHUNK) != SEQ_CHUNK)
                die("seq read");
        double t3 = now_us();
        close(fd);
        if (t1 - t0 < best_w)
            best_w = t1 - t0;
        if (t3 - t2 < best_r)
            best_r = t3 - t2;
    }
    unlink(path);
    row("seq_write_1MiB", SEQ_FILE / best_w, "MB/s");
    row("seq_read_1MiB", SEQ_FILE / best_r, "MB/s");
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/";
    snprintf(dir, sizeof dir, "%s/lind_bench_%d", strcmp(base, "/") ? base : "", (int)getpid());
    if (mkdir(dir, 0755) != 0)
        die("mkdir");
    buf = malloc(SEQ_CHUNK);
    if (!buf)
        die("malloc");
    memset(buf, 'x', SEQ_CHUNK);

    snprintf(path_a, sizeof path_a, "%s/a", dir);
    make_file(path_a, 100, buf);
    fd_a = open(path_a, O_RDONLY);
    if (fd_a < 0)
        die("open a");
    row("stat", per_call(b_stat), "us");
    row("fstat", per_call(b_fstat), "us");
    row("open_close", per_call(b_open_close), "us");

    for (int i = 0; i < CALLS; i++)
        snprintf(names[i], sizeof names[i], "%s/n%d", dir, i);
    double best_c = 1e18, best_u = 1e18;
    for (int r = 0; r < REPS; r++) {
        double c = b_create(), u = b_unlink();
        if (c < best_c)
            best_c = c;
        if (u < best_u)
            best_u = u;
    }
    row("create", best_c / CALLS, "us");
    row("unlink", best_u / CALLS, "us");

    char path_r[160];
    snprintf(path_r, sizeof path_r, "%s/r", dir);
    make_file(path_r, RANDOM_FILE, buf);
    fd_r = open(path_r, O_RDWR);
    if (fd_r < 0)
        die("open r");
    row("pread_4KiB", per_call(b_pread), "us");
    row("pwrite_4KiB", per_call(b_pwrite), "us");
    close(fd_r);
    unlink(path_r);
    close(fd_a);
    unlink(path_a);

    char path_s[160];
    snprintf(path_s, sizeof path_s, "%s/s", dir);
    sequential(path_s);
    if (rmdir(dir) != 0)
        die("rmdir");
    printf("done\n");
    return 0;
}
