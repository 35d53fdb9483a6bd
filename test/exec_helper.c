/*
 * exec_helper: run by imfs_test through execve to see which fds survived.
 *
 *   exec_helper ARG...
 *
 * Each ARG is "FD" (is it open?), "FD:TEXT" (open, and pread from offset 0
 * gives TEXT?) or "cwd=PATH" (does getcwd give PATH?). Bit i of the exit
 * status is set when ARG i (counting from 0) holds. One line per ARG goes to
 * stdout. At most 7 ARGs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static int holds(const char *arg)
{
    if (strncmp(arg, "cwd=", 4) == 0) {
        char buf[PATH_MAX];
        return getcwd(buf, sizeof buf) && strcmp(buf, arg + 4) == 0;
    }
    int fd = atoi(arg);
    if (fcntl(fd, F_GETFD) < 0)
        return 0;
    const char *text = strchr(arg, ':');
    if (!text)
        return 1;
    text++;
    char buf[256];
    size_t len = strlen(text);
    if (len > sizeof buf)
        return 0;
    return pread(fd, buf, len, 0) == (ssize_t)len && memcmp(buf, text, len) == 0;
}

int main(int argc, char **argv)
{
    int mask = 0;
    for (int i = 1; i < argc && i <= 7; i++) {
        int ok = holds(argv[i]);
        printf("  exec_helper: %s %s\n", argv[i], ok ? "holds" : "does not hold");
        if (ok)
            mask |= 1 << (i - 1);
    }
    fflush(stdout);
    return mask;
}
