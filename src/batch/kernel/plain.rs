//! The plain curve loop of the wide kernels (the commonest metric: a
//! curve that holds its end scores beyond its ends, one weight for every
//! scorecard, no worst-wins, no imputation), written out for AVX-512 and
//! AVX2 ([`super::avx512`], [`super::avx2`]), and what it reads straight
//! from a column's validity.

use super::prepare::{next_rows, Held, Next};
use super::*;

/// The chunk's values and validity of a column the wide plain loop reads
/// without prepared scratch columns: a plain curve, every value observed
/// on the as-of date, no judgement authors to check, and a validity of
/// the chunk's length. `None` otherwise.
#[inline(always)]
pub(super) fn unprepared<'a>(
    mp: &MetricPlan,
    impute: bool,
    column: &MetricColumn<'a>,
    r0: usize,
    n: usize,
) -> Option<(&'a [f64], Held<'a>, Next<'a>)> {
    let Shape::Linear { bounded, .. } = &mp.shape else {
        return None;
    };
    let plain = !mp.worst && !impute && mp.same_weight.is_some() && !*bounded;
    if !plain || column.observed.is_some() || mp.judgement || !cfg!(target_arch = "x86_64") {
        return None;
    }
    let values = column.values.get(r0..r0 + n)?;
    let after = |len: usize| next_rows(r0, n, len);
    let mut next = Next {
        values: column.values.get(after(column.values.len())).unwrap_or(&[]),
        flags: &[],
    };
    let held = match column.validity {
        Validity::All => Held::All,
        Validity::Bools(b) => {
            next.flags = b.get(after(b.len())).unwrap_or(&[]);
            Held::Bools(b.get(r0..r0 + n)?)
        }
        Validity::Bits { bits, offset } => Held::Bits {
            bits,
            offset: offset.checked_add(r0)?,
        },
    };
    Some((values, held, next))
}

/// [`wide_plain`] for a plain curve of any number of pieces.
#[inline(always)]
pub(super) fn wide_plain_any<const W: u8>(
    mp: &MetricPlan,
    held: Held<'_>,
    values: &[f64],
    next: Next<'_>,
    first: bool,
    s: &mut Scratch,
) -> bool {
    let Shape::Linear { pieces, direct, .. } = &mp.shape else {
        return false;
    };
    let p = pieces.as_slice();
    match p.len() {
        1 => wide_plain::<W, 1>(mp, p, *direct, values, held, next, first, s),
        2 => wide_plain::<W, 2>(mp, p, *direct, values, held, next, first, s),
        // Three pieces padded to four: the padding left out.
        4 if p.get(3).is_some_and(|x| x.from == f64::INFINITY) => {
            wide_plain::<W, 3>(mp, p, *direct, values, held, next, first, s)
        }
        4 => wide_plain::<W, 4>(mp, p, *direct, values, held, next, first, s),
        _ => wide_plain::<W, 8>(mp, p, *direct, values, held, next, first, s),
    }
}

/// [`super::curves::linear_plain`] in a wide kernel: the loop written
/// out for its instruction set.
#[inline(always)]
#[allow(unsafe_code)] // calls a loop compiled for features checked at run time
#[allow(clippy::too_many_arguments)]
pub(super) fn wide_plain<const W: u8, const N: usize>(
    mp: &MetricPlan,
    pieces: &[Piece],
    direct: bool,
    values: &[f64],
    held: Held<'_>,
    next: Next<'_>,
    first: bool,
    s: &mut Scratch,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use super::prepare::held::{ALL, BITS, BOOLS, PREPARED};
        let kind = match held {
            Held::Prepared => PREPARED,
            Held::All => ALL,
            Held::Bools(_) => BOOLS,
            Held::Bits { .. } => BITS,
        };
        // Each instruction set's loop for this metric's flags and kind of
        // validity.
        macro_rules! kinds {
            ($isa:ident, $d:literal, $s:literal) => {
                match kind {
                    PREPARED => super::$isa::linear_plain::<N, $d, $s, PREPARED>(
                        mp, pieces, values, held, next, first, s,
                    ),
                    ALL => super::$isa::linear_plain::<N, $d, $s, ALL>(
                        mp, pieces, values, held, next, first, s,
                    ),
                    BOOLS => super::$isa::linear_plain::<N, $d, $s, BOOLS>(
                        mp, pieces, values, held, next, first, s,
                    ),
                    _ => super::$isa::linear_plain::<N, $d, $s, BITS>(
                        mp, pieces, values, held, next, first, s,
                    ),
                }
            };
        }
        macro_rules! go {
            ($d:literal, $s:literal) => {
                // SAFETY: a wide kernel runs only where `Isa::detect`
                // found its instruction set on this CPU: AVX-512 (F, DQ,
                // VL) for `wide::AVX512`, AVX2 for `wide::AVX2`.
                unsafe {
                    if W == wide::AVX512 {
                        kinds!(avx512, $d, $s)
                    } else {
                        kinds!(avx2, $d, $s)
                    }
                }
            };
        }
        match (direct, mp.lo < 0.0) {
            (true, false) => go!(true, false),
            (true, true) => go!(true, true),
            (false, false) => go!(false, false),
            (false, true) => go!(false, true),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (direct, held, next);
        if first {
            super::curves::clear(mp.dim & 3, values.len(), s);
        }
        super::curves::linear_plain::<N>(mp, pieces, values, s)
    }
}
