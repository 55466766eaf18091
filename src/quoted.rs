//! How a message quotes a text it was given: whole when short, else its
//! start and its length, so that one huge cell (a 300 MB field of a
//! broken export, a JSON blob in the wrong column) does not make every
//! message about its row as large, in a terminal or in a results file's
//! `error` column. And how it shows a float it was given: `1e300`, not
//! three hundred digits.

use std::fmt;

/// A text as messages quote it: as Rust's `{:?}` writes it (in double
/// quotes, control characters escaped) when it has at most
/// [`WHOLE`](Quoted::WHOLE) characters; else its first
/// [`START`](Quoted::START) characters, an ellipsis inside the quotes,
/// and how many characters it has.
///
/// # Examples
///
/// ```
/// use healthscore::Quoted;
/// assert_eq!(Quoted("n/a").to_string(), r#""n/a""#);
/// assert_eq!(Quoted("a\tb").to_string(), r#""a\tb""#);
/// let huge = "9".repeat(1_000_000);
/// assert_eq!(
///     Quoted(&huge).to_string(),
///     format!("\"{}…\" (1000000 characters)", "9".repeat(40))
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quoted<'a>(pub &'a str);

impl Quoted<'_> {
    /// Texts of up to this many characters are quoted whole.
    pub const WHOLE: usize = 80;
    /// A longer text is quoted by this many of its first characters.
    pub const START: usize = 40;
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if text.char_indices().nth(Quoted::WHOLE).is_none() {
            return write!(f, "{text:?}");
        }
        let end = text
            .char_indices()
            .nth(Quoted::START)
            .map_or(text.len(), |(at, _)| at);
        let start = format!("{:?}", text.get(..end).unwrap_or(text));
        // The start's closing quote after the ellipsis.
        let open = start.strip_suffix('"').unwrap_or(&start);
        write!(f, "{open}…\" ({} characters)", text.chars().count())
    }
}

/// A float as messages show it: in full from 10⁻⁶ to below 10¹⁵ (and 0),
/// as Rust's `{}` writes it; in scientific notation beyond (`1e300`,
/// `-1.5e-9`), not as a number of hundreds of digits. NaN and the
/// infinities as Rust writes them (`NaN`, `inf`, `-inf`).
///
/// # Examples
///
/// ```
/// use healthscore::Shown;
/// assert_eq!(Shown(80.5).to_string(), "80.5");
/// assert_eq!(Shown(999_999_999_999_999.0).to_string(), "999999999999999");
/// assert_eq!(Shown(1e300).to_string(), "1e300");
/// assert_eq!(Shown(-1.5e-9).to_string(), "-1.5e-9");
/// assert_eq!(Shown(0.0).to_string(), "0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shown(pub f64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        let a = x.abs();
        if a >= 1e15 || (a < 1e-6 && a > 0.0) {
            write!(f, "{x:e}")
        } else {
            write!(f, "{x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_whole_long_ones_by_their_start_and_length() {
        let at = |n: usize| "é".repeat(n);
        assert_eq!(Quoted(&at(80)).to_string(), format!("{:?}", at(80)));
        // Characters, not bytes: 81 two-byte characters are clipped at the
        // 40th character, on a character's boundary.
        assert_eq!(
            Quoted(&at(81)).to_string(),
            format!("\"{}…\" (81 characters)", at(40))
        );
        assert_eq!(Quoted("").to_string(), "\"\"");
        // Escapes and quotes inside the start are escaped as `{:?}` does.
        let odd = format!("\"\u{1b}[2J{}", "x".repeat(100));
        assert_eq!(
            Quoted(&odd).to_string(),
            format!("\"\\\"\\u{{1b}}[2J{}…\" (105 characters)", "x".repeat(35))
        );
    }

    #[test]
    fn floats_beyond_the_readable_in_scientific_notation() {
        let cases = [
            (1e15, "1e15"),
            (-1e15, "-1e15"),
            (1e-6, "0.000001"),
            (9.9e-7, "9.9e-7"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (-0.0, "-0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-inf"),
            (12.25, "12.25"),
        ];
        for (x, want) in cases {
            assert_eq!(Shown(x).to_string(), want, "{x:?}");
        }
    }
}
