/* plugin/api_group.c — being written (placeholder). */
