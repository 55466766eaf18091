//! `Decimal128` columns where the conventions want numbers and counts.
//!
//! Warehouses export numbers as decimals: Snowflake's `NUMBER` (even
//! `NUMBER(38, 0)` for a count) and BigQuery's `NUMERIC` reach Parquet as
//! `DECIMAL`, and Arrow as `Decimal128(p, s)`. A metric column of decimals
//! is read as the `f64` nearest its exact value (what the row API reads
//! from the same number written in JSON), an `employees` column as whole
//! counts (`80.5` is its row's problem, as `80.5` as a float is).

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::Array;

/// Powers of ten that `f64` holds exactly: 10⁰ … 10²².
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value `m · 10^(−scale)` as the nearest `f64` (ties to even), as
/// parsing its decimal text gives it.
///
/// Where `|m| ≤ 2⁵³` and `|scale| ≤ 22`, both `m` and the power of ten are
/// exact `f64`s, and one IEEE division (or multiplication) rounds their
/// exact quotient once: the nearest `f64`. Otherwise the decimal's text is
/// parsed (correctly rounded by the standard library).
pub(crate) fn to_f64(m: i128, scale: i8) -> f64 {
    let power = EXACT_POWERS.get(usize::from(scale.unsigned_abs()));
    match power {
        Some(p) if m.unsigned_abs() <= 1 << 53 => {
            let x = m as f64;
            if scale >= 0 {
                x / p
            } else {
                x * p
            }
        }
        _ => format!("{m}e{}", -i32::from(scale))
            .parse()
            .unwrap_or(f64::NAN),
    }
}

/// The value `m · 10^(−scale)` as a count, when it is a whole number from
/// 0 to `u32::MAX`.
pub(crate) fn to_count(m: i128, scale: i8) -> Option<u32> {
    let power = 10i128.checked_pow(u32::from(scale.unsigned_abs()));
    let whole = if scale >= 0 {
        let p = power?;
        (m % p == 0).then_some(m / p)?
    } else {
        // A power past i128 leaves only 0 a count.
        match power {
            Some(p) => m.checked_mul(p)?,
            None if m == 0 => 0,
            None => return None,
        }
    };
    u32::try_from(whole).ok()
}

/// A `Decimal128` column's values as `f64` (nulls as 0: their validity
/// says they are missing).
pub(crate) fn column_f64(array: &dyn Array) -> Vec<f64> {
    let a = array.as_primitive::<Decimal128Type>();
    let scale = a.scale();
    a.values().iter().map(|m| to_f64(*m, scale)).collect()
}

/// A `Decimal128` column's values as counts; a value that is not one
/// reads as 0 and its row is added to `problems` with the value as the
/// column writes it (`employees: 80.5 is not a count from 0 to …`).
pub(crate) fn column_counts(
    name: &str,
    array: &dyn Array,
    problems: &mut Vec<(usize, String)>,
) -> Vec<u32> {
    let a = array.as_primitive::<Decimal128Type>();
    let scale = a.scale();
    a.values()
        .iter()
        .enumerate()
        .map(|(row, m)| match to_count(*m, scale) {
            Some(v) => v,
            None if a.is_null(row) => 0,
            None => {
                let shown = a.value_as_string(row);
                problems.push((
                    row,
                    format!("{name}: {shown} is not {}", crate::convert::COUNT),
                ));
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Decimal128Array;

    /// Every decimal reads as the `f64` its text parses to: the exact
    /// path against the standard library's parsing, over mantissas and
    /// scales around the path's limits.
    #[test]
    fn decimals_read_as_their_text_parses() {
        let mut next = crate::rng::xorshift(0x2545_f491_4f6c_dd1d);
        let edges = [
            0i128,
            1,
            5,
            15,
            123_456_789,
            (1 << 53) - 1,
            1 << 53,
            (1 << 53) + 1,
            i128::from(i64::MAX),
            i128::MAX,
            i128::MIN,
        ];
        for scale in (-30i8..=40).chain([i8::MIN, i8::MAX]) {
            let randoms = (0..200).map(|_| i128::from(next() as i64 >> (next() % 64)));
            for m in edges
                .iter()
                .flat_map(|e| [Some(*e), e.checked_neg()])
                .flatten()
                .chain(randoms)
            {
                let want: f64 = format!("{m}e{}", -i32::from(scale)).parse().unwrap();
                let got = to_f64(m, scale);
                assert!(
                    got.to_bits() == want.to_bits(),
                    "{m}e{}: {got:e}, expected {want:e}",
                    -i32::from(scale)
                );
            }
        }
        // Half-millionth ties read as the JSON path reads them.
        assert_eq!(to_f64(5, 7), "0.0000005".parse::<f64>().unwrap());
        assert_eq!(to_f64(17_000, 4), 1.7);
    }

    #[test]
    fn counts_are_whole_and_in_range() {
        assert_eq!(to_count(80, 0), Some(80));
        assert_eq!(to_count(8_000, 2), Some(80));
        assert_eq!(to_count(8_050, 2), None);
        assert_eq!(to_count(-1, 0), None);
        assert_eq!(to_count(0, -100), Some(0));
        assert_eq!(to_count(4_294_967_295, 0), Some(u32::MAX));
        assert_eq!(to_count(4_294_967_296, 0), None);
        assert_eq!(to_count(4, 9), None);
        assert_eq!(to_count(8, -1), Some(80));
        assert_eq!(to_count(1, -10), None);
        assert_eq!(to_count(i128::MAX, -1), None);
        assert_eq!(to_count(i128::MIN, 0), None);
        assert_eq!(to_count(10, 40), None); // 10^40 is past i128
    }

    #[test]
    fn a_column_of_counts_names_its_bad_values() {
        let a = Decimal128Array::from(vec![Some(800), Some(805), None, Some(-10)])
            .with_precision_and_scale(10, 1)
            .unwrap();
        let mut problems = Vec::new();
        assert_eq!(column_counts("employees", &a, &mut problems), [80, 0, 0, 0]);
        assert_eq!(
            problems,
            [
                (
                    1,
                    "employees: 80.5 is not a count from 0 to 4294967295".to_string()
                ),
                (
                    3,
                    "employees: -1.0 is not a count from 0 to 4294967295".to_string()
                ),
            ]
        );
    }
}
