/* tree_tool SRC OUT: a small "build" over a staged source tree, run under
 * the grate by tests/staging_native.rs. It walks SRC (opendir/readdir/lstat,
 * symlinks not followed) and writes OUT: each directory again with its
 * mode, each regular file upper-cased with its mode, each symlink as a
 * symlink with the same target, every copy with the source's mtime, and
 * OUT/MANIFEST listing "TYPE SIZE PATH" for every entry, sorted. Prints the
 * entry count on stdout; exits 1 on any failure. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char **manifest;
static size_t entries, capacity;

static void die(const char *what, const char *path) {
    fprintf(stderr, "tree_tool: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void note(char type, long long size, const char *rel) {
    if (entries == capacity) {
        capacity = capacity ? 2 * capacity : 64;
        manifest = realloc(manifest, capacity * sizeof *manifest);
        if (!manifest) die("realloc", rel);
    }
    if (asprintf(&manifest[entries++], "%c %lld %s\n", type, size, rel) < 0) die("asprintf", rel);
}

static void same_mtime(const char *path, const struct stat *st) {
    struct timespec ts[2] = {{0, UTIME_OMIT}, st->st_mtim};
    if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0) die("utimensat", path);
}

static void copy_upper(const char *from, const char *to, const struct stat *st) {
    int in = open(from, O_RDONLY | O_NOFOLLOW);
    if (in < 0) die("open", from);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (out < 0) die("create", to);
    static char buf[3000]; /* not a power of two: writes straddle chunks */
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w <= 0) die("write", to);
            done += w;
        }
    }
    if (n < 0) die("read", from);
    if (fchmod(out, st->st_mode & 07777) < 0) die("fchmod", to);
    close(in);
    if (close(out) < 0) die("close", to);
    same_mtime(to, st);
}

static char *join(const char *a, const char *b) {
    char *p;
    if (asprintf(&p, "%s%s%s", a, *a && *b ? "/" : "", b) < 0) die("asprintf", b);
    return p;
}

/* SRC/rel into OUT/rel; rel is "" for the top. Paths live on the heap, not
 * the stack: a wasm cage's stack is small and has no guard page. */
static void walk(const char *src, const char *out, const char *rel) {
    char *from = join(src, rel);
    DIR *d = opendir(from);
    if (!d) die("opendir", from);
    struct dirent *e;
    while ((errno = 0, e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *child = join(rel, e->d_name);
        char *cfrom = join(src, child), *cto = join(out, child);
        struct stat st;
        if (lstat(cfrom, &st) < 0) die("lstat", cfrom);
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(cto, 0700) < 0) die("mkdir", cto);
            walk(src, out, child);
            if (chmod(cto, st.st_mode & 07777) < 0) die("chmod", cto);
            same_mtime(cto, &st);
            note('d', 0, child);
        } else if (S_ISREG(st.st_mode)) {
            copy_upper(cfrom, cto, &st);
            note('f', (long long)st.st_size, child);
        } else if (S_ISLNK(st.st_mode)) {
            static char target[PATH_MAX];
            ssize_t n = readlink(cfrom, target, sizeof target - 1);
            if (n < 0) die("readlink", cfrom);
            target[n] = 0;
            if (symlink(target, cto) < 0) die("symlink", cto);
            same_mtime(cto, &st);
            note('l', (long long)n, child);
        } else {
            note('?', 0, child);
        }
        free(child);
        free(cfrom);
        free(cto);
    }
    if (errno) die("readdir", from);
    closedir(d);
    free(from);
}

static int by_path(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: tree_tool SRC OUT\n");
        return 2;
    }
    const char *src = argv[1], *out = argv[2];
    struct stat top;
    if (stat(src, &top) < 0) die("stat", src);
    if (mkdir(out, 0700) < 0) die("mkdir", out);
    walk(src, out, "");
    qsort(manifest, entries, sizeof *manifest, by_path);
    char *path = join(out, "MANIFEST");
    FILE *f = fopen(path, "w");
    if (!f) die("fopen", path);
    for (size_t i = 0; i < entries; i++) fputs(manifest[i], f);
    if (fclose(f) != 0) die("fclose", path);
    if (chmod(out, top.st_mode & 07777) < 0) die("chmod", out);
    printf("tree_tool: %zu entries\n", entries);
    return 0;
}
