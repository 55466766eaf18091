//! The columnar kernel: a chunk of rows at a time, one metric column at a
//! time, in exact integers held by `f64` (see [`plan`](super::plan)).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod curves;
mod finish;
mod plain;
mod prepare;
mod segments;

use curves::metric;
use finish::{finish, finish_out};
use segments::segments_fast;

use super::columns::{Dates, MetricColumn, Validity};
use super::input::Batch;
use super::output::Out;
use super::plan::{MetricPlan, Piece, Plan, Shape, MAX_CARDS};
use super::rows::{locate, Bound};
use crate::band::Band;
use crate::model::Model;
use crate::points::Points;

/// Rows per chunk: the accumulators of a chunk stay in the L1 cache.
pub(crate) const CHUNK: usize = 256;

/// `1.5·2⁵²`: adding and subtracting it rounds an `f64` of magnitude
/// below 2⁵¹ to an integer, ties to even.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `⌊a / b⌋` for integers `0 ≤ a < 2⁵¹`, `0 < b < 2⁵¹` held by `f64`.
#[inline(always)]
fn floor_div(a: f64, b: f64) -> f64 {
    let q = a / b;
    let r = (q + ROUND) - ROUND;
    r - if r > q { 1.0 } else { 0.0 }
}

/// `⌊a / c⌋` for integers `0 ≤ a < 2⁵¹`, `0 < c < 2⁵¹` held by `f64`
/// whose quotient is below 2²⁸, with `inv = fl(1/c)`: a multiply instead
/// of a division. `a·inv` is within `2⁻²³` of `a/c`, so its nearest
/// integer `q` is the floor or one above it; `a − q·c` (exact: both terms
/// are integers below 2⁵²) is negative exactly in the second case.
#[inline(always)]
fn floor_mul(a: f64, c: f64, inv: f64) -> f64 {
    let q = (a * inv + ROUND) - ROUND;
    let r = a - q * c;
    q - if r < 0.0 { 1.0 } else { 0.0 }
}

/// The row API's `round_half_away` for `|v| < 2⁵¹`.
#[inline(always)]
fn round_half_away(v: f64) -> f64 {
    let r = (v + ROUND) - ROUND;
    let d = v - r;
    // A tie rounded to even toward zero moves one step away from zero:
    // up when d = ½ and v > 0, down when d = −½ and v < 0 (`&`, not
    // `&&`: no branch, so the loop vectorises).
    let up = (d == 0.5) & (v > 0.0);
    let down = (d == -0.5) & (v < 0.0);
    r + if up { 1.0 } else { 0.0 } - if down { 1.0 } else { 0.0 }
}

/// The instruction sets the kernel is compiled for: the crate's build
/// target, and where the running CPU has them, AVX2 (4 lanes of `f64`)
/// or AVX-512 (8 lanes, masked selects), chosen at run time. The
/// compiler's own vectorisation declines the curve pass for AVX2 (its
/// cost model), so the AVX2 kernel's curve loop is written out with
/// intrinsics ([`avx2`]), as the AVX-512 kernel's hot loops are
/// ([`avx512`]). The arithmetic is the same IEEE `f64` on every path (no
/// fused multiply-add is formed: Rust does not contract `a*b + c`, and
/// the kernels are not compiled for FMA), so the results are identical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    Baseline,
    Avx2,
    Avx512,
}

/// [`Isa`] as the kernel's const parameter: which loops it inlines and
/// which written-out loops it calls.
pub(crate) mod wide {
    /// The build target's kernel (no wide loops; calls, not inlining).
    pub(crate) const NONE: u8 = 0;
    /// The AVX2 kernel.
    pub(crate) const AVX2: u8 = 1;
    /// The AVX-512 kernel.
    pub(crate) const AVX512: u8 = 2;
}

