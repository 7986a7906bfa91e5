/* launcher/serve_comm.c — being written (placeholder). */
#include "launcher/keeper.h"

void keeper_register_comm(struct keeper *k)
{
    (void)k;
}
