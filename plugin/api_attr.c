/* plugin/api_attr.c — being written (placeholder). */
