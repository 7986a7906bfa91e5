/* plugin/topology.h — being written (placeholder). */
