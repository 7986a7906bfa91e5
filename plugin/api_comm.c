/* plugin/api_comm.c — being written (placeholder). */
