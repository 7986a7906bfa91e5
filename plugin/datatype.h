/*
 * datatype.h — the plugin's MPI datatype engine: derived datatypes built,
 * described, packed and unpacked without Open MPI.
 *
 * The compute process never initializes MPI, yet the application builds
 * derived datatypes and hands user buffers to MPI calls. The plugin mirrors
 * every MPI_Type_* call here and turns user buffers into the contiguous
 * bytes the keeper sends ("packing"), and back ("unpacking"). This header
 * is the whole contract; datatype_internal.h is private to datatype*.c.
 *
 * Semantics (the invariants the unit tests check against Open MPI 4.1):
 * - Constructors mirror MPI-3.1 §4.1 argument for argument (MPI_Aint ->
 *   ptrdiff_t, int stays int). Bounds follow Open MPI's construction rules,
 *   which the application saw before it ran under mpickpt: a type's lb/ub
 *   are the min/max over its components, except that bounds set by
 *   dt_resized are "sticky" (they win over components without them), and
 *   while no explicit ub is involved the extent is rounded up to the
 *   largest alignment of any component after each step of construction
 *   (MPI's epsilon; e.g. struct {double@0, char@8} has extent 16).
 *   true_lb/true_extent cover the data bytes only.
 * - The packed form of `count` instances is their data bytes in typemap
 *   order, instance after instance, with no header: byte-identical to
 *   Open MPI's MPI_Pack on the same (homogeneous) machine. Pair types pack
 *   value then int, without the struct padding.
 * - Unpacking writes only bytes inside the typemap; packing reads only them.
 * - Addresses are computed as buffer address + displacement in unsigned
 *   arithmetic, so a NULL buffer with absolute displacements (MPI_BOTTOM)
 *   works as MPI defines it.
 * - Errors are returned as enum dt_status codes; the engine never aborts.
 * - Where Open MPI 4.1 contradicts MPI, the engine follows MPI (the tests
 *   show both): (a) Open MPI reads a byte stride of exactly -1 as "the
 *   inner extent", so vector(3, 1, -1, MPI_CHAR) runs forwards there;
 *   (b) when a type's data is one block and a later member of size 0
 *   moves its bounds, Open MPI packs count > 1 instances back to back,
 *   ignoring the extent; (c) Open MPI reports garbage true bounds for some
 *   types of size 0, the engine reports true_lb 0 and true_extent 0.
 *
 * Committed representation (why pack/unpack are fast and small): dt_commit
 * flattens ONE instance into a list of ops in typemap order. An op is a
 * leaf run — `reps` blocks of `len` bytes at disp, disp+stride, ... — or a
 * loop — `reps` passes over a body list at disp + k*stride. Bodies are
 * immutable lists shared by every loop that repeats them (a short list
 * used once is copied instead, so its blocks can merge with neighbours),
 * so the committed form is proportional to the constructor description,
 * never to the counts: vector(10^6, 1, 2, MPI_INT) is one leaf,
 * contiguous(10^6, struct {int; double}) one loop over two leaves.
 * Contiguous neighbours merge into one block and equal blocks at a
 * constant stride into one run.
 * `count` instances are one more loop (stride = extent), folded when
 * possible, so a contiguous type packs with a single memcpy and a vector
 * with one tight strided loop; no call allocates. Every op also records how
 * many packed bytes precede it, so a byte offset of the packed stream is
 * found by binary search per nesting level — that is how dt_pack_range and
 * dt_unpack_range resume in the middle of a stream.
 *
 * Ownership: types are reference counted. A constructor returns a type
 * holding one reference and takes its own reference on every inner type it
 * names, so MPI_Type_free (dt_release) of an inner type, or of a type a
 * pending operation still uses, is safe. Predefined types (dt_basic) are
 * static and never freed; retain/release ignore them. Retain/release are
 * thread-safe; dt_commit must not race with other calls on the same type
 * (MPI makes that erroneous too); queries and pack/unpack on a committed
 * type are read-only and may run concurrently.
 */
#ifndef MPICKPT_PLUGIN_DATATYPE_H
#define MPICKPT_PLUGIN_DATATYPE_H

#include <stdbool.h>
#include <stddef.h>

#include "plugin/basic_kind.h"

struct dt_type;

enum dt_status {
    DT_OK = 0,
    DT_ERR_ARG,           /* invalid argument, or a type too large to describe */
    DT_ERR_NOMEM,         /* allocation failed; nothing was created */
    DT_ERR_UNSUPPORTED,   /* valid MPI the engine does not implement (none
                           * today; for the plugin's own unsupported calls) */
    DT_ERR_NOT_COMMITTED, /* pack/unpack with a type not committed (MPI_ERR_TYPE) */
    DT_ERR_TRUNCATE,      /* buffer smaller than the packed data (MPI_ERR_TRUNCATE) */
};

