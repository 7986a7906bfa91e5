/* plugin/api_pack.c — being written (placeholder). */
