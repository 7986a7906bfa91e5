/* plugin/info.h — being written (placeholder). */
