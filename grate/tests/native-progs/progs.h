/* Checks shared by the native test programs (abuse.c, cases.c): each failed
 * check prints a "FAIL file:line ..." line on stderr and counts in
 * `failures`; a program exits 1 when any failed. */
#ifndef IMFS_PROGS_H
#define IMFS_PROGS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "FAIL %s:%d: %s (errno %d %s)\n", __FILE__, __LINE__, #cond,  \
                    errno, strerror(errno));                                              \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)
/* A call that must fail with errno E. */
#define CHECK_ERR(call, E)                                                                \
    do {                                                                                  \
        errno = 0;                                                                        \
        long r_ = (long)(call);                                                           \
        if (r_ != -1 || errno != (E)) {                                                   \
            fprintf(stderr, "FAIL %s:%d: %s = %ld errno %d (%s), want -1 errno %d (%s)\n", \
                    __FILE__, __LINE__, #call, r_, errno, strerror(errno), (E),           \
                    strerror(E));                                                         \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)
/* A call that must return V. */
#define CHECK_EQ(call, V)                                                                 \
    do {                                                                                  \
        errno = 0;                                                                        \
        long r_ = (long)(call);                                                           \
        if (r_ != (long)(V)) {                                                            \
            fprintf(stderr, "FAIL %s:%d: %s = %ld errno %d (%s), want %ld\n", __FILE__,   \
                    __LINE__, #call, r_, errno, strerror(errno), (long)(V));              \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

#endif
