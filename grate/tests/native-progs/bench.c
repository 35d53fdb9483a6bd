/* Round-trip microbenchmark for grate/benches/native_roundtrip.rs.
 * Usage: bench OP N PATH; prints "ns_per_op X". OP: fstat | pread (1 byte
 * from a file at PATH, created) | continue (lseek on a pipe: trapped, then
 * handed back to the kernel). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (strcmp(op, "fstat") == 0) {
            if (fstat(fd, &st) != 0) return 1;
        } else if (strcmp(op, "pread") == 0) {
            if (pread(fd, &c, 1, 0) != 1) return 1;
        } else {
            if (lseek(p[0], 0, SEEK_CUR) != -1) return 1;
        }
    }
    double t1 = now_ns();
    unlink(argv[3]);
    printf("ns_per_op %.0f\n", (t1 - t0) / n);
    return 0;
}
