/* plugin/api_coll.c — being written (placeholder). */
