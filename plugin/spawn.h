/*
 * spawn.h — the plugin's own entry point (DESIGN §2, entry point 2): an app
 * started by mpirun with only LD_PRELOAD=libmpickpt.so splits itself in
 * MPI_Init. The process forks; the child goes on as the compute process;
 * the parent replaces itself with the keeper (mpickpt-run --adopt), keeping
 * its pid, which is the one mpirun knows.
 */
#ifndef MPICKPT_PLUGIN_SPAWN_H
#define MPICKPT_PLUGIN_SPAWN_H

/* Splits the process; returns the channel fd in the compute process (the
 * parent never returns). Exits with status 2 on bad settings, 1 on failure. */
int spawn_keeper(void);

#endif
