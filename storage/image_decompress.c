/*
 * image_decompress.c — img_chunk_decompress() (image_format.h): one frame
 * of a verified image into its place. Apart from image_format.c so that
 * verifying an image needs no zstd; freestanding like it (the restorer
 * links it with libzstd.a).
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "storage/image_format.h"

enum img_status img_chunk_decompress(const struct img_view *v, const struct img_chunk *c,
                                     void *dst, struct ZSTD_DCtx_s *dctx)
{
    size_t n = ZSTD_decompressDCtx(dctx, dst, c->raw_len, v->base + c->file_off, c->comp_len);
    if (ZSTD_isError(n) || n != c->raw_len)
        return IMG_E_FRAME;
    return IMG_OK;
}