/* MPI_COMBINER_* as recorded for dt_get_envelope. */
enum dt_combiner {
    DT_COMBINER_NAMED,
    DT_COMBINER_DUP,
    DT_COMBINER_CONTIGUOUS,
    DT_COMBINER_VECTOR,
    DT_COMBINER_HVECTOR,
    DT_COMBINER_INDEXED,
    DT_COMBINER_HINDEXED,
    DT_COMBINER_INDEXED_BLOCK,
    DT_COMBINER_HINDEXED_BLOCK,
    DT_COMBINER_STRUCT,
    DT_COMBINER_SUBARRAY,
    DT_COMBINER_DARRAY,
    DT_COMBINER_RESIZED,
};

/* Engine values for the MPI constants of subarray/darray arguments,
 * chosen equal to Open MPI's (MPI_ORDER_C 0, MPI_ORDER_FORTRAN 1,
 * MPI_DISTRIBUTE_BLOCK/CYCLIC/NONE 0/1/2, MPI_DISTRIBUTE_DFLT_DARG -1) so
 * the plugin passes arguments and get_contents integers through unchanged;
 * the plugin, which sees mpi.h, should assert the equality at build time. */
enum dt_order { DT_ORDER_C, DT_ORDER_FORTRAN };
enum dt_distrib { DT_DISTRIBUTE_BLOCK, DT_DISTRIBUTE_CYCLIC, DT_DISTRIBUTE_NONE };
#define DT_DISTRIBUTE_DFLT_DARG (-1)

/* MPI_UNDEFINED results of dt_get_elements / dt_get_count. */
#define DT_UNDEFINED ((ptrdiff_t)-1)

/* A short English description of a status, for error messages. */
const char *dt_strerror(int status);

/* ---- predefined types and references ---------------------------------- */

/* The predefined type of `kind` (committed, never freed); NULL for a kind
 * out of range. The same object is returned on every call. */
struct dt_type *dt_basic(enum basic_kind kind);
/* Takes a reference; returns `t`. */
struct dt_type *dt_retain(struct dt_type *t);
/* Drops a reference (NULL is ignored); the type is destroyed, and its inner
 * types released, when the last reference goes. */
void dt_release(struct dt_type *t);

/* ---- constructors (MPI-3.1 §4.1) ----------------------------------------
 * Each returns DT_OK and stores a new type (one reference, not committed)
 * in *newtype, or an error code and leaves *newtype untouched. */
int dt_contiguous(int count, struct dt_type *oldtype, struct dt_type **newtype);
int dt_vector(int count, int blocklength, int stride, struct dt_type *oldtype,
              struct dt_type **newtype);
int dt_hvector(int count, int blocklength, ptrdiff_t stride,
               struct dt_type *oldtype, struct dt_type **newtype);
int dt_indexed(int count, const int blocklengths[], const int displacements[],
               struct dt_type *oldtype, struct dt_type **newtype);
int dt_hindexed(int count, const int blocklengths[],
                const ptrdiff_t displacements[], struct dt_type *oldtype,
                struct dt_type **newtype);
int dt_indexed_block(int count, int blocklength, const int displacements[],
                     struct dt_type *oldtype, struct dt_type **newtype);
int dt_hindexed_block(int count, int blocklength,
                      const ptrdiff_t displacements[], struct dt_type *oldtype,
                      struct dt_type **newtype);
int dt_create_struct(int count, const int blocklengths[],
                     const ptrdiff_t displacements[],
                     struct dt_type *const types[], struct dt_type **newtype);
/* order: DT_ORDER_C or DT_ORDER_FORTRAN. lb is 0 and the extent is the
 * whole array, as MPI defines. */
int dt_subarray(int ndims, const int sizes[], const int subsizes[],
                const int starts[], int order, struct dt_type *oldtype,
                struct dt_type **newtype);
/* distribs: enum dt_distrib; dargs: > 0 or DT_DISTRIBUTE_DFLT_DARG. */
int dt_darray(int size, int rank, int ndims, const int gsizes[],
              const int distribs[], const int dargs[], const int psizes[],
              int order, struct dt_type *oldtype, struct dt_type **newtype);
int dt_resized(struct dt_type *oldtype, ptrdiff_t lb, ptrdiff_t extent,
               struct dt_type **newtype);
