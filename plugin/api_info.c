/* plugin/api_info.c — being written (placeholder). */
