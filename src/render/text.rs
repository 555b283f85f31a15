//! Small pieces shared by the human and markdown renderers of query commands: user
//! strings made safe for a terminal, values on one line, numbers with thousands
//! separators, tables sized to the terminal.

use std::borrow::Cow;

use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table};
use serde_json::{Number, Value};
use unicode_width::UnicodeWidthStr;

/// A user string with control characters escaped (`\n`, `\u{1b}`), so catalog content
/// cannot move the cursor or change colours.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|ch| {
                if ch.is_control() {
                    ch.escape_default().to_string()
                } else {
                    ch.to_string()
                }
            })
            .collect(),
    )
}

/// A JSON value on one line: strings bare, lists of scalars comma-separated, anything
/// nested as compact JSON. Control characters escaped.
pub fn one_line(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s).into_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            items.iter().map(one_line).collect::<Vec<_>>().join(", ")
        }
        other => clean(&other.to_string()).into_owned(),
    }
}

/// `1234567` → `1,234,567`; the fraction of a float is kept as written.
pub fn thousands(n: &Number) -> String {
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

/// A table for a terminal `width` columns wide (no borders but a header rule), or a
/// GitHub-flavoured markdown table.
pub fn table(width: usize, markdown: bool) -> Table {
    let mut t = Table::new();
    if markdown {
        t.load_style(presets::ASCII_MARKDOWN);
    } else {
        t.load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(u16::try_from(width.max(20)).unwrap_or(u16::MAX));
    }
    t
}

/// Rows aligned in columns, every column kept whole except the last, which wraps at
/// `break_at` to fit `width` under a hanging indent. Linear in the size of the text, for
/// answers with tens of thousands of rows (comfy-table measures every cell many times).
pub fn aligned(rows: &[Vec<String>], indent: &str, width: usize, break_at: &str) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    if columns == 0 {
        return Vec::new();
    }
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns - 1) {
            widths[i] = widths[i].max(UnicodeWidthStr::width(cell.as_str()));
        }
    }
    let hang: usize = indent.len() + widths[..columns - 1].iter().map(|w| w + 2).sum::<usize>();
    // Never squeeze the last column below 30 columns: long lines beat unreadable ones.
    let room = width.saturating_sub(hang).max(30);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut line = String::from(indent);
        for (i, cell) in row.iter().enumerate().take(columns - 1) {
            line.push_str(cell);
            let pad = widths[i] - UnicodeWidthStr::width(cell.as_str()) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
        let last = row.get(columns - 1).map_or("", String::as_str);
        let mut used = 0;
        let pieces: Vec<&str> = last.split_inclusive(break_at).collect();
        for piece in pieces {
            let w = UnicodeWidthStr::width(piece.trim_end());
            if used > 0 && used + w > room {
                out.push(line.trim_end().to_owned());
                line = " ".repeat(hang);
                used = 0;
            }
            line.push_str(piece);
            used += UnicodeWidthStr::width(piece);
        }
        out.push(line.trim_end().to_owned());
    }
    out
}

/// Keep these columns on one line (ids, numbers); the others wrap to fit the width.
pub fn keep_whole(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(col) = t.column_mut(i) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// The lines of a rendered table with trailing spaces removed.
pub fn table_lines(t: &Table) -> Vec<String> {
    t.lines().map(|l| l.trim_end().to_owned()).collect()
}

/// A markdown table cell: pipes escaped, on one line.
pub fn md_cell(s: &str) -> String {
    clean(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("plain"), "plain");
        assert_eq!(clean("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
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

    #[test]
    fn aligned_columns_wrap_only_the_last_one() {
        let rows = vec![
            vec!["a".to_owned(), "1".to_owned(), "x → y → z".to_owned()],
            vec!["long-id".to_owned(), "22".to_owned(), "short".to_owned()],
        ];
        assert_eq!(
            aligned(&rows, " ", 100, " → "),
            [" a        1   x → y → z", " long-id  22  short"]
        );
        let long = vec![vec!["id".to_owned(), "A → ".repeat(20) + "B"]];
        let lines = aligned(&long, "", 40, " → ");
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines[1].starts_with("    A"), "hanging indent: {lines:?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
    }

    #[test]
    fn values_fit_on_one_line() {
        assert_eq!(one_line(&json!(["a", 1, true])), "a, 1, true");
        assert_eq!(one_line(&json!({"b": [1, 2]})), r#"{"b":[1,2]}"#);
        assert_eq!(one_line(&json!("x\ny")), "x\\ny");
    }
}
