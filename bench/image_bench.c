/* image_bench.c — placeholder being written by a helper session. */
int main(void) { return 0; }