impl Isa {
    /// The widest the running CPU has.
    pub(crate) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("avx2") {
                return Isa::Avx512;
            }
            if has!("avx2") && has!("sse4.1") && has!("sse4.2") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }

    /// AVX2 where the running CPU has it (even if it has AVX-512), else
    /// the build target's.
    pub(crate) fn avx2() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("sse4.1") && has!("sse4.2") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }
}

/// Scores rows `r0 .. r0 + n` (`n ≤ CHUNK`) into `out` (whose row 0 is
/// `r0`), with the kernel compiled for `isa`.
#[allow(clippy::too_many_arguments)]
#[allow(unsafe_code)] // calls the kernel compiled for features checked at run time
pub(crate) fn chunk(
    isa: Isa,
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY: `Isa::detect` found these features on this CPU.
        Isa::Avx512 => return unsafe { chunk_avx512(model, plan, batch, bound, r0, n, s, out) },
        // SAFETY: as above.
        Isa::Avx2 => return unsafe { chunk_avx2(model, plan, batch, bound, r0, n, s, out) },
        Isa::Baseline => {}
    }
    let _ = isa;
    chunk_impl::<{ wide::NONE }>(model, plan, batch, bound, r0, n, s, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,avx,sse4.1,sse4.2")]
#[allow(clippy::too_many_arguments)]
fn chunk_avx512(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    chunk_impl::<{ wide::AVX512 }>(model, plan, batch, bound, r0, n, s, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx,sse4.1,sse4.2")]
#[allow(clippy::too_many_arguments)]
fn chunk_avx2(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    chunk_impl::<{ wide::AVX2 }>(model, plan, batch, bound, r0, n, s, out)
}

/// The first `n` entries of `column` (all of it if shorter): a chunk's
/// rows of an output column, for the written-out finishing steps.
#[cfg(target_arch = "x86_64")]
fn head(column: &mut [u32], n: usize) -> &mut [u32] {
    let len = n.min(column.len());
    column.split_at_mut(len).0
}

/// Per-chunk working memory (one per thread).
pub(crate) struct Scratch {
    card: [u32; CHUNK],
    bad: [bool; CHUNK],
    /// Row's as-of day (chrono's day number).
    as_of: [i64; CHUNK],
    /// 1 where the metric's column holds a value, else 0.
    valid: [f64; CHUNK],
    /// 1 where it holds a value fresh enough to score, else 0.
    live: [f64; CHUNK],
    weight: [f64; CHUNK],
    /// 1 where the row's scorecard scores the metric, else 0.
    member: [f64; CHUNK],
    stale: [u16; CHUNK],
    sum: [[f64; CHUNK]; 4],
    wsum: [[f64; CHUNK]; 4],
    data: [[f64; CHUNK]; 4],
    worst: [[f64; CHUNK]; 4],
    /// Results before they are written out (−1: none).
    dim_out: [[f64; CHUNK]; 4],
    cov_out: [[f64; CHUNK]; 4],
    overall_out: [f64; CHUNK],
    coverage_out: [f64; CHUNK],
    level_out: [f64; CHUNK],
    /// Each row's band level as a byte (0 green … 3 red, 255 none).
    level: [u8; CHUNK],
    measured: [f64; CHUNK],
    /// Each row's scorecard fields.
    g_w: [[f64; CHUNK]; 4],
    g_total: [[f64; CHUNK]; 4],
    g_worst: [[f64; CHUNK]; 4],
    g_wt: [f64; CHUNK],
    g_inv_total: [[f64; CHUNK]; 4],
    g_inv_wt: [f64; CHUNK],
    g_green: [f64; CHUNK],
    g_lime: [f64; CHUNK],
    g_yellow: [f64; CHUNK],
    g_min: [f64; CHUNK],
}

thread_local! {

    /// The thread's scratch from its last range, kept for the next: a
    /// caller scoring many small batches (the Arrow path scores a block
    /// of 16,384 rows a call) would otherwise allocate and zero about
    /// 112 KB a call.
    static SPARE: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

impl Scratch {
    /// This thread's spare scratch, or a new one. Every field a chunk
    /// reads, the chunk writes first, so what an earlier chunk left does
    /// not matter.
    pub(crate) fn take() -> Box<Scratch> {
        SPARE.with(|s| s.take()).unwrap_or_else(Scratch::new)
    }

    /// Keeps `scratch` as this thread's spare.
    pub(crate) fn give_back(scratch: Box<Scratch>) {
        SPARE.with(|s| s.set(Some(scratch)));
    }

    /// A new scratch, every page of it written. The allocator may hand
    /// out zeroed memory no one has touched (fresh pages from the system);
    /// a masked vector load whose lanes on such a page are all masked off
    /// does not fault the page in, and took a microcode assist on every
    /// load on an AVX-512 AMD EPYC VM (see `avx512::finish`). Writing the
    /// whole scratch once, through a reference the compiler cannot see
    /// through (so it cannot drop the writes as storing zeros into zeroed
    /// memory), maps every page.
    pub(crate) fn new() -> Box<Scratch> {
        let mut s = Box::new(Scratch::zeroed());
        *std::hint::black_box(&mut *s) = Scratch::zeroed();
        s
    }

    fn zeroed() -> Scratch {
        Scratch {
            card: [0; CHUNK],
            bad: [false; CHUNK],
            as_of: [0; CHUNK],
            valid: [0.0; CHUNK],
            live: [0.0; CHUNK],
            weight: [0.0; CHUNK],
            member: [0.0; CHUNK],
            stale: [0; CHUNK],
            sum: [[0.0; CHUNK]; 4],
            wsum: [[0.0; CHUNK]; 4],
            data: [[0.0; CHUNK]; 4],
            worst: [[0.0; CHUNK]; 4],
            dim_out: [[0.0; CHUNK]; 4],
            cov_out: [[0.0; CHUNK]; 4],
            overall_out: [0.0; CHUNK],
            coverage_out: [0.0; CHUNK],
            level_out: [0.0; CHUNK],
            level: [0; CHUNK],
            measured: [0.0; CHUNK],
            g_w: [[0.0; CHUNK]; 4],
            g_total: [[0.0; CHUNK]; 4],
            g_worst: [[0.0; CHUNK]; 4],
            g_wt: [0.0; CHUNK],
            g_inv_total: [[0.0; CHUNK]; 4],
            g_inv_wt: [0.0; CHUNK],
            g_green: [0.0; CHUNK],
            g_lime: [0.0; CHUNK],
            g_yellow: [0.0; CHUNK],
            g_min: [0.0; CHUNK],
        }
    }
}

/// Scores rows `r0 .. r0 + n` (`n ≤ CHUNK`) into `out` (whose row 0 is
/// `r0`); rows that fail a check are marked in `out.rejected`.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::needless_range_loop)] // one index drives several arrays
#[inline(always)]
fn chunk_impl<const W: u8>(
    model: &Model,
    plan: &Plan,
    batch: &Batch<'_>,
    bound: &Bound<'_>,
    r0: usize,
    n: usize,
    s: &mut Scratch,
    out: &mut Out<'_>,
) {
    let n = n.min(CHUNK);
    let one_day = match batch.as_of {
        Dates::One(_) => batch.as_of.ce_day(0),
        Dates::Days(_) => None,
    };
    if !segments_fast(model, batch, bound, r0, n, s, out) {
        for r in 0..n {
            match locate(model, batch, bound, r0 + r) {
                Some((seg, card)) => {
                    s.card[r] = card;
                    s.bad[r] = false;
                    out.set_segment(r, seg, card);
                }
                None => {
                    s.card[r] = 0;
                    s.bad[r] = true;
                }
            }
        }
    }
    // Named dates and events: days past the documented years reject.
    if !batch.dates.is_empty() || !batch.events.is_empty() {
        for r in 0..n {
            s.bad[r] |= !super::rows::dates_ok(batch, bound, r0 + r);
        }
    }
    // Each row's as-of day: one fill, or one pass over the chunk's days
    // (a loop per row that asked which case it was in ran scalar, 2% of
    // the AVX2 kernel's time).
    let as_of = s.as_of.iter_mut().take(n);
    let days = match batch.as_of {
        Dates::Days(days) => days.get(r0..r0 + n),
        Dates::One(_) => None,
    };
    match (one_day, days) {
        (Some(day), _) => as_of.for_each(|a| *a = day),
        (None, Some(days)) => {
            let epoch = i64::from(crate::batch::columns::UNIX_EPOCH_CE);
            for (a, d) in as_of.zip(days) {
                *a = i64::from(*d) + epoch;
            }
        }
        (None, None) => {
            for (r, a) in as_of.enumerate() {
                *a = batch.as_of.ce_day(r0 + r).unwrap_or(i64::MAX);
            }
        }
    }
    s.stale.iter_mut().take(n).for_each(|x| *x = 0);
    // The data weight and worst score only where the dimension has them
    // (else nothing writes or reads them).
    for d in 0..4 {
        if plan.impute[d] {
            s.data[d][..n].fill(0.0);
        }
        if plan.worst[d] {
            s.worst[d][..n].fill(f64::INFINITY);
        }
    }
    // The first metric of each dimension sets its sums, the others add
    // to them; a dimension without a metric has sums of 0.
    let mut fresh = [true; 4];
    for (mp, column) in plan.metrics.iter().zip(&bound.metrics) {
        let d = mp.dim & 3;
        metric::<W>(mp, plan.impute[d], fresh[d], column, batch, bound, r0, n, s);
        fresh[d] = false;
    }
    for (d, fresh) in fresh.iter().enumerate() {
        if *fresh {
            curves::clear(d, n, s);
        }
    }
    if W != wide::NONE {
        finish::<W>(model, plan, batch, r0, n, s, out);
    } else {
        finish_out(model, plan, batch, r0, n, s, out);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom};

    /// Whether the page holding `addr` is in memory (bit 63 of its entry
    /// in `/proc/self/pagemap`, which any process may read for itself);
    /// `None` where the file cannot be read.
    fn present(addr: usize) -> Option<bool> {
        let mut map = std::fs::File::open("/proc/self/pagemap").ok()?;
        map.seek(SeekFrom::Start((addr / 4096 * 8) as u64)).ok()?;
        let mut entry = [0u8; 8];
        map.read_exact(&mut entry).ok()?;
        Some(u64::from_le_bytes(entry) >> 63 == 1)
    }

    /// A new scratch has every page mapped: a masked load over a page
    /// nothing wrote would take a microcode assist on every call (on an
    /// AVX-512 AMD CPU, 4-7 times slower scoring). In a release build the
    /// allocator hands a zeroed scratch fresh pages, and without the write
    /// in `Scratch::new` this fails (checked by removing it, 2026-12-03);
    /// a debug build copies the scratch in from the stack, which maps the
    /// pages anyway, so `.ci/run` runs this test in release too.
    #[test]
    fn a_new_scratch_has_every_page_mapped() {
        // Several, so that some come from fresh memory whatever the heap
        // held before.
        let held: Vec<Box<Scratch>> = (0..8).map(|_| Scratch::new()).collect();
        for s in &held {
            let start = &**s as *const Scratch as usize;
            let end = start + std::mem::size_of::<Scratch>();
            for page in (start / 4096..=(end - 1) / 4096).map(|p| p * 4096) {
                let addr = page.max(start);
                match present(addr) {
                    Some(mapped) => assert!(mapped, "page at {addr:#x} of a new scratch"),
                    None => {
                        // No pagemap (a sandbox): nothing to check, said.
                        eprintln!("/proc/self/pagemap unreadable: pages not checked");
                        return;
                    }
                }
            }
        }
    }
}
