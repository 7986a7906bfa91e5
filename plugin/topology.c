/* plugin/topology.c — being written (placeholder). */
