//! Exact fixed-point numbers: scores in points and shares such as coverage.
//!
//! Every number the engine computes is an integer count of millionths
//! (10⁻⁶). A score of `62.5` is held as `62_500_000` micro-points, so
//! comparing a score with a band threshold is an integer comparison that
//! gives the same answer on every machine.

use rust_decimal::Decimal;
use std::fmt;

/// Millionths per unit: the precision of every score, share and value.
pub(crate) const MICRO: i64 = 1_000_000;

/// The largest magnitude a metric value, weight or threshold may have (10¹²).
pub(crate) const MAX_MAGNITUDE: i64 = 1_000_000_000_000;

/// A score in points, from 0 to 100, exact to the millionth of a point.
///
/// Scores are rounded to six decimal places, ties rounding up (away from
/// zero), at each level: metric, dimension, overall. Each level is computed
/// from the rounded values of the level below, so every reported number can
/// be reproduced by hand from the reported numbers beneath it.
///
/// # Examples
///
/// ```
/// use healthscore::Points;
/// use rust_decimal::Decimal;
///
/// let p = Points::from_decimal(Decimal::new(625, 1))?; // 62.5
/// assert_eq!(p.micros(), 62_500_000);
/// assert_eq!(p.to_string(), "62.5");
/// assert_eq!(format!("{p:.0}"), "63"); // ties round up
/// assert!(Points::from_decimal(Decimal::new(1001, 1)).is_err()); // 100.1
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(pub(crate) u32);

/// A share between 0 and 1 (coverage, weight shares), exact to 10⁻⁶.
///
/// # Examples
///
/// ```
/// use healthscore::Share;
///
/// let s = Share::from_micros(925_000).unwrap();
/// assert_eq!(s.to_string(), "0.925");
/// assert_eq!(s.percent().to_string(), "92.5");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share(u32);

/// Why a number could not be represented exactly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// More than six decimal places.
    #[error("{0} has more than 6 decimal places")]
    TooPrecise(Decimal),
    /// Outside the representable magnitude (±10¹²) or the type's range.
    #[error("{0} is outside the range {1}")]
    OutOfRange(String, &'static str),
    /// NaN or an infinity.
    #[error("{0} is not a finite number")]
    NotFinite(String),
}

const HUNDRED: u32 = 100_000_000;

impl Points {
    /// Zero points.
    pub const ZERO: Points = Points(0);
    /// One hundred points, the best score.
    pub const MAX: Points = Points(HUNDRED);

    /// Points from millionths of a point; `None` above 100 points.
    pub const fn from_micros(micros: u32) -> Option<Points> {
        if micros <= HUNDRED {
            Some(Points(micros))
        } else {
            None
        }
    }

    /// Exact conversion from a decimal.
    ///
    /// # Errors
    ///
    /// [`NumberError::TooPrecise`] beyond six decimal places,
    /// [`NumberError::OutOfRange`] outside 0..=100.
    pub fn from_decimal(d: Decimal) -> Result<Points, NumberError> {
        let m = decimal_to_micros(d)?;
        u32::try_from(m)
            .ok()
            .and_then(Points::from_micros)
            .ok_or_else(|| NumberError::OutOfRange(d.to_string(), "0..=100"))
    }

    /// The score rounded *down* to one decimal, for headlines: 59.97 shows
    /// as `59.9`, never as a `60.0` it did not reach.
    pub(crate) fn tenths_down(self) -> String {
        let tenths = self.0 / 100_000;
        format!("{}.{}", tenths / 10, tenths % 10)
    }

    /// Millionths of a point.
    pub const fn micros(self) -> u32 {
        self.0
    }

    /// The exact decimal value, without trailing zeros.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 6).normalize()
    }

    /// The nearest `f64` (for charts and JSON; its shortest printed form is
    /// the exact decimal, since scores have at most nine significant digits).
    pub fn to_f64(self) -> f64 {
        f64::from(self.0) / MICRO as f64
    }
}

impl Share {
    /// Nothing.
    pub const ZERO: Share = Share(0);
    /// The whole.
    pub const ONE: Share = Share(MICRO as u32);

    /// A share from millionths; `None` above one.
    pub const fn from_micros(micros: u32) -> Option<Share> {
        if micros <= MICRO as u32 {
            Some(Share(micros))
        } else {
            None
        }
    }

