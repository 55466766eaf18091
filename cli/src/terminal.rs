//! Text from the input as it is shown on a terminal: control characters
//! escaped (an id with `\u001b[2J` in it must not clear the screen, nor a
//! `\n` split a rejection over two lines), and so are the characters
//! that reorder the text around them (an id `acct-\u{202e}1000` must not
//! show as `acct-0001`), and messages that quote a huge value clipped to
//! their start and end.

use std::borrow::Cow;

/// The longest rejection message printed whole, in characters.
const MESSAGE_CHARS: usize = 400;

/// `text` with each control character and each [bidirectional
/// control](is_bidi_control) written as its Rust escape (`\u{1b}`, `\n`,
/// `\t`, `\u{202e}`); borrowed when it has none.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    let hidden = |c: char| c.is_control() || is_bidi_control(c);
    if !text.chars().any(hidden) {
        return text.into();
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown.into()
}

/// Whether `c` is one of Unicode's bidirectional formatting characters
/// (the marks, embeddings, overrides and isolates): invisible, they
/// reorder the text after them, so an id holding one shows as another.
/// Right-to-left text itself (Arabic, Hebrew) needs none of them.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `why` as printed with a rejection: [`printable`], and whole up to
/// [`MESSAGE_CHARS`] characters, else its start and end with how much was
/// left out between them. A message can quote the input (serde_json's
/// `invalid value: string "1000…"`, an unknown metric's name, an id), and
/// one hostile value must not print a megabyte on the terminal.
pub(crate) fn clip(why: &str) -> Cow<'_, str> {
    clip_to(why, MESSAGE_CHARS)
}

/// A command's error, as printed: each line [`printable`] and whole up to
/// [`ERROR_LINE_CHARS`] characters, else clipped as [`clip`] clips (a
/// TOML parser's message quotes the whole line it failed on, a
/// configuration's the values it refuses: a file of one 200,000-character
/// line must not fill the terminal, nor one holding escape sequences
/// drive it).
pub(crate) fn clip_lines(text: &str) -> String {
    text.lines()
        .map(|line| clip_to(line, ERROR_LINE_CHARS))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Items joined by ", ", the first [`LISTED`] of them and then how many
/// more (`a, b, c and 1,990 more`): a model of 2,000 metrics none of which
/// has data must not print all their names in one warning.
pub(crate) fn listed(items: &[String]) -> String {
    match items.get(LISTED..) {
        Some(rest) if !rest.is_empty() => format!(
            "{} and {} more",
            items.get(..LISTED).unwrap_or(items).join(", "),
            rest.len()
        ),
        _ => items.join(", "),
    }
}

/// `n` and the noun for it: `1 account`, `2 accounts` (`plural` for
/// every count but one).
pub(crate) fn counted(n: u64, one: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { plural })
}

/// How many items [`listed`] names.
pub(crate) const LISTED: usize = 20;

/// The longest line of a command's error printed whole.
const ERROR_LINE_CHARS: usize = 2_000;

/// [`clip`] at `max` characters.
fn clip_to(why: &str, max: usize) -> Cow<'_, str> {
    let chars = why.chars().count();
    if chars <= max {
        return printable(why);
    }
    let (head, tail) = (max / 2, max * 2 / 5);
    let byte = |n: usize| why.char_indices().nth(n).map_or(why.len(), |(i, _)| i);
    let (start, end) = (byte(head), byte(chars - tail));
    format!(
        "{} … ({} characters left out) … {}",
        printable(why.get(..start).unwrap_or("")),
        chars - head - tail,
        printable(why.get(end..).unwrap_or(""))
    )
    .into()
}

#[cfg(test)]
mod tests {

    #[test]
    fn counted_says_one_or_many() {
        assert_eq!(counted(0, "line", "lines"), "0 lines");
        assert_eq!(counted(1, "line", "lines"), "1 line");
        assert_eq!(counted(2, "account", "accounts"), "2 accounts");
    }

    #[test]
    fn listed_names_the_first_twenty_and_counts_the_rest() {
        let names = |n: usize| (0..n).map(|i| format!("m{i}")).collect::<Vec<_>>();
        assert_eq!(listed(&[]), "");
        assert_eq!(listed(&names(2)), "m0, m1");
        assert_eq!(listed(&names(20)), names(20).join(", "));
        assert_eq!(
            listed(&names(2_000)),
            format!("{} and 1980 more", names(20).join(", "))
        );
    }
    use super::*;

    #[test]
    fn an_error_is_clipped_line_by_line() {
        let long = format!("1 | x = {}", "[".repeat(10_000));
        let text = format!("model.toml: TOML: parse error\n{long}\n  |\nbad \u{1b}[2J id");
        let shown = clip_lines(&text);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 4, "{shown}");
        assert_eq!(lines[0], "model.toml: TOML: parse error");
        assert!(lines[1].starts_with("1 | x = [[[") && lines[1].contains("characters left out"));
        assert!(lines[1].chars().count() < ERROR_LINE_CHARS + 40);
        assert_eq!(lines[2], "  |");
        assert_eq!(lines[3], "bad \\u{1b}[2J id");
        // A line up to the limit is whole.
        let whole = "y".repeat(ERROR_LINE_CHARS);
        assert_eq!(clip_lines(&whole), whole);
    }

    #[test]
    fn control_characters_are_escaped_and_plain_text_borrowed() {
        assert!(matches!(printable("acct-7 é"), Cow::Borrowed("acct-7 é")));
        assert_eq!(
            printable("evil\u{1b}[2J\nnext\t"),
            "evil\\u{1b}[2J\\nnext\\t"
        );
        assert_eq!(clip("a\u{7}b"), "a\\u{7}b");
        // Reordering characters are shown; right-to-left text is not
        // touched.
        assert_eq!(printable("acct-\u{202e}1000"), "acct-\\u{202e}1000");
        assert_eq!(
            printable("\u{2067}x\u{2069}\u{200f}\u{61c}"),
            "\\u{2067}x\\u{2069}\\u{200f}\\u{61c}"
        );
        assert!(matches!(printable("שלום مرحبا"), Cow::Borrowed(_)));
        assert!(!is_bidi_control('\u{202f}') && !is_bidi_control('\u{2065}'));
    }

    #[test]
    fn long_messages_keep_their_start_and_end() {
        let short = "x".repeat(MESSAGE_CHARS);
        assert_eq!(clip(&short), short);
        // Multi-byte characters: cut on character boundaries.
        let long = format!("start {} end", "é".repeat(1_000));
        let clipped = clip(&long);
        assert!(clipped.starts_with("start éé"), "{clipped}");
        assert!(clipped.ends_with("éé end"), "{clipped}");
        let left_out = 1_000 + "start  end".len() - MESSAGE_CHARS / 2 - MESSAGE_CHARS * 2 / 5;
        assert!(
            clipped.contains(&format!(" … ({left_out} characters left out) … ")),
            "{clipped}"
        );
        assert!(clipped.chars().count() < MESSAGE_CHARS + 40);
    }
}
