/* plugin/ops.c — being written (placeholder). */
