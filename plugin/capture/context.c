/*
 * context.c — img_save_context(), a setjmp of our own (capture_internal.h).
 *
 * Not glibc's setjmp: its jmp_buf mangles rsp and rip with a per-process
 * guard, and the restorer, which jumps back without glibc, must read them
 * plainly. The layout is struct img_cpu's (image_format.h); the restorer's
 * jump (launcher/restore/rt.c) is the other half, and both check the
 * offsets below at compile time.
 *
 * Top-level asm is used because configure does not set up a preprocessed
 * assembler; __asm__ is accepted in strict C11 mode.
 */
#include <stddef.h>

#include "plugin/capture/capture_internal.h"

_Static_assert(offsetof(struct img_cpu, rbx) == 0 && offsetof(struct img_cpu, rbp) == 8 &&
                   offsetof(struct img_cpu, r12) == 16 && offsetof(struct img_cpu, r15) == 40 &&
                   offsetof(struct img_cpu, rsp) == 48 && offsetof(struct img_cpu, rip) == 56 &&
                   offsetof(struct img_cpu, mxcsr) == 72 && offsetof(struct img_cpu, fpu_cw) == 76,
               "img_save_context's offsets");

__asm__(".text\n"
        ".globl img_save_context\n"
        ".hidden img_save_context\n"
        ".type img_save_context, @function\n"
        "img_save_context:\n"
        "    movq %rbx, 0(%rdi)\n"
        "    movq %rbp, 8(%rdi)\n"
        "    movq %r12, 16(%rdi)\n"
        "    movq %r13, 24(%rdi)\n"
        "    movq %r14, 32(%rdi)\n"
        "    movq %r15, 40(%rdi)\n"
        "    leaq 8(%rsp), %rax\n"      /* rsp once this call has returned */
        "    movq %rax, 48(%rdi)\n"
        "    movq (%rsp), %rax\n"       /* the return address */
        "    movq %rax, 56(%rdi)\n"
        "    stmxcsr 72(%rdi)\n"
        "    fnstcw 76(%rdi)\n"
        "    xorl %eax, %eax\n"
        "    ret\n"
        ".size img_save_context, .-img_save_context\n");
