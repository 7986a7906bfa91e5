/* plugin/ops.h — being written (placeholder). */
