/* plugin/group.c — being written (placeholder). */
