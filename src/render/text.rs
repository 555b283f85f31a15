//! Small pieces shared by the human and markdown renderers of query commands: user
//! strings made safe for a terminal, values on one line, numbers with thousands
//! separators, tables sized to the terminal.

use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table};
use serde_json::Value;

use crate::term::escape;
use unicode_width::UnicodeWidthStr;

/// A JSON value on one line: strings bare, lists of scalars comma-separated, anything
/// nested as compact JSON. Control characters escaped.
pub(crate) fn one_line(v: &Value) -> String {
    match v {
        Value::String(s) => escape(s).into_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            items.iter().map(one_line).collect::<Vec<_>>().join(", ")
        }
        other => escape(&other.to_string()).into_owned(),
    }
}

/// A table for a terminal `width` columns wide (no borders but a header rule), or a
/// GitHub-flavoured markdown table.
pub(crate) fn table(width: usize, markdown: bool) -> Table {
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
pub(crate) fn aligned(
    rows: &[Vec<String>],
    indent: &str,
    width: usize,
    break_at: &str,
) -> Vec<String> {
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
pub(crate) fn keep_whole(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(col) = t.column_mut(i) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// The lines of a rendered table with trailing spaces removed.
pub(crate) fn table_lines(t: &Table) -> Vec<String> {
    t.lines().map(|l| l.trim_end().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
