/*
 * p2p.h — starting point-to-point operations from the plugin: the code the
 * MPI send and receive entries (api_p2p.c, api_persistent.c) share.
 *
 * A send packs the app's data into a heap block behind the message header
 * at once, so a standard-mode send is complete for the app as soon as it
 * returns (MPI allows a standard send to buffer); its channel operation
 * then runs on an internal request that frees the block when the keeper is
 * done. A synchronous send completes only when the keeper says it matched.
 * A receive unpacks into the app's buffer when its completion arrives.
 */
#ifndef MPICKPT_PLUGIN_P2P_H
#define MPICKPT_PLUGIN_P2P_H

#include <mpi.h>

#include "plugin/request.h"

/* Validates the arguments common to sends and receives; returns an MPI
 * error class or MPI_SUCCESS and resolves the comm and type. `peer` may be
 * MPI_PROC_NULL, and MPI_ANY_SOURCE when `receive`. */
int p2p_check(MPI_Comm comm, MPI_Datatype type, int count, int peer, int tag, int receive,
              struct mk_comm **c, struct dt_type **t);

/* Fills `r` with a send's arguments (taking a reference on the type). */
void p2p_prepare_send(struct mk_request *r, const void *buf, int count, struct dt_type *type,
                      struct mk_comm *comm, int dest, int tag, int mode);
/* Fills `r` with a receive's arguments (taking a reference on the type). */
void p2p_prepare_recv(struct mk_request *r, void *buf, int count, struct dt_type *type,
                      struct mk_comm *comm, int source, int tag);

/* Starts the operation `r` describes. Returns an MPI error class. */
int p2p_start(struct mk_request *r);
/* Starts a receive of the message `message_id` matched by MPI_Mprobe. */
int p2p_start_mrecv(struct mk_request *r, int64_t message_id);

#endif
