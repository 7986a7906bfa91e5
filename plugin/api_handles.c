/* plugin/api_handles.c — being written (placeholder). */
