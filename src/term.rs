//! Text for a terminal or a markdown reader: every string that came from a catalog, an
//! alert or git passes through [`escape`] (or [`markdown`]) before it is shown, so
//! hostile content cannot move the cursor, change colours, retitle the window or
//! reorder what a reader sees. Numbers get thousands separators through [`thousands`];
//! colours come from one [`Style`].

use std::borrow::Cow;

use serde_json::Number;

/// Characters that must never reach a terminal as they are: C0 and C1 controls
/// (ESC, BEL, CR, …), DEL, and the Unicode bidirectional controls that reorder text
/// ("Trojan Source").
fn unsafe_char(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character written as its Rust escape (`\n`, `\u{1b}`,
/// `\u{202e}`); borrowed when there is nothing to escape.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        if unsafe_char(ch) {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// `s` cut to at most `max` characters, the rest replaced by `…`: for messages that quote
/// something the user wrote, which may be megabytes long.
pub(crate) fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &s[..cut])),
        None => Cow::Borrowed(s),
    }
}

/// `s` as markdown text on one line: unsafe characters escaped as by [`escape`] (a
/// newline becomes a space first, so text stays on its line or in its table cell), and
/// every character markdown could read as markup backslash-escaped, so catalog or alert
/// text cannot add links, mentions, formatting or table cells.
pub(crate) fn markdown(s: &str) -> String {
    let flat = s.replace(['\n', '\r'], " ");
    let safe = escape(&flat);
    let mut out = String::with_capacity(safe.len() + 8);
    for ch in safe.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `s` as a markdown code span (`` `s` ``) that it cannot break out of: unsafe characters
/// escaped as by [`escape`], newlines as spaces, a backtick written as `'`, and `|` as
/// `\|` (GitHub reads that as `|` in a table cell, code span or not). Empty for an empty
/// `s`: an empty code span is not markdown.
pub(crate) fn markdown_code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let flat = s.replace(['\n', '\r'], " ");
    format!("`{}`", escape(&flat).replace('`', "'").replace('|', "\\|"))
}

/// How human output looks: colour on or off (off for pipes and `NO_COLOR`), and the
/// terminal's width in columns. The only place lore writes colour codes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) color: bool,
    pub(crate) width: usize,
}

impl Style {
    fn paint(&self, sgr: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Headings.
    pub(crate) fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// What needs attention first (nothing matched, ambiguous values, warnings).
    pub(crate) fn warning(&self, text: &str) -> String {
        self.paint("1;33", text)
    }

    /// Failures and removals.
    pub(crate) fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }

    /// Additions.
    pub(crate) fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Changes.
    pub(crate) fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Routing results.
    pub(crate) fn magenta(&self, text: &str) -> String {
        self.paint("35", text)
    }
}

/// `n` with its noun: `1 entry`, `2 entries`, `0 errors`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1234567` → `1,234,567`; the fraction of a float is kept as written.
pub(crate) fn thousands(n: &Number) -> String {
    let text = n.to_string();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text.as_str()),
    };
    let split = rest.find(['.', 'e', 'E']).unwrap_or(rest.len());
    let (int, tail) = rest.split_at(split);
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
        assert_eq!(escape("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
        assert_eq!(escape("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(escape("\u{9b}2J"), "\\u{9b}2J");
    }

    #[test]
    fn markdown_keeps_a_cell_on_one_line_and_markup_literal() {
        assert_eq!(markdown("a|b\nc\u{1b}"), "a\\|b c\\\\u{1b}");
        assert_eq!(
            markdown("[x](y) *b* <i> @t"),
            "\\[x\\](y) \\*b\\* \\<i\\> @t"
        );
        assert_eq!(markdown_code("a`b|c\n"), "`a'b\\|c `");
        assert_eq!(markdown_code(""), "");
    }

    #[test]
    fn colour_only_when_asked() {
        let on = Style {
            color: true,
            width: 80,
        };
        let off = Style {
            color: false,
            width: 80,
        };
        assert_eq!(on.red("x"), "\u{1b}[31mx\u{1b}[0m");
        assert_eq!(off.red("x"), "x");
        assert_eq!(off.bold("x"), "x");
    }

    #[test]
    fn clip_cuts_long_text_on_a_character() {
        assert_eq!(clip("short", 60), "short");
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip(&"ü".repeat(100), 2), "üü…");
        assert!(matches!(clip("abc", 3), Cow::Borrowed(_)));
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(0, "entry", "entries"), "0 entries");
        assert_eq!(count(2, "file", "files"), "2 files");
    }

    #[test]
    fn numbers_get_thousands_separators() {
        let n = |v: Value| match v {
            Value::Number(n) => thousands(&n),
            _ => unreachable!(),
        };
        assert_eq!(n(json!(0)), "0");
        assert_eq!(n(json!(999)), "999");
        assert_eq!(n(json!(1000)), "1,000");
        assert_eq!(n(json!(1234567)), "1,234,567");
        assert_eq!(n(json!(-1234567)), "-1,234,567");
        assert_eq!(n(json!(12345.5)), "12,345.5");
    }
}
