/* launcher/serve_coll.c — being written (placeholder). */
#include "launcher/keeper.h"

void keeper_register_coll(struct keeper *k)
{
    (void)k;
}
