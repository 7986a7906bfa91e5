/*
 * comm_log.h — the keeper's communicator log (docs/COORDINATED.md,
 * "Recovery"): every communicator creation and free this keeper served,
 * in the order served, and the table of the communicators alive now (job-
 * wide name, size, members as world ranks). The keeper consults the table
 * for every message (comm_log_world_rank), saves the log with its state at
 * a checkpoint (comm_log_save) and re-executes it after a restore
 * (comm_log_replay), so the restored keeper has the same communicators,
 * under the same ids, with the same names.
 *
 * The log is one module-level instance per process (the keeper serves one
 * rank). serve_comm.c writes it: comm_log_begin when a creation is served,
 * comm_log_create when it runs, comm_log_free for a free; replay goes
 * through the same two calls, so a replayed entry is recorded exactly as
 * the original was.
 *
 * An entry: the number of the submission that made it (keeper_serving_seq
 * at serve time; 0 for entries replayed from a checkpoint, which precede
 * everything the incarnation serves), the plugin's id, the parent's id,
 * the op, its arguments, whether this rank got the new communicator, and
 * the member list below. Creations that this rank is not part of (split
 * with MPI_UNDEFINED, create from a group without it) are entries too: a
 * replay must take part in them for the others. A creation whose MPI call
 * failed is dropped (it neither counts nor replays).
 *
 * Names (coordinated/comm_name.h): WORLD and SELF have fixed names; a
 * created communicator's name comes from its parent's name and the
 * creation's position among the parent's collective creations (dup, split,
 * split_type, create — counted per parent as they succeed, including those
 * that gave this rank no communicator) or, for create_group, from the
 * occurrence of its (parent, tag, group).
 *
 * The saved encoding (struct keeper_comm of coordinated/keeper_state.h),
 * one record per entry, in the order the entries ran; `in` is 1 if this
 * rank got the new communicator, else 0:
 *   op              nargs  args                   members (world ranks)
 *   DUP             1      in                     the new comm's, if in
 *   SPLIT           3      in, color, key         the new comm's, if in
 *   SPLIT_TYPE      3      in, type, key          the new comm's, if in
 *   CREATE          1      in                     the group, group order
 *   CREATE_GROUP    2      in, tag                the group, group order
 *   FREE            0      -                      none; parent is -1
 * color and type are as on the wire (WIRE_UNDEFINED, WIRE_SPLIT_SHARED).
 * The group travels on the wire as ranks of the parent; the log keeps it
 * as world ranks (valid after the parent is freed, and what keeper_state
 * checks) and replay translates it back through the parent's members. For
 * DUP/SPLIT/SPLIT_TYPE the members are not needed to replay; replay
 * checks that it got the same ones (a restart that places ranks on other
 * nodes changes a split_type, and replay says so rather than go on).
 *
 * Invariants:
 * - ids 0 (WORLD) and 1 (SELF) are always alive, with every rank of WORLD
 *   and this keeper's world rank as members (comm_log_reset).
 * - Every communicator this log says is alive is registered with the
 *   keeper under its id (keeper_comm_add), and the reverse for ids the
 *   plugin created (the keeper's own communicators are not logged).
 * - comm_log_world_rank, comm_log_size and comm_log_name are O(1).
 * - The log only grows until comm_log_reset: freed communicators stay in
 *   it, since a replay must still take part in their creation.
 */
#ifndef MPICKPT_LAUNCHER_COMM_LOG_H
#define MPICKPT_LAUNCHER_COMM_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "coordinated/keeper_state.h"
#include "launcher/keeper.h"

/* A creation to log and run, as decoded from the wire or from a saved
 * record. `group` (CREATE, CREATE_GROUP only) is world ranks in group
 * order; the log copies it. */
struct comm_creation {
    uint32_t op;            /* WOP_COMM_DUP … WOP_COMM_CREATE_GROUP */
    int64_t id, parent;
    int64_t color, key;     /* SPLIT: wire color, key; SPLIT_TYPE: wire type, key */
    int64_t tag;            /* CREATE_GROUP */
    const int32_t *group;
    uint32_t ngroup;
};

/* Forgets every entry and communicator but WORLD and SELF (ids 0 and 1),
 * which it (re)creates for a world of `world_size` ranks where this keeper
 * is `world_rank`, with no creations on them yet. Called at start and
 * before a replay; cannot fail. It does not touch the keeper's table. */
