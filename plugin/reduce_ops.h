/*
 * reduce_ops.h — MPI's predefined reduction operations, computed in the
 * compute process without MPI.
 *
 * The compute process never initializes MPI, yet it must sometimes reduce
 * data itself: a user op's function lives there, and deterministic replay
 * recomputes reductions from logged contributions. These kernels give, for
 * the same (in, inout) pair, the same bytes as Open MPI 4.1's reference
 * ("base") op component, so a reduction replayed here equals the one the
 * keeper's Open MPI computed.
 *
 * Invariants:
 * - reduce_apply() sets inout[i] = in[i] op inout[i] for each element, in
 *   MPI_Reduce_local's argument order, as one typed loop per (op, element
 *   type). It writes only the value bytes of an element: the padding of
 *   pair structs and of x87 long double (6 of its 16 bytes) keeps whatever
 *   the caller had there, as in Open MPI.
 * - reduce_op_valid() is the only gate: reduce_apply() computes exactly
 *   the pairs it accepts and rejects every other pair without touching
 *   inout, whatever the count (Open MPI also rejects with count 0).
 * - No MPI header, no MPI call, no allocation, no mutable state: safe in
 *   any process and any thread.
 *
 * Semantics, checked against MPI_Reduce_local (tests/unit/test_reduce_ops.c):
 * - Integers wrap on SUM/PROD overflow (two's complement), like Open MPI's
 *   scalar code. LAND/LOR/LXOR yield 0 or 1 (any nonzero operand is true).
 * - Floating MAX is (inout > in ? inout : in) and MIN (inout < in ? inout :
 *   in): when the operands are unordered (a NaN) or equal (-0.0 vs +0.0)
 *   the result is `in`. SUM/PROD are inout + in and inout * in; complex
 *   PROD is C's complex multiplication (with its Annex G NaN recovery),
 *   exactly as Open MPI writes `*out *= *in`.
 * - MAXLOC/MINLOC: a strictly better value takes both value and index;
 *   equal values keep inout's value and take the smaller index; a NaN value
 *   never wins and never ties, so inout is left as it was.
 * - Where Open MPI 4.1 departs from MPI-3.1 §5.9.2 we follow Open MPI, as
 *   replay must reproduce what the keeper computed: MPI_CHAR takes every C
 *   integer op, reduced as int8_t whatever the sign of the platform's char;
 *   MPI_OFFSET is reduced as uint64_t, so its MAX/MIN compare unsigned
 *   (MAX(-1, 1) is -1); MPI_UNSIGNED_LONG is reduced as signed long, so
 *   its MAX/MIN compare signed (MAX(ULONG_MAX, 1) is 1: a bug present
 *   from Open MPI 4.1.2 through the 4.1.4 we run, open-mpi/ompi#10525,
 *   fixed on its main branch by #10527).
 *   MPI_WCHAR takes no reduction op at all.
 * - MPI_BYTE takes BAND/BOR/BXOR only, as the standard says; Open MPI 4.1
 *   also accepts MAX MIN SUM PROD LAND LOR LXOR on it (as uint8_t).
 * - ROP_REPLACE and ROP_NO_OP are the RMA accumulate ops: valid on every
 *   kind but MPI_PACKED. Open MPI's MPI_Reduce_local and collectives
 *   reject them (MPI_ERR_OP), so the caller must too on those paths.
 *
 * Known difference from Open MPI's default configuration: on x86 its "avx"
 * op component (selected by default when the CPU has AVX) computes whole
 * vectors of elements with SIMD instructions and the tail with scalar code,
 * and the two disagree: 8- and 16-bit integer SUM saturates instead of
 * wrapping in the vector part (open-mpi/ompi#8045, closed "wontfix"), and
 * floating MAX/MIN return `inout`, not `in`, for NaN or ±0 operands there.
 * Which elements fall in the vector part depends on the CPU and on how a
 * collective segments the buffer, so no single kernel can match it; these
 * kernels match the base component (OMPI_MCA_op=^avx), which is
 * position-independent and agrees with avx everywhere else.
 *
 * Floating results are bit-identical only if this file is built without
 * FMA contraction (the project's -std=c11 implies -ffp-contract=off), like
 * Open MPI's baseline x86-64 build, which has no FMA: complex PROD is the
 * one kernel with more than one rounding per element.
 */
#ifndef MPICKPT_PLUGIN_REDUCE_OPS_H
#define MPICKPT_PLUGIN_REDUCE_OPS_H

#include <stddef.h>

#include "plugin/basic_kind.h"

/* The predefined operations, MPI_MAX .. MPI_NO_OP. */
enum reduce_op {
    ROP_MAX,
    ROP_MIN,
    ROP_SUM,
    ROP_PROD,
    ROP_LAND,
    ROP_BAND,
    ROP_LOR,
    ROP_BOR,
    ROP_LXOR,
    ROP_BXOR,
    ROP_MAXLOC,
    ROP_MINLOC,
    ROP_REPLACE, /* RMA only: inout = in */
    ROP_NO_OP,   /* RMA only: inout unchanged */
    REDUCE_OP_COUNT
};

/* reduce_apply()'s error: `op` is not defined on `kind` (or either is out
 * of range). The caller reports it as MPI_ERR_OP, as Open MPI does. */
enum { REDUCE_ERR_OP = 1 };

/* Nonzero if `op` may be applied to elements of `kind` (see above for the
 * rules, including where they follow Open MPI rather than the standard).
 * Out-of-range values give 0. */
int reduce_op_valid(enum reduce_op op, enum basic_kind kind);

/* inout[i] = in[i] op inout[i] for i < count elements of `kind`; returns 0,
 * or REDUCE_ERR_OP with inout untouched if !reduce_op_valid(op, kind).
 * Elements are laid out at basic_kind_size(kind) strides. The buffers need
 * no alignment (packed message data often has none). `in` and `inout` are
 * either the same buffer or disjoint; with count 0 either may be NULL. */
int reduce_apply(enum reduce_op op, enum basic_kind kind, const void *in,
                 void *inout, size_t count);

/* The MPI name of `op`, e.g. "MPI_SUM", for messages; "?" if out of range. */
const char *reduce_op_name(enum reduce_op op);

#endif
