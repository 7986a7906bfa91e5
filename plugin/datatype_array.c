/*
 * datatype_array.c — MPI_Type_create_subarray and MPI_Type_create_darray.
 *
 * Both are built the way Open MPI 4.1 builds them, out of the simple
 * constructors: the composed type (`impl`) gives the layout — typemap,
 * bounds, flattening — while the returned type records the SUBARRAY or
 * DARRAY combiner and the caller's arguments for get_contents. Building
 * through the same steps as Open MPI keeps the typemap order and the
 * bounds identical to what the application saw natively; the last step of
 * both is "place the data at its first element, then resize to lb 0 and
 * the extent of the whole global array".
 *
 * Invariant: every intermediate type is released as soon as the next step
 * holds its own reference; on error nothing leaks and *newtype is untouched.
 */
#include <stdlib.h>

#include "plugin/datatype.h"
#include "plugin/datatype_internal.h"

/* Replaces *cur, which the constructor that produced `next` used, by next
 * (or by NULL when that constructor failed). Call it after the constructor,
 * never around it: `next` must be read once the constructor has set it. */
static int advance(int rc, struct dt_type **cur, struct dt_type *next)
{
    dt_release(*cur);
    *cur = rc == DT_OK ? next : NULL;
    return rc;
}

/* The last step of both constructors: the data of `data` starts `first`
 * bytes into an array of `total` bytes whose lb is 0. Consumes `data`. */
static int place_in_array(struct dt_type *data, ptrdiff_t first,
                          ptrdiff_t total, struct dt_type **out)
{
    struct dt_type *placed = NULL;
    int one = 1;
    int rc = dt_hindexed(1, &one, &first, data, &placed);
    dt_release(data);
    if (rc != DT_OK)
        return rc;
    rc = dt_resized(placed, 0, total, out);
    dt_release(placed);
    return rc;
}

/* The returned type: the caller's arguments in MPI's get_contents layout
 * (`ints`, `ni` of them) over the composed layout `impl` (consumed). */
static int wrap(enum dt_combiner combiner, const int ints[], int ni,
                struct dt_type *oldtype, struct dt_type *impl,
                struct dt_type **newtype)
{
    struct dt_type *t = dti_type_new(combiner, ni, 0, 1);
    if (!t) {
        dt_release(impl);
        return DT_ERR_NOMEM;
    }
    for (int i = 0; i < ni; i++)
        t->ints[i] = ints[i];
    t->types[0] = dt_retain(oldtype);
    t->impl = impl;
    t->b = impl->b;
    *newtype = t;
    return DT_OK;
}

/* Appends `n` values to the integer list being built at ints[*at]. */
static void put_ints(int ints[], int *at, const int values[], int n)
{
    for (int i = 0; i < n; i++)
        ints[(*at)++] = values[i];
}

/* ---- subarray ------------------------------------------------------------ */

static bool subarray_args_ok(int ndims, const int sizes[], const int subsizes[],
                             const int starts[], int order)
{
    if (ndims < 1 || !sizes || !subsizes || !starts ||
        (order != DT_ORDER_C && order != DT_ORDER_FORTRAN))
        return false;
    for (int i = 0; i < ndims; i++)
        if (sizes[i] < 1 || subsizes[i] < 1 || starts[i] < 0 ||
            starts[i] > sizes[i] - subsizes[i])
            return false;
    return true;
}

/* Open MPI's composition: a vector over the two fastest dimensions, then
 * one hvector per slower dimension (its stride the bytes of everything
 * faster); `first` and `total` come back in elements of oldtype. */
static int subarray_data(int ndims, const int sizes[], const int subsizes[],
                         const int starts[], int order, struct dt_type *oldtype,
                         struct dt_type **data, ptrdiff_t *first, ptrdiff_t *total)
{
    ptrdiff_t ext = dti_extent(oldtype), stride, offset;
    if (ndims == 1) {
        *first = starts[0];
        *total = sizes[0];
        return dt_contiguous(subsizes[0], oldtype, data);
    }
    int step = order == DT_ORDER_C ? -1 : 1;
    int i = order == DT_ORDER_C ? ndims - 1 : 0;
    int end = order == DT_ORDER_C ? -1 : ndims;
    int rc = dt_vector(subsizes[i + step], subsizes[i], sizes[i], oldtype, data);
    *total = (ptrdiff_t)sizes[i] * sizes[i + step];
    *first = starts[i] + (ptrdiff_t)starts[i + step] * sizes[i];
    for (i += 2 * step; rc == DT_OK && i != end; i += step) {
        struct dt_type *next = NULL;
        if (!mul_ok(*total, ext, &stride) || !mul_ok(*total, starts[i], &offset) ||
            !add_ok(*first, offset, first) || !mul_ok(*total, sizes[i], total))
            rc = DT_ERR_ARG;
        else
            rc = dt_hvector(subsizes[i], 1, stride, *data, &next);
        rc = advance(rc, data, next);
    }
    return rc;
}

