/* plugin/coll.h — being written (placeholder). */