    /// Exact conversion from a decimal.
    ///
    /// # Errors
    ///
    /// [`NumberError::TooPrecise`] beyond six decimal places,
    /// [`NumberError::OutOfRange`] outside 0..=1.
    pub fn from_decimal(d: Decimal) -> Result<Share, NumberError> {
        let m = decimal_to_micros(d)?;
        u32::try_from(m)
            .ok()
            .and_then(Share::from_micros)
            .ok_or_else(|| NumberError::OutOfRange(d.to_string(), "0..=1"))
    }

    /// Millionths.
    pub const fn micros(self) -> u32 {
        self.0
    }

    /// The exact decimal value, without trailing zeros.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 6).normalize()
    }

    /// The share as a percentage (exact: 0.925 is 92.5).
    pub fn percent(self) -> Decimal {
        Decimal::new(i64::from(self.0), 4).normalize()
    }

    /// The nearest `f64`.
    pub fn to_f64(self) -> f64 {
        f64::from(self.0) / MICRO as f64
    }
}

/// Writes `micros / 10⁶`; with a precision, rounds ties up (away from zero).
fn write_micros(f: &mut fmt::Formatter<'_>, micros: u64) -> fmt::Result {
    let digits = f.precision().map_or(6, |p| p.min(6));
    let step = 10u64.pow(6 - digits as u32);
    let rounded = (micros + step / 2) / step * step;
    let int = rounded / MICRO as u64;
    let frac = rounded % MICRO as u64;
    let text = if f.precision().is_some() {
        if digits == 0 {
            int.to_string()
        } else {
            let frac = format!("{frac:06}");
            format!("{int}.{}", frac.get(..digits).unwrap_or(""))
        }
    } else if frac == 0 {
        int.to_string()
    } else {
        let frac = format!("{frac:06}");
        format!("{int}.{}", frac.trim_end_matches('0'))
    };
    f.pad_integral(true, "", &text)
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_micros(f, u64::from(self.0))
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_micros(f, u64::from(self.0))
    }
}

impl serde::Serialize for Points {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

impl<'de> serde::Deserialize<'de> for Points {
    /// From a number or decimal string, exact to six places, within 0..=100.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = <Decimal as serde::Deserialize>::deserialize(d)?;
        Points::from_decimal(value).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

impl<'de> serde::Deserialize<'de> for Share {
    /// From a number or decimal string, exact to six places, within 0..=1.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = <Decimal as serde::Deserialize>::deserialize(d)?;
        Share::from_decimal(value).map_err(serde::de::Error::custom)
    }
}

/// A decimal as an exact count of millionths, within ±10¹².
pub(crate) fn decimal_to_micros(d: Decimal) -> Result<i64, NumberError> {
    let d = d.normalize();
    if d.scale() > 6 {
        return Err(NumberError::TooPrecise(d));
    }
    let limit = Decimal::from(MAX_MAGNITUDE);
    if d.abs() > limit {
        return Err(NumberError::OutOfRange(d.to_string(), "±10^12"));
    }
    // |mantissa| ≤ 10¹⁸ after scaling: it fits an i64.
    i64::try_from(d.mantissa() * 10i128.pow(6 - d.scale()))
        .map_err(|_| NumberError::OutOfRange(d.to_string(), "±10^12"))
}

/// A float as an error message shows it ([`crate::Shown`]).
pub(crate) fn shown(x: f64) -> String {
    crate::Shown(x).to_string()
}

/// A float rounded to the nearest millionth (ties away from zero).
#[inline]
pub(crate) fn f64_to_micros(x: f64) -> Result<i64, NumberError> {
    if !x.is_finite() {
        return Err(NumberError::NotFinite(x.to_string()));
    }
    if x.abs() > MAX_MAGNITUDE as f64 {
        return Err(NumberError::OutOfRange(shown(x), "±10^12"));
    }
    // |x| ≤ 10¹² so |x·10⁶| ≤ 10¹⁸ < 2⁶³: the cast cannot saturate.
    Ok(round_half_away(x * MICRO as f64))
}

/// `y.round() as i64` (ties away from zero) for |y| ≤ 10¹⁸, without a call
/// to libm's `round` (binding runs this once per observation). The cast
/// truncates; below 2⁵³ the fractional part `y − t` is exact, and from 2⁵²
/// up `y` is already whole, so the result is exactly `f64::round`'s.
#[inline]
fn round_half_away(y: f64) -> i64 {
    let t = y as i64;
    let frac = y - t as f64;
    t + i64::from(frac >= 0.5) - i64::from(frac <= -0.5)
}

/// `round(a · b / d)` with ties up, exact for any operands (`d > 0`).
#[inline]
pub(crate) fn mul_div_round(a: u64, b: u64, d: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    div_round(p, u128::from(d)) as u64
}

/// The greatest common divisor (`gcd(0, b) = b`): weights and slopes are
/// divided by theirs, which changes no ratio and keeps products small.
pub(crate) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `round(n / d)` with ties up; a zero divisor is treated as 1. Uses a
/// 64-bit division when the operands fit.
#[inline]
pub(crate) fn div_round(n: u128, d: u128) -> u128 {
    let d = d.max(1);
    let n = n + d / 2;
    match (u64::try_from(n), u64::try_from(d)) {
        (Ok(n64), Ok(d64)) => u128::from(n64 / d64),
        _ => n / d,
    }
}

/// Division by a divisor fixed at compile time, without a division
/// instruction: one multiply by a precomputed reciprocal estimates the
/// quotient, which is then exact after one comparison. Used on the scoring
/// hot path, where a data-dependent branch or a hardware division per
/// metric would cost more than the arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Divisor {
    d: u64,
    /// ⌊(2⁶⁴ − 1) / d⌋.
    m: u64,
}

