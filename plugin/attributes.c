/* plugin/attributes.c — being written (placeholder). */
