/* plugin/api_coll_nb.c — being written (placeholder). */
