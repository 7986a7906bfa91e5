/* plugin/group.h — being written (placeholder). */
