//! JSON sources: a file (or a command's output) holding an array of objects, or NDJSON
//! (one object a line, blank lines allowed). Each object is a row.

use serde_json::Value;

use super::{Problem, Row};

/// The rows of a JSON or NDJSON text (`file` names it in problems).
pub(crate) fn rows(file: &str, bytes: &[u8], out: &mut Vec<Problem>) -> Vec<Row> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let line_of = |offset: usize| {
        1 + bytes[..offset.min(bytes.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    let mut rows = Vec::new();
    let Some(start) = start else {
        return rows;
    };
    if bytes[start] == b'[' {
        match serde_json::from_slice::<Vec<Value>>(bytes) {
            Ok(items) => {
                for (i, value) in items.into_iter().enumerate() {
                    push(file, &mut rows, i + 1, 0, value, out);
                }
            }
            Err(e) => out.push(
                Problem::at(file, e.line(), format!("not a JSON array of objects: {e}"))
                    .help("give an array of objects, or one object a line (NDJSON)"),
            ),
        }
        return rows;
    }
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    let mut number = 0;
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                number += 1;
                let skipped = bytes[offset..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                push(
                    file,
                    &mut rows,
                    number,
                    line_of(offset + skipped),
                    value,
                    out,
                );
            }
            Some(Err(e)) => {
                out.push(
                    Problem::at(file, e.line(), format!("not JSON: {e}"))
                        .help("give an array of objects, or one object a line (NDJSON)"),
                );
                break;
            }
        }
    }
    rows
}

fn push(
    file: &str,
    rows: &mut Vec<Row>,
    number: usize,
    line: usize,
    value: Value,
    out: &mut Vec<Problem>,
) {
    if value.is_object() {
        rows.push(Row {
            number,
            line,
            value,
        });
    } else {
        out.push(
            Problem::at(file, line, format!("row {number} is not an object"))
                .help("each row is a JSON object of named values"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_ndjson() {
        let mut out = Vec::new();
        let r = rows("a.json", br#"[{"a": 1}, {"a": 2}]"#, &mut out);
        assert_eq!(r.len(), 2);
        let r = rows("a.ndjson", b"{\"a\": 1}\n\n{\"a\": 2}\n", &mut out);
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].line, 3);
        assert!(out.is_empty());
        let r = rows("a.ndjson", b"{\"a\": 1}\n7\n{\"a\"\n", &mut out);
        assert_eq!(r.len(), 1);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].line, 2);
    }
}
