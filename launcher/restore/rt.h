/*
 * rt.h — the restorer's runtime: everything mpickpt-restore would take
 * from libc, written for a process that has none (CRIU's restorer blob is
 * the model: freestanding code kept apart from the rest of the tree).
 *
 * Invariants of the whole restorer (launcher/restore/):
 *   - linked -nostdlib -static at IMG_RESTORER_ZONE_START, so its code,
 *     data and stack lie where no image region may be;
 *   - no libc at run time: syscalls are made here, and the only library is
 *     libzstd.a's decompressor, which gets memcpy/memset/memmove from this
 *     file, allocation stubs that always fail (it decompresses into a
 *     static context and never allocates), and a thread pointer with a
 *     stack-protector canary at %fs:0x28, because Debian builds libzstd.a
 *     with -fstack-protector-strong;
 *   - our own code is built -fno-stack-protector, so it runs on after the
 *     thread pointer is switched to the image's, right before the jump.
 *
 * gnu11, not c11: syscalls need explicit register variables.
 */
#ifndef MPICKPT_RESTORE_RT_H
#define MPICKPT_RESTORE_RT_H

#include <stddef.h>
#include <stdint.h>

#include "storage/image_format.h"

long rt_syscall6(long nr, long a, long b, long c, long d, long e, long f);
#define rt_syscall(nr, a, b, c) rt_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* Returns the mapping or a negative errno, like the raw syscall. */
long rt_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);

/* Writes all of s to fd. */
void rt_puts(int fd, const char *s);
/* Writes v in decimal to fd. */
void rt_putu(int fd, uint64_t v);
/* The symbolic name of a (positive) errno value, e.g. "ENOENT". */
const char *rt_errname(long err);

__attribute__((noreturn)) void rt_exit(int status);

int64_t rt_now_ns(void);   /* CLOCK_MONOTONIC */

/* Points %fs at the restorer's own thread block (with a canary). */
void rt_setup_tls(void);

/*
 * Loads the registers of cpu and jumps to cpu->rip with rax = 1, which the
 * image's img_save_context() returns. fs base must be set already.
 */
__attribute__((noreturn)) void rt_jump(const struct img_cpu *cpu);

/* Implemented by restore.c: the program, called by _start on the private
 * stack with the kernel's initial stack pointer (argc, argv, envp, auxv). */
__attribute__((noreturn)) void rt_main(uint64_t *initial_sp);

size_t rt_strlen(const char *s);
void *memcpy(void *dst, const void *src, size_t n);
int rt_streq(const char *a, const char *b);

#endif
