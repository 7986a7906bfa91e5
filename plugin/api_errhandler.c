/* plugin/api_errhandler.c — being written (placeholder). */
