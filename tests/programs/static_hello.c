/*
 * static_hello.c — a statically linked program, built with -all-static and
 * without MPI, that tests/integration/runtime_bad_input.sh hands to
 * mpickpt-run: libmpickpt.so cannot be preloaded into a static executable,
 * so mpickpt-run must refuse it (exit status 2, one line) instead of running
 * it without the plugin. Run directly, it prints one line and exits 0.
 */
#include <stdio.h>

int main(void)
{
    printf("static_hello: ran\n");
    return 0;
}
