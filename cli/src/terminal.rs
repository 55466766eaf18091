//! Text from the input as it is shown on a terminal: control characters
//! escaped (an id with `\u001b[2J` in it must not clear the screen, nor a
//! `\n` split a rejection over two lines), and messages that quote a huge
//! value clipped to their start and end.

use std::borrow::Cow;

/// The longest rejection message printed whole, in characters.
const MESSAGE_CHARS: usize = 400;

/// `text` with each control character written as its Rust escape
/// (`\u{1b}`, `\n`, `\t`); borrowed when it has none.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown.into()
}

/// `why` as printed with a rejection: [`printable`], and whole up to
/// [`MESSAGE_CHARS`] characters, else its start and end with how much was
/// left out between them. A message can quote the input (serde_json's
/// `invalid value: string "1000…"`, an unknown metric's name, an id), and
/// one hostile value must not print a megabyte on the terminal.
pub(crate) fn clip(why: &str) -> Cow<'_, str> {
    let chars = why.chars().count();
    if chars <= MESSAGE_CHARS {
        return printable(why);
    }
    let (head, tail) = (MESSAGE_CHARS / 2, MESSAGE_CHARS * 2 / 5);
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
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_plain_text_borrowed() {
        assert!(matches!(printable("acct-7 é"), Cow::Borrowed("acct-7 é")));
        assert_eq!(
            printable("evil\u{1b}[2J\nnext\t"),
            "evil\\u{1b}[2J\\nnext\\t"
        );
        assert_eq!(clip("a\u{7}b"), "a\\u{7}b");
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
