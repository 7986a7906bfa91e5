/*
 * image_format.h — the on-disk format of a process image (DESIGN §5) and the
 * reader that verifies one before anything is done with it.
 *
 * An image is, in file order:
 *
 *   struct img_header     fixed size; what the restorer needs before it maps
 *                         anything: the binary's identity, registers, fs
 *                         base, mm fields, auxv, vdso layout (in the region
 *                         table), where the hand-off record lives.
 *   frames                one zstd frame (with its content checksum) per
 *                         chunk: a run of non-zero pages of one region.
 *   region table          struct img_region[n_regions], sorted by address,
 *   chunk table           struct img_chunk[n_chunks]; each region owns the
 *                         chunks [first_chunk, first_chunk + n_chunks),
 *                         sorted by offset. Pages no chunk covers are zero
 *                         (anonymous regions) or the file's (file regions).
 *   struct img_trailer    the last bytes of the file: where the tables are,
 *                         the file's size, and the root checksum.
 *
 * Checksums form a two-level tree, so that every byte is hashed once when
 * written and once when verified: each frame has the XXH64 of its bytes in
 * its chunk entry, and the root checksum in the trailer is the XXH64 of the
 * header followed by both tables. Frames tile the data area exactly (in
 * table order, then at most 7 zero bytes of padding up to the tables), so
 * the root and the frame checksums together cover every byte of the file.
 *
 * The tables come last so that the writer streams: it seeks back once, at
 * the end, to rewrite the header with what only the end knows (raw_bytes).
 * Integers are little-endian (the only architecture is x86-64) and every
 * structure has a size that is a multiple of 8 with no implicit padding.
 *
 * Invariants a reader may rely on once img_view_open() returned IMG_OK:
 * every checksum (trailer, header, root, each frame's bytes) matched, so
 * every byte of the file is the writer's; every offset and length is inside the file; regions are page
 * aligned, sorted and do not overlap; chunks lie inside their region, are
 * page aligned, sorted and do not overlap. Nothing has been mapped, opened
 * or decompressed: file references (IMG_REGION_FILE*) still have to be
 * checked against the file system by the caller (img_region.file_*).
 *
 * Freestanding: this module calls no libc function, so the restorer links
 * it. Verification (image_format.c, in storage/libstorage.la) needs only
 * storage/checksum.h; img_chunk_decompress (image_decompress.c, in
 * storage/libimage.la) needs zstd.
 */
#ifndef MPICKPT_STORAGE_IMAGE_FORMAT_H
#define MPICKPT_STORAGE_IMAGE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define IMG_MAGIC "MPCKIMG"   /* 8 bytes with its NUL */
#define IMG_TRAILER_MAGIC "MPCKEND"
#define IMG_VERSION 1
#define IMG_PAGE_SIZE 4096u
#define IMG_PATH_MAX 4096     /* the header's exe path */
#define IMG_REGION_PATH_MAX 512
#define IMG_AUXV_MAX 64       /* auxv pairs, with the AT_NULL pair */

/*
 * The restorer's zone: mpickpt-restore is linked, maps the image and keeps
 * its scratch space here, so no image region may lie inside it (the reader
 * refuses such an image) and a restored process unmaps all of it.
 */
#define IMG_RESTORER_ZONE_START 0x300000000000ull
#define IMG_RESTORER_ZONE_END 0x320000000000ull

/* Registers saved by img_save_context() (plugin/capture): a setjmp. */
struct img_cpu {
    uint64_t rbx, rbp, r12, r13, r14, r15;
    uint64_t rsp;      /* the caller's rsp after the call returned */
    uint64_t rip;      /* the return address */
    uint64_t fs_base;
    uint32_t mxcsr;
    uint16_t fpu_cw;
    uint16_t pad;
};

/* The fields of PR_SET_MM_MAP, from /proc/self/stat and brk(0). */
struct img_mm {
    uint64_t start_code, end_code, start_data, end_data;
    uint64_t start_brk, brk, start_stack;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t auxv[2 * IMG_AUXV_MAX];
    uint64_t auxv_words;   /* used entries of auxv, with the AT_NULL pair */
};

struct img_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;   /* sizeof(struct img_header) of the writer */
    uint32_t page_size;
    uint32_t flags;         /* IMG_HDR_* */
    int64_t created_sec;    /* CLOCK_REALTIME at capture */
    int64_t pid;            /* of the captured process */
    /* The binary's identity: /proc/self/exe with its size and mtime. */
    char exe_path[IMG_PATH_MAX];
    uint64_t exe_size;
    int64_t exe_mtime_sec, exe_mtime_nsec;
    struct img_cpu cpu;
    struct img_mm mm;
    /* Address of the captured process's struct img_handoff, which the
     * restorer fills in before it jumps (0: none). */
    uint64_t handoff_addr;
    uint64_t raw_bytes;     /* memory the frames hold, uncompressed */
    uint64_t header_checksum; /* XXH64 of this header with this field 0 */
};

enum img_region_kind {
    IMG_REGION_ANON = 1,     /* private anonymous: chunks, zero elsewhere */
    IMG_REGION_FILE = 2,     /* private file mapping: the file, then chunks */
    IMG_REGION_FILE_SHARED = 3, /* shared file mapping: the file, no chunks */
    IMG_REGION_SHARED_ANON = 4, /* shared memory with no file to map again:
                                   restored as shared anonymous + chunks */
    IMG_REGION_VDSO = 5,     /* a kernel special mapping: no data, moved */
};