void comm_log_reset(int world_rank, int world_size);

/* The name of the live communicator `id`, or 0 if none. */
uint64_t comm_log_name(int64_t id);
/* The world rank of rank `rank` of communicator `id`; -1 if `id` is not
 * alive or `rank` is out of [0, size). WORLD: `rank` itself; SELF (rank
 * 0): this keeper's world rank. */
int comm_log_world_rank(int64_t id, int rank);
/* The size of communicator `id`, or 0 if it is not alive. */
int comm_log_size(int64_t id);

/* Appends creation `c`, served as submission `seq`, as an entry not yet
 * run, and reserves all it needs to be recorded once run; returns the
 * entry's number for comm_log_create or comm_log_drop, or -1 with errno
 * ENOMEM, or EINVAL (the parent is not alive, the op is no creation, or
 * the id is WORLD's or SELF's). */
long comm_log_begin(const struct comm_creation *c, uint64_t seq);
/* create_group runs on `comm`, a duplicate of WORLD that only the keeper
 * uses, not on the keeper's copy of the application's parent: Open MPI's
 * create_group sends messages with the caller's tag on its parent, which
 * a receive or probe the keeper serves there (MPI_ANY_TAG) could take.
 * The group, as world ranks, gives the same communicator either way. */
void comm_log_set_group_parent(MPI_Comm comm);
/* Marks a begun entry as never run (e.g. the barrier before it failed):
 * it neither counts nor is saved. */
void comm_log_drop(long entry);
/* Runs begun entry `entry` with the blocking PMPI creation on the keeper's
 * parent communicator. If the MPI call fails, the entry is dropped and its
 * error class returned. Otherwise the creation counts (the parent's
 * position, or create_group's occurrence) and, if this rank got a
 * communicator, it is registered under the entry's id with keeper_comm_add
 * and alive here with its name: MPI_SUCCESS, *joined = 1. If it cannot be
 * recorded (its members cannot be read, or MPI_ERR_INTERN: the id is in
 * use), it is freed, that error returned, and the entry stays as a
 * creation this rank took part in without keeping a communicator. *joined
 * is 1 only when the communicator was registered. */
int comm_log_create(struct keeper *k, long entry, int *joined);
/* Frees communicator `id` (keeper_comm_remove) and logs it as submission
 * `seq`. Returns MPI_SUCCESS, MPI_ERR_COMM if `id` is not alive, or
 * MPI_ERR_NO_MEM (then nothing is freed). */
int comm_log_free(struct keeper *k, int64_t id, uint64_t seq);

/* Appends to `ks` (keeper_state_add_comm) the completed entries whose
 * submission number is <= max_seq and not among the n_excluded numbers at
 * `excluded_seqs` (the submissions pending at the cut, which the keeper
 * serves again after a restore), in the order they ran (comm_log.c says
 * why), encoded as above. Returns
 * 0, or -1 with errno ENOMEM, or EINVAL when an entry that should be saved
 * is still being created (its submission was pending at the cut, so it
 * belongs in excluded_seqs).
 * For the replay to work, every member of a collective creation must make
 * the same choice: all save it, or all leave it to be served again. A
 * creation pending at one member's cut but completed before another's
 * breaks that if the first excludes it; the caller then saves it at the
 * first too (not excluding it, once it completed) and answers that pending
 * submission from the log after the restore instead of serving it again
 * (the rule-2 analogue of docs/COORDINATED.md, with M(parent)). */
int comm_log_save(struct keeper_state *ks, uint64_t max_seq, const uint64_t *excluded_seqs,
                  size_t n_excluded);

/* After a restore: resets the log (comm_log_reset) and re-executes every
 * record of `ks->comms` in order with blocking PMPI calls — every keeper
 * replays its own log together, and MPI's ordering rules make the logs
 * consistent — registering each communicator this rank gets under its id
 * and freeing on FREE records; the rebuilt log serves names, world ranks
 * and a later save as before. The keeper must hold only WORLD and SELF
 * (ids 0 and 1). Returns MPI_SUCCESS or an MPI error class (a record that
 * cannot be replayed, or that replays to another membership), with a
 * keeper_say line on error. */
int comm_log_replay(struct keeper *k, const struct keeper_state *ks);

#endif