impl Divisor {
    /// Dividends must stay below this (and `d` below 2⁶²).
    pub(crate) const LIMIT: u64 = 1 << 63;

    pub(crate) fn new(d: u64) -> Option<Divisor> {
        (d > 0 && d < 1 << 62).then(|| Divisor { d, m: u64::MAX / d })
    }

    /// The divisor.
    pub(crate) fn value(self) -> u64 {
        self.d
    }

    /// `⌊n / d⌋` for `n < 2⁶³`.
    ///
    /// With `m = ⌊(2⁶⁴−1)/d⌋`, the estimate `q = ⌊n·m / 2⁶⁴⌋` satisfies
    /// `n/d − 2n/2⁶⁴ < q ≤ n/d`, so for `n < 2⁶³` it is the floor or one
    /// below it; `(q+1)·d ≤ n` tells which, and cannot overflow because
    /// `(q+1)·d ≤ n + d < 2⁶⁴`.
    #[inline]
    pub(crate) fn floor(self, n: u64) -> u64 {
        let q = ((u128::from(n) * u128::from(self.m)) >> 64) as u64;
        q + u64::from((q + 1) * self.d <= n)
    }

    /// `round(n / d)`, ties up, for `n + d/2 < 2⁶³`.
    #[inline]
    pub(crate) fn round(self, n: u64) -> u64 {
        self.floor(n + self.d / 2)
    }
}

#[cfg(test)]
mod rounding_tests {
    use super::round_half_away;

