/* plugin/api_topo.c — being written (placeholder). */
