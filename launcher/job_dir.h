/*
 * job_dir.h — creating a job's directory under --dir (job.json: the
 * program as an absolute path with its XXH64, its arguments, the working
 * directory and every setting, which a restart reuses), and reading back
 * where the job ran.
 */
#ifndef MPICKPT_LAUNCHER_JOB_DIR_H
#define MPICKPT_LAUNCHER_JOB_DIR_H

#include <limits.h>

#include "common/config.h"
#include "storage/layout.h"

/* Creates a new job directory under cfg->dir for `app_argv` on `np`
 * ranks. Returns 0, or -1 with one line in `err`. */
int job_dir_create(const struct mk_config *cfg, char **app_argv, int np,
                   struct layout_job *job, char err[LAYOUT_ERROR_MAX]);
/* The working directory job.json records ("/" if none). */
void job_dir_cwd(const struct layout_job_info *info, char cwd[PATH_MAX]);

#endif
