/* plugin/info.c — being written (placeholder). */
