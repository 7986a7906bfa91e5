/* plugin/api_op.c — being written (placeholder). */