int dt_dup(struct dt_type *oldtype, struct dt_type **newtype);

/* ---- commit -------------------------------------------------------------
 * Builds the flattened form once (idempotent). Required before pack and
 * unpack, as MPI requires it before communication; inner types need not be
 * committed. */
int dt_commit(struct dt_type *t);
bool dt_is_committed(const struct dt_type *t);
/* True when `count` instances of the committed type `t`, for any count, are
 * exactly the bytes [true_lb, true_lb + count*size) of the buffer in order,
 * i.e. packing is one memcpy from buf + dt_true_lb(t) (and the plugin may
 * hand the user buffer over without copying). Also true for size 0. */
bool dt_is_contiguous(const struct dt_type *t);

/* ---- queries ------------------------------------------------------------ */
size_t dt_size(const struct dt_type *t);          /* data bytes per instance */
ptrdiff_t dt_lb(const struct dt_type *t);
ptrdiff_t dt_extent(const struct dt_type *t);     /* ub - lb; may be <= 0 */
ptrdiff_t dt_true_lb(const struct dt_type *t);
ptrdiff_t dt_true_extent(const struct dt_type *t);
/* Basic elements in one instance, as MPI_Get_elements counts them: a pair
 * type counts 1 when used by itself but 2 (value, int) inside a derived
 * type, as in Open MPI. */
size_t dt_element_count(const struct dt_type *t);
/* MPI_Get_elements_x for a message of `bytes` bytes: the number of basic
 * elements they hold, or DT_UNDEFINED when they end inside an element. */
ptrdiff_t dt_get_elements(const struct dt_type *t, size_t bytes);
/* MPI_Get_count: whole instances in `bytes`, DT_UNDEFINED if not whole;
 * 0 for a type of size 0. */
ptrdiff_t dt_get_count(const struct dt_type *t, size_t bytes);
/* Reduction signature: true when the typemap is one basic kind repeated
 * (a pair kind counts as one unit), with the kind and units per instance;
 * false when it mixes kinds or is empty. In the packed stream such a type
 * is then count * per_instance units back to back — but a packed pair unit
 * has no padding (12 bytes for MPI_DOUBLE_INT, not sizeof the C struct),
 * so a kernel working on packed bytes must use that layout. */
bool dt_signature(const struct dt_type *t, enum basic_kind *kind,
                  size_t *per_instance);
/* For a predefined type: true and its kind. False for derived types. */
bool dt_named_kind(const struct dt_type *t, enum basic_kind *kind);

/* ---- envelope and contents (MPI_Type_get_envelope / get_contents) -------
 * The arrays hold exactly MPI's layout for the combiner (e.g. VECTOR:
 * integers {count, blocklength, stride}, one datatype). dt_get_envelope
 * always succeeds; dt_get_contents fails with DT_ERR_ARG on a predefined
 * type or on arrays too short. Every returned datatype carries a
 * new reference the caller must dt_release (a no-op for predefined ones). */
int dt_get_envelope(const struct dt_type *t, int *num_integers,
                    int *num_addresses, int *num_datatypes,
                    enum dt_combiner *combiner);
int dt_get_contents(const struct dt_type *t, int max_integers,
                    int max_addresses, int max_datatypes, int integers[],
                    ptrdiff_t addresses[], struct dt_type *datatypes[]);

/* ---- pack / unpack ------------------------------------------------------
 * The packed stream of `count` instances is count * dt_size(t) bytes.
 * dt_pack writes all of it to `out` (DT_ERR_TRUNCATE if out_size is
 * smaller); dt_unpack reads all of it from `in` (DT_ERR_TRUNCATE if
 * in_size is smaller). The _range forms move only the stream bytes
 * [offset, offset + len) — `out` receives, and `in` holds, exactly those
 * len bytes — so a large message can go through a bounded buffer piece by
 * piece, MPI_Pack's `position` is just an offset into the output, and a
 * short message (fewer bytes than count instances) can be unpacked;
 * DT_ERR_ARG if the range passes the end of the stream. */
int dt_packed_size(const struct dt_type *t, size_t count, size_t *bytes);
int dt_pack(const struct dt_type *t, size_t count, const void *inbuf,
            void *out, size_t out_size);
int dt_unpack(const void *in, size_t in_size, const struct dt_type *t,
              size_t count, void *outbuf);
int dt_pack_range(const struct dt_type *t, size_t count, const void *inbuf,
                  size_t offset, size_t len, void *out);
int dt_unpack_range(const void *in, size_t offset, size_t len,
                    const struct dt_type *t, size_t count, void *outbuf);

#endif
