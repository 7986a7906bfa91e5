/* plugin/api_datatype.c — being written (placeholder). */