int dt_subarray(int ndims, const int sizes[], const int subsizes[],
                const int starts[], int order, struct dt_type *oldtype,
                struct dt_type **newtype)
{
    struct dt_type *data = NULL, *impl = NULL;
    ptrdiff_t first, total, ext;
    if (!oldtype || !newtype || ndims > (1 << 28) ||
        !subarray_args_ok(ndims, sizes, subsizes, starts, order))
        return DT_ERR_ARG;
    int rc = subarray_data(ndims, sizes, subsizes, starts, order, oldtype,
                           &data, &first, &total);
    if (rc != DT_OK) {
        dt_release(data);
        return rc;
    }
    ext = dti_extent(oldtype);
    if (!mul_ok(first, ext, &first) || !mul_ok(total, ext, &total)) {
        dt_release(data);
        return DT_ERR_ARG;
    }
    rc = place_in_array(data, first, total, &impl);
    if (rc != DT_OK)
        return rc;
    int ni = 3 * ndims + 2, at = 0;
    int *ints = malloc((size_t)ni * sizeof *ints);
    if (!ints) {
        dt_release(impl);
        return DT_ERR_NOMEM;
    }
    ints[at++] = ndims;
    put_ints(ints, &at, sizes, ndims);
    put_ints(ints, &at, subsizes, ndims);
    put_ints(ints, &at, starts, ndims);
    ints[at++] = order;
    rc = wrap(DT_COMBINER_SUBARRAY, ints, ni, oldtype, impl, newtype);
    free(ints);
    return rc;
}

/* ---- darray ---------------------------------------------------------------- */

/* The arguments of one darray build, shared by the per-dimension steps. */
struct darray {
    int ndims;
    const int *gsizes, *distribs, *dargs, *psizes;
    int order;
    ptrdiff_t ext;   /* extent of oldtype */
    int *coords;     /* this rank's place in the (row-major) process grid */
};

static bool darray_dim_ok(const struct darray *d, int i)
{
    int darg = d->dargs[i];
    if (d->gsizes[i] < 1 || d->psizes[i] < 1)
        return false;
    if (darg != DT_DISTRIBUTE_DFLT_DARG && darg < 1)
        return false;
    switch (d->distribs[i]) {
    case DT_DISTRIBUTE_BLOCK:
        /* MPI requires the blocks to cover the dimension. */
        return darg == DT_DISTRIBUTE_DFLT_DARG ||
               (long long)darg * d->psizes[i] >= d->gsizes[i];
    case DT_DISTRIBUTE_CYCLIC:
    case DT_DISTRIBUTE_NONE:
        return true;
    default:
        return false;
    }
}

static bool darray_args_ok(const struct darray *d, int size, int rank)
{
    long long procs = 1;
    if (size < 1 || rank < 0 || rank >= size || d->ndims < 0 ||
        d->ndims > (1 << 27) ||
        (d->order != DT_ORDER_C && d->order != DT_ORDER_FORTRAN))
        return false;
    if (d->ndims == 0)
        return true;
    if (!d->gsizes || !d->distribs || !d->dargs || !d->psizes)
        return false;
    for (int i = 0; i < d->ndims; i++) {
        if (!darray_dim_ok(d, i))
            return false;
        procs *= d->psizes[i];
        if (procs > size)
            return false;
    }
    return procs == size;
}

/* Extent of oldtype times the global sizes of dimensions [from, to). */
static bool dims_bytes(const struct darray *d, int from, int to, ptrdiff_t *out)
{
    *out = d->ext;
    for (int i = from; i < to; i++)
        if (!mul_ok(*out, d->gsizes[i], out))
            return false;
    return true;
}

