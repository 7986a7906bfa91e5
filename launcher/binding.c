/*
 * binding.c — hwloc-based placement of the keeper next to its compute
 * process, and the spin-or-yield decision (see binding.h).
 */
#include "launcher/binding.h"

#include <hwloc.h>
#include <stdio.h>

void binding_apply(pid_t compute, struct binding_plan *plan)
{
    hwloc_topology_t topo;
    snprintf(plan->where, sizeof plan->where, "not bound (no topology)");
    plan->policy = WAIT_OVERSUBSCRIBED;
    plan->idle_cores = 1;
    if (hwloc_topology_init(&topo) != 0)
        return;
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return;
    }
    int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    long local = waiting_local_ranks();
    plan->policy = waiting_policy_for(local, pus);
    long idle = (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) - local) / (local > 0 ? local : 1);
    plan->idle_cores = idle > 1 ? (int)idle : 1;

    hwloc_bitmap_t mine = hwloc_bitmap_alloc();
    if (hwloc_get_cpubind(topo, mine, HWLOC_CPUBIND_PROCESS) != 0 ||
        hwloc_bitmap_isequal(mine, hwloc_topology_get_allowed_cpuset(topo))) {
        snprintf(plan->where, sizeof plan->where, "not bound (mpirun gave all %d PUs)", pus);
        goto out;
    }
    /* mpirun bound this rank: find the core and share it. */
    hwloc_obj_t core = hwloc_get_next_obj_covering_cpuset_by_type(topo, mine, HWLOC_OBJ_CORE, NULL);
    if (!core || hwloc_get_next_obj_covering_cpuset_by_type(topo, mine, HWLOC_OBJ_CORE, core)) {
        snprintf(plan->where, sizeof plan->where, "left as mpirun bound it (more than one core)");
        goto out;
    }
    int first = hwloc_bitmap_first(core->cpuset);
    int sibling = hwloc_bitmap_next(core->cpuset, first);
    hwloc_bitmap_t compute_set = hwloc_bitmap_alloc(), keeper_set = hwloc_bitmap_alloc();
    hwloc_bitmap_only(compute_set, (unsigned)first);
    hwloc_bitmap_only(keeper_set, (unsigned)(sibling >= 0 ? sibling : first));
    hwloc_set_proc_cpubind(topo, compute, compute_set, HWLOC_CPUBIND_PROCESS);
    hwloc_set_cpubind(topo, keeper_set, HWLOC_CPUBIND_PROCESS);
    /* Sharing one PU, the two processes must not both spin. */
    if (sibling < 0 && plan->policy == WAIT_PU_EACH)
        plan->policy = WAIT_CORE_EACH;
    snprintf(plan->where, sizeof plan->where, "on core %u PU %d, compute on PU %d%s",
             core->logical_index, sibling >= 0 ? sibling : first, first,
             sibling >= 0 ? " (hyper-thread siblings)" : " (same PU)");
    hwloc_bitmap_free(compute_set);
    hwloc_bitmap_free(keeper_set);
out:
    hwloc_bitmap_free(mine);
    hwloc_topology_destroy(topo);
}