/* img_region.flags */
#define IMG_RF_STACK 0x1u   /* [stack]: mapped MAP_GROWSDOWN */
#define IMG_RF_HEAP 0x2u    /* [heap]: the brk area */

/* img_region.vdso: which special mapping (the kernel's names). */
enum img_vdso_kind { IMG_VDSO_VVAR = 1, IMG_VDSO_VVAR_VCLOCK = 2, IMG_VDSO_VDSO = 3 };

struct img_region {
    uint64_t start, end;          /* page aligned, end exclusive */
    uint32_t prot;                /* PROT_READ | PROT_WRITE | PROT_EXEC */
    uint32_t kind;                /* enum img_region_kind */
    uint32_t flags;               /* IMG_RF_* */
    uint32_t vdso;                /* enum img_vdso_kind for IMG_REGION_VDSO */
    uint64_t first_chunk, n_chunks;
    /* IMG_REGION_FILE*: the file and the identity it must still have. */
    uint64_t file_offset, file_size;
    int64_t file_mtime_sec, file_mtime_nsec;
    char path[IMG_REGION_PATH_MAX];
};

struct img_chunk {
    uint64_t offset;     /* within the region, page aligned */
    uint64_t raw_len;    /* bytes once decompressed, whole pages */
    uint64_t file_off;   /* of the zstd frame in the image */
    uint64_t comp_len;   /* of the zstd frame */
    uint64_t checksum;   /* XXH64 of the frame's bytes */
};

struct img_trailer {
    char magic[8];
    uint64_t table_offset;   /* region table, then chunk table */
    uint64_t n_regions, n_chunks;
    uint64_t file_size;      /* the whole image, trailer included */
    uint64_t root_checksum;  /* XXH64 of the header, then both tables */
    uint64_t trailer_checksum; /* XXH64 of this trailer with this field 0 */
};

/*
 * The record a restored process reads first (plugin/capture/post_restore.c).
 * It lives in the captured process's memory at img_header.handoff_addr; the
 * restorer writes it after every region is filled.
 */
#define IMG_HANDOFF_MAGIC 0x6d70636b68616e64ull  /* "mpckhand" */
#define IMG_HANDOFF_MM_RESTORED 0x1u  /* PR_SET_MM_MAP succeeded */
struct img_handoff {
    uint64_t magic;          /* IMG_HANDOFF_MAGIC when restored */
    uint32_t flags;          /* IMG_HANDOFF_* */
    int32_t mm_errno;        /* why PR_SET_MM_MAP failed, else 0 */
    int64_t start_ns;        /* CLOCK_MONOTONIC when the restorer started */
    char hook_arg[256];      /* mpickpt-restore --hook-arg, for the hook */
};

enum img_status {
    IMG_OK = 0,
    IMG_E_SHORT,        /* smaller than a header plus a trailer */
    IMG_E_TRAILER,      /* no trailer: truncated or not an image */
    IMG_E_SIZE,         /* the trailer's size is not the file's */
    IMG_E_ROOT_SUM,     /* root checksum (header and tables) mismatch */
    IMG_E_MAGIC,        /* not an mpickpt image */
    IMG_E_VERSION,      /* written by another version of the format */
    IMG_E_HEADER,       /* header checksum or fields invalid */
    IMG_E_TABLE,        /* region or chunk table invalid */
    IMG_E_FRAME_SUM,    /* one frame's checksum mismatch */
    IMG_E_FRAME,        /* a frame does not decompress to its chunk */
    IMG_E_OVERLAP,      /* a region in the restorer's zone */
};

/* A verified image held in memory (typically an mmap of the file). */
struct img_view {
    const unsigned char *base;
    size_t size;
    const struct img_header *hdr;
    const struct img_region *regions;
    size_t n_regions;
    const struct img_chunk *chunks;
    size_t n_chunks;
    size_t bad_index;   /* the chunk or region an error refers to */
};

/*
 * Verifies every checksum and bound of the image in [base, base + size)
 * (see the invariants above) and fills *v. base must be 8-byte aligned.
 * Returns IMG_OK or the first problem found; v->bad_index then names the
 * offending chunk for IMG_E_FRAME_SUM.
 */
enum img_status img_view_open(const void *base, size_t size, struct img_view *v);

/* A one-line English description of a status, for messages. */
const char *img_status_text(enum img_status st);

/*
 * Decompresses chunk c of a verified view into dst (c->raw_len bytes) with
 * a caller-provided ZSTD_DCtx (the restorer's is static). In libimage. Checks the
 * frame's content checksum and that it yields exactly raw_len bytes.
 */
struct ZSTD_DCtx_s;
enum img_status img_chunk_decompress(const struct img_view *v, const struct img_chunk *c,
                                     void *dst, struct ZSTD_DCtx_s *dctx);

/* XXH64 of a header or trailer with its own checksum field taken as 0. */
uint64_t img_header_checksum(const struct img_header *h);
uint64_t img_trailer_checksum(const struct img_trailer *t);

/* The root checksum: XXH64 of the header, then the tables (len bytes). */
uint64_t img_root_checksum(const struct img_header *h, const void *tables, size_t len);

#endif
