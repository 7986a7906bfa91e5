/* plugin/coll.c — being written (placeholder). */