/* Bytes spanned by one step along dimension `dim`: everything faster. */
static bool faster_bytes(const struct darray *d, int dim, ptrdiff_t *out)
{
    return d->order == DT_ORDER_C ? dims_bytes(d, dim + 1, d->ndims, out)
                                  : dims_bytes(d, 0, dim, out);
}

/* Gives the type of dimension `dim` (consumed) the extent of that
 * dimension times everything faster, so the next, slower dimension can
 * stack copies of it ("need to set the UB for block-cyclic to work" in
 * Open MPI). */
static int darray_resize(const struct darray *d, int dim, int rc,
                         struct dt_type *t, struct dt_type **out)
{
    ptrdiff_t bytes;
    if (rc == DT_OK && (!faster_bytes(d, dim, &bytes) ||
                        !mul_ok(bytes, d->gsizes[dim], &bytes)))
        rc = DT_ERR_ARG;
    if (rc == DT_OK)
        rc = dt_resized(t, 0, bytes, out);
    dt_release(t);
    return rc;
}

/* Block distribution of dimension `dim` over `nprocs` (Open MPI's block()):
 * this rank's block of consecutive indices. */
static int darray_block(const struct darray *d, int dim, int nprocs, int rank,
                        int darg, struct dt_type *inner, struct dt_type **out,
                        ptrdiff_t *start)
{
    long long gsize = d->gsizes[dim];
    long long blksize = darg == DT_DISTRIBUTE_DFLT_DARG
                            ? (gsize + nprocs - 1) / nprocs : darg;
    long long mysize = gsize - blksize * rank;
    struct dt_type *t = NULL;
    ptrdiff_t stride;
    int rc;
    if (mysize > blksize)
        mysize = blksize;
    if (mysize < 0)
        mysize = 0;
    *start = mysize == 0 ? 0 : blksize * rank;
    int fastest = d->order == DT_ORDER_C ? d->ndims - 1 : 0;
    if (dim == fastest)
        rc = dt_contiguous((int)mysize, inner, &t);
    else if (!faster_bytes(d, dim, &stride))
        rc = DT_ERR_ARG;
    else
        rc = dt_hvector((int)mysize, 1, stride, inner, &t);
    return darray_resize(d, dim, rc, t, out);
}

/* Cyclic distribution of dimension `dim` (Open MPI's cyclic()): blocks of
 * `blksize` every nprocs * blksize indices, then a shorter last block. */
static int darray_cyclic(const struct darray *d, int dim, int darg,
                         struct dt_type *inner, struct dt_type **out,
                         ptrdiff_t *start)
{
    long long nprocs = d->psizes[dim], rank = d->coords[dim];
    long long blksize = darg == DT_DISTRIBUTE_DFLT_DARG ? 1 : darg;
    long long first = rank * blksize, last = d->gsizes[dim] - 1, local = 0;
    ptrdiff_t stride;
    if (last >= first) {
        long long span = last - first + 1, rem = span % (nprocs * blksize);
        local = span / (nprocs * blksize) * blksize + (rem < blksize ? rem : blksize);
    }
    long long count = local / blksize, rem = local % blksize;
    *start = local == 0 ? 0 : first;
    if (!faster_bytes(d, dim, &stride) || !mul_ok(stride, nprocs * blksize, &stride))
        return DT_ERR_ARG;
    struct dt_type *t = NULL, *next = NULL;
    int rc = dt_hvector((int)count, (int)blksize, stride, inner, &t);
    if (rc == DT_OK && rem) {
        int lens[2] = { 1, (int)rem };
        ptrdiff_t disps[2] = { 0, (ptrdiff_t)count * stride };
        struct dt_type *types[2] = { t, inner };
        rc = dt_create_struct(2, lens, disps, types, &next);
        rc = advance(rc, &t, next);
    }
    return darray_resize(d, dim, rc, t, out);
}

static int darray_dim(const struct darray *d, int dim, struct dt_type *inner,
                      struct dt_type **out, ptrdiff_t *start)
{
    int darg = d->dargs[dim];
    switch (d->distribs[dim]) {
    case DT_DISTRIBUTE_BLOCK:
        return darray_block(d, dim, d->psizes[dim], d->coords[dim], darg, inner,
                            out, start);
    case DT_DISTRIBUTE_CYCLIC:
        return darray_cyclic(d, dim, darg, inner, out, start);
    default: /* NONE: one block, the whole dimension (as Open MPI does it) */
        if (d->order == DT_ORDER_C)
            return darray_block(d, dim, d->psizes[dim], d->coords[dim],
                                DT_DISTRIBUTE_DFLT_DARG, inner, out, start);
        return darray_block(d, dim, 1, 0, DT_DISTRIBUTE_DFLT_DARG, inner, out, start);
    }
}

