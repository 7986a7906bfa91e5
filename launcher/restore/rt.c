/*
 * rt.c — the restorer's freestanding runtime (see rt.h): entry point,
 * private stack, syscalls, the memory functions the compiler and libzstd
 * call, failing allocation stubs, output, and the final jump.
 *
 * Built with -fno-tree-loop-distribute-patterns, or gcc would compile the
 * loops of memcpy and memset into calls to themselves.
 */
#include "launcher/restore/rt.h"

#include <asm/prctl.h>
#include <asm/unistd.h>
#include <linux/time.h>

#define RT_STACK_SIZE (1u << 20)

/* The private stack _start moves to, so the kernel's stack (which may lie
 * on the image's) can be unmapped. */
__attribute__((aligned(64), used)) static unsigned char rt_stack[RT_STACK_SIZE];

__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xorl %ebp, %ebp\n"
        "    movq %rsp, %rdi\n"                      /* argc, argv, envp, auxv */
        "    leaq rt_stack+1048576(%rip), %rsp\n"   /* RT_STACK_SIZE */
        "    andq $-16, %rsp\n"
        "    call rt_main\n"
        "    hlt\n"
        ".size _start, .-_start\n");

_Static_assert(RT_STACK_SIZE == 1048576, "_start's stack size");

long rt_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

long rt_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
    return rt_syscall6(__NR_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}

void rt_exit(int status)
{
    for (;;)
        rt_syscall(__NR_exit_group, status, 0, 0);
}

int64_t rt_now_ns(void)
{
    struct timespec ts = { 0, 0 };
    rt_syscall(__NR_clock_gettime, CLOCK_MONOTONIC, &ts, 0);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- thread pointer ------------------------------------------------------- */

/* glibc's layout where it matters: self pointer at 0, canary at 0x28. */
static uint64_t rt_tcb[16] __attribute__((aligned(64)));

void rt_setup_tls(void)
{
    rt_tcb[0] = (uint64_t)(uintptr_t)rt_tcb;
    rt_tcb[5] = 0x2f8a3c19d5e7b640ull;
    rt_syscall(__NR_arch_prctl, ARCH_SET_FS, rt_tcb, 0);
}

__attribute__((noreturn)) void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
    rt_puts(2, "mpickpt-restore: stack smashing detected\n");
    rt_exit(127);
}

/* --- what libzstd links against ------------------------------------------ */

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void free(void *p);

/* rep movsb: the fastest copy on CPUs with ERMS, and correct on all. */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* The static decompression context never allocates; legacy-format code
 * that would gets NULL and reports an error. */
void *malloc(size_t n)
{
    (void)n;
    return NULL;
}

void *calloc(size_t n, size_t size)
{
    (void)n;
    (void)size;
    return NULL;
}

void free(void *p)
{
    (void)p;
}

/* zstd's tracing hooks are weak undefined symbols: left undefined they
 * resolve to address 0, which a call from our address cannot reach. They
 * return 0, "do not trace". */
unsigned long long ZSTD_trace_decompress_begin(const void *dctx);
void ZSTD_trace_decompress_end(unsigned long long ctx, const void *info);

unsigned long long ZSTD_trace_decompress_begin(const void *dctx)
{
    (void)dctx;
    return 0;
}

void ZSTD_trace_decompress_end(unsigned long long ctx, const void *info)
{
    (void)ctx;
    (void)info;
}

/* --- strings and output ------------------------------------------------- */

size_t rt_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int rt_streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

void rt_puts(int fd, const char *s)
{
    size_t n = rt_strlen(s);
    while (n > 0) {
        long k = rt_syscall(__NR_write, fd, s, n);
        if (k == -4 /* EINTR */)
            continue;
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

void rt_putu(int fd, uint64_t v)
{
    char buf[24];
    int i = 23;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rt_puts(fd, buf + i);
}

const char *rt_errname(long err)
{
    static const struct { long num; const char *name; } names[] = {
        { 1, "EPERM (operation not permitted)" }, { 2, "ENOENT (no such file or directory)" },
        { 4, "EINTR" }, { 5, "EIO (input/output error)" }, { 9, "EBADF" },
        { 12, "ENOMEM (out of memory)" }, { 13, "EACCES (permission denied)" },
        { 14, "EFAULT" }, { 16, "EBUSY" }, { 17, "EEXIST (address already mapped)" },
        { 19, "ENODEV" }, { 20, "ENOTDIR" }, { 21, "EISDIR" }, { 22, "EINVAL (invalid argument)" },
        { 23, "ENFILE" }, { 24, "EMFILE" }, { 27, "EFBIG" }, { 28, "ENOSPC" },
        { 36, "ENAMETOOLONG" }, { 75, "EOVERFLOW" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].num == err)
            return names[i].name;
    return "unknown errno";
}

/* --- the jump ------------------------------------------------------------ */

_Static_assert(offsetof(struct img_cpu, rbx) == 0 && offsetof(struct img_cpu, rbp) == 8 &&
                   offsetof(struct img_cpu, r12) == 16 && offsetof(struct img_cpu, r15) == 40 &&
                   offsetof(struct img_cpu, rsp) == 48 && offsetof(struct img_cpu, rip) == 56 &&
                   offsetof(struct img_cpu, mxcsr) == 72 && offsetof(struct img_cpu, fpu_cw) == 76,
               "rt_jump's offsets");

__asm__(".text\n"
        ".globl rt_jump\n"
        ".type rt_jump, @function\n"
        "rt_jump:\n"
        "    movq 0(%rdi), %rbx\n"
        "    movq 8(%rdi), %rbp\n"
        "    movq 16(%rdi), %r12\n"
        "    movq 24(%rdi), %r13\n"
        "    movq 32(%rdi), %r14\n"
        "    movq 40(%rdi), %r15\n"
        "    ldmxcsr 72(%rdi)\n"
        "    fldcw 76(%rdi)\n"
        "    movq 56(%rdi), %rcx\n"
        "    movq 48(%rdi), %rsp\n"
        "    movl $1, %eax\n"          /* img_save_context() returns 1 */
        "    jmp *%rcx\n"
        ".size rt_jump, .-rt_jump\n");