    #[test]
    fn round_half_away_is_f64_round() {
        let mut cases = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            4503599627370497.0,
            9007199254740993.0,
            1e18,
            -1e18,
            123456.4999999,
            7.0000005e5,
        ];
        // A deterministic spread of magnitudes and fractions.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = (x >> 11) as f64 / (1u64 << 53) as f64;
            let scale = 10f64.powi((x % 19) as i32);
            let sign = if x & 1 == 0 { 1.0 } else { -1.0 };
            cases.push(sign * mantissa * scale);
            cases.push(sign * ((x % 1_000_000) as f64 + 0.5));
        }
        for y in cases {
            assert_eq!(round_half_away(y), y.round() as i64, "{y:e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversion_is_exact_or_refused() {
        assert_eq!(decimal_to_micros(Decimal::new(3, 1)), Ok(300_000));
        assert_eq!(decimal_to_micros(Decimal::new(-15, 0)), Ok(-15_000_000));
        assert_eq!(decimal_to_micros(Decimal::new(1_000_000, 12)), Ok(1)); // 0.000001000000
        assert!(matches!(
            decimal_to_micros(Decimal::new(1, 7)),
            Err(NumberError::TooPrecise(_))
        ));
        assert!(matches!(
            decimal_to_micros(Decimal::from(MAX_MAGNITUDE) + Decimal::ONE),
            Err(NumberError::OutOfRange(..))
        ));
    }

    #[test]
    fn float_conversion_rounds_to_micros() {
        assert_eq!(f64_to_micros(0.22), Ok(220_000));
        assert_eq!(f64_to_micros(0.1 + 0.2), Ok(300_000));
        assert_eq!(f64_to_micros(-0.0000005), Ok(-1)); // ties away from zero
        assert!(matches!(
            f64_to_micros(f64::NAN),
            Err(NumberError::NotFinite(_))
        ));
        assert!(matches!(
            f64_to_micros(f64::INFINITY),
            Err(NumberError::NotFinite(_))
        ));
        assert!(matches!(
            f64_to_micros(2e12),
            Err(NumberError::OutOfRange(..))
        ));
        // Huge values are named in scientific notation, others in full.
        let said = |x: f64| f64_to_micros(x).map_err(|e| e.to_string());
        assert_eq!(
            said(-1e300),
            Err("-1e300 is outside the range ±10^12".to_string())
        );
        assert_eq!(
            said(1.5e15),
            Err("1.5e15 is outside the range ±10^12".to_string())
        );
        assert_eq!(
            said(2.5e13),
            Err("25000000000000 is outside the range ±10^12".to_string())
        );
    }

    #[test]
    fn rounding_division_ties_up() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(4, 3), 1);
        assert_eq!(div_round(5, 3), 2);
        assert_eq!(div_round(u128::from(u64::MAX) * 4, 4), u128::from(u64::MAX));
        assert_eq!(div_round(7, 0), 7, "a zero divisor is treated as 1");
        assert_eq!(mul_div_round(u64::MAX, 3, 3), u64::MAX);
    }

    #[test]
    fn division_rounds_like_the_reference() {
        // Against the plain formula, across magnitudes and at the edges of
        // the 64-bit fast path.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = u128::from(x >> (x % 40)) % (1 << 53);
            let d = u128::from((x >> 11) % (1 << (x % 53)) + 1);
            assert_eq!(div_round(n, d), (n + d / 2) / d, "{n} / {d}");
        }
        let edge = u128::from(u64::MAX) - 1;
        for d in [1, 2, 3, 7, edge, edge - 1, 1 << 63] {
            for n in [0, 1, edge - d / 2, edge / 2, d - 1, d] {
                assert_eq!(div_round(n, d), (n + d / 2) / d, "{n} / {d}");
            }
        }
    }

    #[test]
    fn divisor_is_exact() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..300_000 {
            let (a, b) = (next(), next());
            let d = (a >> (a % 63)) % ((1 << 62) - 1) + 1;
            let n = (b >> (b % 64)) % Divisor::LIMIT;
            let div = Divisor::new(d).unwrap();
            assert_eq!(div.floor(n), n / d, "{n} / {d}");
        }
        for d in [1, 2, 3, 7, 10, 1_000_000, (1 << 62) - 1] {
            let div = Divisor::new(d).unwrap();
            for n in [
                0,
                1,
                d - 1,
                d,
                d + 1,
                Divisor::LIMIT - 1,
                Divisor::LIMIT - d,
            ] {
                assert_eq!(div.floor(n), n / d, "{n} / {d}");
            }
            assert_eq!(div.round(d / 2), (d / 2 + d / 2) / d);
        }
        assert_eq!(Divisor::new(4).unwrap().round(2), 1, "ties up");
        assert_eq!(Divisor::new(0), None);
        assert_eq!(Divisor::new(1 << 62), None);
    }

    #[test]
    fn display_is_exact_and_precision_rounds_up() {
        let p = Points::from_micros(62_450_000).unwrap();
        assert_eq!(p.to_string(), "62.45");
        assert_eq!(format!("{p:.1}"), "62.5");
        assert_eq!(format!("{p:.3}"), "62.450");
        assert_eq!(format!("{:>6}", Points::MAX), "   100");
        assert_eq!(Points::MAX.to_decimal(), Decimal::from(100));
        assert_eq!(Points::from_micros(100_000_001), None);
        assert_eq!(Share::from_micros(1_000_001), None);
        assert_eq!(Share::ONE.percent(), Decimal::from(100));
    }

    #[test]
    fn decimal_round_trip() {
        let p = Points::from_decimal(Decimal::new(60, 0)).unwrap();
        assert_eq!(p.micros(), 60_000_000);
        assert_eq!(p.to_f64(), 60.0);
        assert!(Points::from_decimal(Decimal::new(-1, 0)).is_err());
        assert_eq!(
            Share::from_decimal(Decimal::new(5, 1)).unwrap().micros(),
            500_000
        );
        assert!(Share::from_decimal(Decimal::new(11, 1)).is_err());
    }
}
