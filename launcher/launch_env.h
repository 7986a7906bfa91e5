/*
 * launch_env.h — what mpickpt-run checks and sets up before it starts the
 * application as a compute process: the plugin's path, that the program can
 * take a preloaded library at all, and the environment that tells the
 * plugin where its channel is.
 */
#ifndef MPICKPT_LAUNCHER_LAUNCH_ENV_H
#define MPICKPT_LAUNCHER_LAUNCH_ENV_H

#include <stddef.h>

/* Path of libmpickpt.so: $MPICKPT_PLUGIN, else the installed one. */
const char *launch_plugin_path(void);
/* Finds `program` like execvp would (PATH when it has no '/'); fills `out`.
 * Returns 0, or -1 if there is no such executable. */
int launch_resolve(const char *program, char *out, size_t len);
/* 0 if `program` (searched in PATH when it has no '/') is an executable the
 * plugin can be preloaded into and `plugin` exists; else -1 with a one-line
 * reason in `why`. */
int launch_check_program(const char *program, const char *plugin, char *why, size_t len);
/* In the forked child: preload `plugin` and pass the channel's fd. */
int launch_env_for_compute(const char *plugin, int channel_fd);

#endif
