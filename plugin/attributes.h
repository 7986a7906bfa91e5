/* plugin/attributes.h — being written (placeholder). */