/* Row-major coordinates of `rank` in the process grid. */
static void darray_coords(struct darray *d, int size, int rank)
{
    for (int i = 0; i < d->ndims; i++) {
        size /= d->psizes[i];
        d->coords[i] = rank / size;
        rank %= size;
    }
}

/* Builds dimension by dimension, fastest first; `first` is the element
 * offset of this rank's first element in the global array. */
static int darray_data(const struct darray *d, struct dt_type *oldtype,
                       struct dt_type **data, ptrdiff_t *first)
{
    ptrdiff_t *starts = calloc((size_t)d->ndims, sizeof *starts);
    if (!starts)
        return DT_ERR_NOMEM;
    int step = d->order == DT_ORDER_C ? -1 : 1;
    int begin = d->order == DT_ORDER_C ? d->ndims - 1 : 0;
    int end = d->order == DT_ORDER_C ? -1 : d->ndims;
    int rc = DT_OK;
    *data = dt_retain(oldtype);
    for (int i = begin; rc == DT_OK && i != end; i += step) {
        struct dt_type *next = NULL;
        rc = darray_dim(d, i, *data, &next, &starts[i]);
        rc = advance(rc, data, next);
    }
    ptrdiff_t below = 1, offset;
    *first = rc == DT_OK ? starts[begin] : 0;
    for (int i = begin + step; rc == DT_OK && i != end; i += step) {
        if (!mul_ok(below, d->gsizes[i - step], &below) ||
            !mul_ok(below, starts[i], &offset) || !add_ok(*first, offset, first))
            rc = DT_ERR_ARG;
    }
    free(starts);
    return rc;
}

static int darray_impl(struct darray *d, int size, int rank,
                       struct dt_type *oldtype, struct dt_type **impl)
{
    struct dt_type *data = NULL;
    ptrdiff_t first, total;
    if (d->ndims == 0) /* Open MPI: an empty type */
        return dt_contiguous(0, oldtype, impl);
    d->coords = calloc((size_t)d->ndims, sizeof *d->coords);
    if (!d->coords)
        return DT_ERR_NOMEM;
    darray_coords(d, size, rank);
    int rc = darray_data(d, oldtype, &data, &first);
    free(d->coords);
    if (rc == DT_OK && (!mul_ok(first, d->ext, &first) ||
                        !dims_bytes(d, 0, d->ndims, &total)))
        rc = DT_ERR_ARG;
    if (rc != DT_OK) {
        dt_release(data);
        return rc;
    }
    return place_in_array(data, first, total, impl);
}

int dt_darray(int size, int rank, int ndims, const int gsizes[],
              const int distribs[], const int dargs[], const int psizes[],
              int order, struct dt_type *oldtype, struct dt_type **newtype)
{
    struct darray d = { ndims, gsizes, distribs, dargs, psizes, order, 0, NULL };
    struct dt_type *impl = NULL;
    /* Open MPI refuses an oldtype without data here (not in subarray). */
    if (!oldtype || !newtype || oldtype->b.size == 0 ||
        !darray_args_ok(&d, size, rank))
        return DT_ERR_ARG;
    d.ext = dti_extent(oldtype);
    int rc = darray_impl(&d, size, rank, oldtype, &impl);
    if (rc != DT_OK)
        return rc;
    int ni = 4 * ndims + 4, at = 0;
    int *ints = malloc((size_t)ni * sizeof *ints);
    if (!ints) {
        dt_release(impl);
        return DT_ERR_NOMEM;
    }
    ints[at++] = size;
    ints[at++] = rank;
    ints[at++] = ndims;
    put_ints(ints, &at, gsizes, ndims);
    put_ints(ints, &at, distribs, ndims);
    put_ints(ints, &at, dargs, ndims);
    put_ints(ints, &at, psizes, ndims);
    ints[at++] = order;
    rc = wrap(DT_COMBINER_DARRAY, ints, ni, oldtype, impl, newtype);
    free(ints);
    return rc;
}
