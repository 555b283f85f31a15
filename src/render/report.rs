//! Drawing `lore report`: a table with a bar per row (or periods × top values) for
//! people, markdown for a planning doc, CSV for a spreadsheet, SVG for a slide, and the
//! [`ReportDoc`] JSON for scripts.
//!
//! Input: a [`Report`] and what was asked ([`Asked`]). Output: text on the writer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Number, Value};

use super::query::{label, summary, summary_pairs};
use super::text::aligned;
use crate::cli::TableFormat;
use crate::graph::{Catalog, EntryId};
use crate::query::report::{Cell, Report};
use crate::term::{escape, markdown, markdown_code, thousands, Style};

/// What the report was asked, for headings and the JSON document.
pub(crate) struct Asked<'a> {
    pub(crate) facts: &'a str,
    pub(crate) by: Option<&'a str>,
    /// `None` for a count.
    pub(crate) sum: Option<&'a str>,
    pub(crate) impact: bool,
    pub(crate) per: Option<&'a str>,
}

/// `lore report --format json`:
/// `{"version":1, "type", "by", "measure", "impact", "per", "periods", "rows", "all"}`.
#[derive(Debug, Serialize)]
pub(crate) struct ReportDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// The type that holds the facts, e.g. `Incident`.
    #[serde(rename = "type")]
    pub(crate) facts: String,
    /// The dimension type, or null for only the `all` row.
    pub(crate) by: Option<String>,
    /// `count`, or the `--sum` expression.
    pub(crate) measure: String,
    /// Whether the entries a fact names include what they impact.
    pub(crate) impact: bool,
    /// `day`, `week`, `month`, `quarter`, or null.
    pub(crate) per: Option<String>,
    /// Period labels, continuous from the first to the last (`2025-W10`, `2025-03`,
    /// `2025-Q1`); empty without `per`.
    pub(crate) periods: Vec<String>,
    /// By total (descending), then `Type:id`; the `(none)` row (entry null) last.
    pub(crate) rows: Vec<RowJson>,
    /// Every fact once: not the sum of the rows, since a fact can fall under several.
    pub(crate) all: CellJson,
}

/// One row of a report.
#[derive(Debug, Serialize)]
pub(crate) struct RowJson {
    /// The dimension entry, `Type:id`, or null for the facts with no value.
    pub(crate) entry: Option<String>,
    /// Its display name (`(none)` for the null entry).
    pub(crate) name: String,
    /// The dimension type's `summary` attributes that the entry has.
    pub(crate) summary: BTreeMap<String, Value>,
    #[serde(flatten)]
    pub(crate) cell: CellJson,
}

/// Facts, their total, and the total per period.
#[derive(Debug, Serialize)]
pub(crate) struct CellJson {
    /// Facts counted (once each).
    pub(crate) count: usize,
    /// The measure summed over them (equal to `count` for a count).
    pub(crate) total: Number,
    /// Period label → total in that period (0 for an empty one).
    pub(crate) values: BTreeMap<String, Number>,
}

/// A total as JSON: an integer when it is one.
pub(crate) fn number(x: f64) -> Number {
    // Sums of decimals carry binary noise (2521.0000000000005 for 2521): nine decimal
    // places are more than any measure needs and drop it.
    let x = format!("{x:.9}").parse::<f64>().unwrap_or(x);
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Number::from(x as i64)
    } else {
        Number::from_f64(x).unwrap_or_else(|| Number::from(0))
    }
}

fn cell_json(r: &Report, cell: &Cell) -> CellJson {
    CellJson {
        count: cell.count,
        total: number(cell.total),
        values: r
            .periods
            .iter()
            .zip(&cell.values)
            .map(|(p, &v)| (p.clone(), number(v)))
            .collect(),
    }
}

pub(crate) fn doc(c: &Catalog, r: &Report, asked: &Asked<'_>) -> ReportDoc {
    ReportDoc {
        version: 1,
        facts: asked.facts.to_owned(),
        by: asked.by.map(str::to_owned),
        measure: asked.sum.unwrap_or("count").to_owned(),
        impact: asked.impact,
        per: asked.per.map(str::to_owned),
        periods: r.periods.clone(),
        rows: r
            .rows
            .iter()
            .map(|row| RowJson {
                entry: row.entry.map(|e| c.key(e)),
                name: row
                    .entry
                    .map_or("(none)".to_owned(), |e| c.entry(e).name().to_owned()),
                summary: row.entry.map(|e| summary(c, e)).unwrap_or_default(),
                cell: cell_json(r, &row.cell),
            })
            .collect(),
        all: cell_json(r, &r.all),
    }
}

pub(crate) fn render(
    out: &mut dyn Write,
    c: &Catalog,
    r: &Report,
    asked: &Asked<'_>,
    format: TableFormat,
    style: Style,
) -> io::Result<()> {
    match format {
        TableFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &doc(c, r, asked))?;
            writeln!(out)
        }
        TableFormat::Csv => csv(out, c, r, asked),
        TableFormat::Markdown => markdown_table(out, c, r, asked),
        TableFormat::Human if r.periods.is_empty() => human(out, c, r, asked, style),
        TableFormat::Human => human_per(out, c, r, asked, style),
        TableFormat::Svg => svg(out, c, r, asked),
    }
}

/// `Incident hours (sum of self.hours) by Feature per week`.
fn heading(asked: &Asked<'_>, facts: usize) -> String {
    let mut s = format!(
        "{}: {}",
        asked.facts,
        crate::term::count(facts, "fact", "facts")
    );
    if let Some(sum) = asked.sum {
        let _ = write!(s, ", sum of {}", escape(sum));
    }
    if let Some(by) = asked.by {
        let _ = write!(s, ", by {by}");
    }
    if asked.impact {
        s.push_str(" (with what they impact)");
    }
    if let Some(per) = asked.per {
        let _ = write!(s, ", per {per}");
    }
    s
}

fn shown(x: f64) -> String {
    thousands(&number(x))
}

fn row_label(c: &Catalog, e: Option<EntryId>) -> String {
    e.map_or("(none)".to_owned(), |e| label(c, e))
}

fn bar(x: f64, max: f64, width: usize) -> String {
    if max <= 0.0 || x <= 0.0 {
        return String::new();
    }
    let n = ((x / max) * width as f64).round().max(1.0) as usize;
    "█".repeat(n.min(width))
}

fn human(
    out: &mut dyn Write,
    c: &Catalog,
    r: &Report,
    asked: &Asked<'_>,
    style: Style,
) -> io::Result<()> {
    writeln!(out, "{}", style.bold(&heading(asked, r.all.count)))?;
    let summed = asked.sum.is_some();
    // Bars are scaled to the named rows: a large `(none)` would flatten them (its own
    // bar is capped at full width).
    let named_max = r
        .rows
        .iter()
        .filter(|row| row.entry.is_some())
        .map(|row| row.cell.total)
        .fold(0.0, f64::max);
    let max = if named_max > 0.0 {
        named_max
    } else {
        r.rows.iter().map(|row| row.cell.total).fold(0.0, f64::max)
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec![asked.by.unwrap_or("").to_owned(), "count".to_owned()];
    if summed {
        head.push("total".to_owned());
    }
    head.push(String::new());
    rows.push(head);
    for row in &r.rows {
        let mut line = vec![row_label(c, row.entry), row.cell.count.to_string()];
        if summed {
            line.push(shown(row.cell.total));
        }
        let details: Vec<String> = row
            .entry
            .map(|e| summary_pairs(c, e))
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| format!("{}: {v}", escape(&k)))
            .collect();
        let drawn = bar(row.cell.total, max, 24);
        let mut last = format!("{drawn}{}", " ".repeat(24 - drawn.chars().count()));
        if !details.is_empty() {
            let _ = write!(last, "  {}", details.join(", "));
        }
        line.push(last.trim_end().to_owned());
        rows.push(line);
    }
    let mut all = vec!["all".to_owned(), r.all.count.to_string()];
    if summed {
        all.push(shown(r.all.total));
    }
    all.push(String::new());
    rows.push(all);
    for line in aligned(&rows, "  ", style.width, ", ") {
        writeln!(out, "{line}")?;
    }
    if r.hidden > 0 {
        writeln!(out, "  ({} more left out by --top)", r.hidden)?;
    }
    if asked.by.is_some() {
        writeln!(
            out,
            "`all` counts each fact once; a fact under several values is in several rows, so it is not their sum."
        )?;
    }
    Ok(())
}

/// The rows shown as columns of the per-period views: the first few by total.
const COLUMNS: usize = 6;

fn human_per(
    out: &mut dyn Write,
    c: &Catalog,
    r: &Report,
    asked: &Asked<'_>,
    style: Style,
) -> io::Result<()> {
    writeln!(out, "{}", style.bold(&heading(asked, r.all.count)))?;
    let columns: Vec<_> = r.rows.iter().take(COLUMNS).collect();
    let mut head = vec!["period".to_owned()];
    head.extend(columns.iter().map(|row| match row.entry {
        Some(e) => escape(&c.entry(e).id).into_owned(),
        None => "(none)".to_owned(),
    }));
    head.push("all".to_owned());
    head.push(String::new());
    let mut rows = vec![head];
    let max = r.all.values.iter().copied().fold(0.0, f64::max);
    for (i, p) in r.periods.iter().enumerate() {
        let mut line = vec![p.clone()];
        line.extend(columns.iter().map(|row| shown(row.cell.values[i])));
        line.push(shown(r.all.values[i]));
        line.push(bar(r.all.values[i], max, 20));
        rows.push(line);
    }
    let mut total = vec!["total".to_owned()];
    total.extend(columns.iter().map(|row| shown(row.cell.total)));
    total.push(shown(r.all.total));
    total.push(String::new());
    rows.push(total);
    for line in aligned(&rows, "  ", style.width, " ") {
        writeln!(out, "{line}")?;
    }
    if r.rows.len() > columns.len() || r.hidden > 0 {
        writeln!(
            out,
            "  ({} more values not shown as columns; see --format csv or json)",
            r.rows.len() - columns.len() + r.hidden
        )?;
    }
    if asked.by.is_some() {
        writeln!(
            out,
            "`all` counts each fact once; a fact under several values is in several columns, so it is not their sum."
        )?;
    }
    Ok(())
}

/// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run it.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn summary_keys(c: &Catalog, r: &Report) -> Vec<String> {
    r.rows
        .iter()
        .find_map(|row| row.entry)
        .map(|e| c.type_of(e).summary.clone())
        .unwrap_or_default()
}

fn csv(out: &mut dyn Write, c: &Catalog, r: &Report, _asked: &Asked<'_>) -> io::Result<()> {
    let keys = summary_keys(c, r);
    let mut head: Vec<String> = vec!["entry".into(), "name".into()];
    head.extend(keys.iter().cloned());
    head.extend(["count".into(), "total".into()]);
    head.extend(r.periods.iter().cloned());
    let line = |cells: Vec<String>| cells.iter().map(|s| field(s)).collect::<Vec<_>>().join(",");
    writeln!(out, "{}", line(head))?;
    let numbers = |cell: &Cell| {
        let mut v = vec![cell.count.to_string(), number(cell.total).to_string()];
        v.extend(cell.values.iter().map(|&x| number(x).to_string()));
        v
    };
    for row in &r.rows {
        let mut cells = match row.entry {
            Some(e) => vec![c.key(e), c.entry(e).name().to_owned()],
            None => vec!["(none)".to_owned(), String::new()],
        };
        for k in &keys {
            cells.push(
                row.entry
                    .and_then(|e| c.entry(e).value.get(k))
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
            );
        }
        cells.extend(numbers(&row.cell));
        writeln!(out, "{}", line(cells))?;
    }
    let mut cells = vec!["all".to_owned(), String::new()];
    cells.extend(keys.iter().map(|_| String::new()));
    cells.extend(numbers(&r.all));
    writeln!(out, "{}", line(cells))
}

fn markdown_table(
    out: &mut dyn Write,
    c: &Catalog,
    r: &Report,
    asked: &Asked<'_>,
) -> io::Result<()> {
    writeln!(out, "**{}**\n", markdown(&heading(asked, r.all.count)))?;
    let mut head = vec![
        markdown(asked.by.unwrap_or("")),
        "summary".into(),
        "count".into(),
    ];
    head.push("total".into());
    head.extend(r.periods.iter().cloned());
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(head.len()))?;
    let cells = |cell: &Cell| {
        let mut v = vec![cell.count.to_string(), shown(cell.total)];
        v.extend(cell.values.iter().map(|&x| shown(x)));
        v
    };
    for row in &r.rows {
        let mut line = match row.entry {
            Some(e) => vec![
                format!(
                    "{} {}",
                    markdown_code(&c.key(e)),
                    markdown(c.entry(e).name())
                ),
                summary_pairs(c, e)
                    .into_iter()
                    .map(|(k, v)| format!("{}: {}", markdown(&k), markdown(&v)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ],
            None => vec!["(none)".into(), String::new()],
        };
        line.extend(cells(&row.cell));
        writeln!(out, "| {} |", line.join(" | "))?;
    }
    let mut line = vec!["**all**".to_owned(), String::new()];
    line.extend(cells(&r.all));
    writeln!(out, "| {} |", line.join(" | "))?;
    if asked.by.is_some() {
        writeln!(
            out,
            "\n`all` counts each fact once; a fact under several values is in several rows."
        )?;
    }
    Ok(())
}

/// XML text: `&`, `<`, `>`, quotes escaped; control characters dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Colours of the stacked series (the last is `other`).
const PALETTE: [&str; 7] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#bab0ac",
];

/// A stacked bar per period (or one bar per row without periods): the top values in
/// colour, the rest of `all` as `other`, with a legend.
fn svg(out: &mut dyn Write, c: &Catalog, r: &Report, asked: &Asked<'_>) -> io::Result<()> {
    let series: Vec<_> = r.rows.iter().take(COLUMNS).collect();
    let name = |e: Option<EntryId>| e.map_or("(none)".to_owned(), |e| c.key(e));
    // Bars: one per period, or (no periods) one per row.
    let bars: Vec<(String, Vec<f64>)> = if r.periods.is_empty() {
        r.rows
            .iter()
            .take(COLUMNS)
            .enumerate()
            .map(|(i, row)| {
                let mut v = vec![0.0; series.len() + 1];
                v[i] = row.cell.total;
                (name(row.entry), v)
            })
            .collect()
    } else {
        r.periods
            .iter()
            .enumerate()
            .map(|(p, label)| {
                let mut v: Vec<f64> = series.iter().map(|row| row.cell.values[p]).collect();
                let shown_sum: f64 = v.iter().sum();
                // Facts under several values make the stack taller than `all`: the
                // stack shows rows, `other` only what the shown rows leave of `all`.
                v.push((r.all.values[p] - shown_sum).max(0.0));
                (label.clone(), v)
            })
            .collect()
    };
    let (left, top, plot_h, bar_w, gap) = (60.0, 40.0, 240.0, 28.0, 8.0);
    let legend_w = 260.0;
    let plot_w = (bars.len() as f64) * (bar_w + gap) + gap;
    let width = left + plot_w + legend_w;
    let height = top + plot_h + 90.0;
    let max = bars
        .iter()
        .map(|(_, v)| v.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(1.0);
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    )?;
    writeln!(
        out,
        r#"<text x="{left}" y="20" font-size="14" font-weight="bold">{}</text>"#,
        xml(&heading(asked, r.all.count))
    )?;
    writeln!(
        out,
        r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        top + plot_h,
        left + plot_w,
        top + plot_h
    )?;
    writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}" text-anchor="end">0</text>"#,
        left - 6.0,
        top + 4.0,
        xml(&shown(max)),
        left - 6.0,
        top + plot_h
    )?;
    for (i, (label, values)) in bars.iter().enumerate() {
        let x = left + gap + i as f64 * (bar_w + gap);
        let mut y = top + plot_h;
        for (s, &v) in values.iter().enumerate() {
            if v <= 0.0 {
                continue;
            }
            let h = v / max * plot_h;
            y -= h;
            let colour = if s < series.len() {
                PALETTE[s % 6]
            } else {
                PALETTE[6]
            };
            writeln!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar_w}" height="{h:.1}" fill="{colour}"><title>{}: {}</title></rect>"#,
                xml(label),
                xml(&shown(v))
            )?;
        }
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" transform="rotate(45 {:.1} {:.1})">{}</text>"#,
            x + 4.0,
            top + plot_h + 14.0,
            x + 4.0,
            top + plot_h + 14.0,
            xml(label)
        )?;
    }
    let lx = left + plot_w + 20.0;
    let mut entries: Vec<String> = series.iter().map(|row| name(row.entry)).collect();
    if !r.periods.is_empty() {
        entries.push("other (the rest of all)".to_owned());
    }
    for (s, text) in entries.iter().enumerate() {
        let y = top + s as f64 * 18.0;
        let colour = if s < series.len() {
            PALETTE[s % 6]
        } else {
            PALETTE[6]
        };
        writeln!(
            out,
            r#"<rect x="{lx}" y="{y}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}">{}</text>"#,
            lx + 18.0,
            y + 10.0,
            xml(text)
        )?;
    }
    writeln!(out, "</svg>")
}

/// `lore incidents REF --format json`:
/// `{"version":1, "entry":"Type:id", "incidents":[{"entry","name","time","summary":{…}}]}`.
#[derive(Debug, Serialize)]
pub(crate) struct IncidentsDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// The entry asked about, `Type:id`.
    pub(crate) entry: String,
    /// The incidents that touch it, newest first.
    pub(crate) incidents: Vec<IncidentJson>,
}

/// One incident.
#[derive(Debug, Serialize)]
pub(crate) struct IncidentJson {
    /// `Type:id`.
    pub(crate) entry: String,
    pub(crate) name: String,
    /// Its date (`YYYY-MM-DD`, UTC), or null without one.
    pub(crate) time: Option<String>,
    /// The incident type's `summary` attributes (severity, status, hours…).
    pub(crate) summary: BTreeMap<String, Value>,
}

pub(crate) fn incident_json(c: &Catalog, t: &crate::query::report::Touching) -> IncidentJson {
    IncidentJson {
        entry: c.key(t.fact),
        name: c.entry(t.fact).name().to_owned(),
        time: t.date.map(|d| d.to_string()),
        summary: summary(c, t.fact),
    }
}

pub(crate) fn incidents(
    out: &mut dyn Write,
    c: &Catalog,
    of: EntryId,
    found: &[crate::query::report::Touching],
    format: crate::cli::ReportFormat,
) -> io::Result<()> {
    use crate::cli::ReportFormat;
    match format {
        ReportFormat::Json => {
            let doc = IncidentsDoc {
                version: 1,
                entry: c.key(of),
                incidents: found.iter().map(|t| incident_json(c, t)).collect(),
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        ReportFormat::Human | ReportFormat::Markdown => {
            let md = format == ReportFormat::Markdown;
            let title = if md {
                format!("**Incidents touching {}**", markdown_code(&c.key(of)))
            } else {
                format!("Incidents touching {}", label(c, of))
            };
            writeln!(out, "{title} ({})\n", found.len())?;
            let mut rows: Vec<Vec<String>> = Vec::new();
            for t in found {
                let date = t.date.map_or_else(|| "-".into(), |d| d.to_string());
                let fields: Vec<String> = summary_pairs(c, t.fact)
                    .into_iter()
                    .map(|(k, v)| {
                        if md {
                            format!("{}: {}", markdown(&k), markdown(&v))
                        } else {
                            format!("{k}: {v}")
                        }
                    })
                    .collect();
                let entry = c.entry(t.fact);
                let name = if entry.name() == entry.id {
                    String::new()
                } else {
                    entry.name().to_owned()
                };
                if md {
                    rows.push(vec![
                        date,
                        markdown_code(&c.key(t.fact)),
                        fields.join(", "),
                        markdown(&name),
                    ]);
                } else {
                    rows.push(vec![
                        date,
                        escape(&c.key(t.fact)).into_owned(),
                        fields.join(", "),
                        escape(&name).into_owned(),
                    ]);
                }
            }
            if md {
                writeln!(
                    out,
                    "| date | incident | summary | name |\n|---|---|---|---|"
                )?;
                for r in rows {
                    writeln!(out, "| {} |", r.join(" | "))?;
                }
                Ok(())
            } else {
                for line in aligned(&rows, "  ", 200, " ") {
                    writeln!(out, "{line}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-3"), "-3");
        assert_eq!(xml("<a & 'b'>\u{1b}"), "&lt;a &amp; &apos;b&apos;&gt;");
        assert_eq!(number(3.0).to_string(), "3");
        assert_eq!(number(2.5).to_string(), "2.5");
        assert_eq!(number(2_521.000_000_000_000_5).to_string(), "2521");
        assert_eq!(number(2_694.499_999_999_999).to_string(), "2694.5");
        assert_eq!(number(0.1 + 0.2).to_string(), "0.3");
    }

    /// The SVG of hours by Line per week on the report fixture, read as XML: worked by
    /// hand in `query::report`'s tests, Line shop has 5 hours in W10 and `(none)` 6 in
    /// W12; W11 is empty. The tallest bar (6) is the plot's full 240 px.
    #[test]
    fn the_svg_is_a_stacked_bar_per_period_with_a_legend() {
        use crate::query::report::{report, tests::fixture, Spec};
        let (_d, c) = fixture();
        let hours = crate::expr::Expr::compile("self.hours").unwrap();
        let r = report(
            &c,
            &Spec {
                facts: c.type_id("Incident").unwrap(),
                by: c.type_id("Line"),
                sum: Some(&hours),
                impact: false,
                via: &[],
                filter: None,
                touches: &[],
                per: Some(crate::date::Per::Week),
                time: Some("opened"),
                since: None,
                until: None,
                top: None,
            },
        )
        .unwrap();
        let asked = Asked {
            facts: "Incident",
            by: Some("Line"),
            sum: Some("self.hours"),
            impact: false,
            per: Some("week"),
        };
        let mut out = Vec::new();
        svg(&mut out, &c, &r, &asked).unwrap();
        let text = String::from_utf8(out).unwrap();
        let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let num = |n: roxmltree::Node<'_, '_>, a: &str| -> f64 {
            n.attribute(a).unwrap().parse().unwrap()
        };
        let width = num(root, "width");
        let height = num(root, "height");
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 {width} {height}").as_str())
        );
        // Bars: rects with a tooltip, one per non-zero (period, row).
        let bars: Vec<(String, f64, f64, String)> = root
            .children()
            .filter(|n| n.has_tag_name("rect"))
            .filter_map(|n| {
                let tip = n.children().find(|t| t.has_tag_name("title"))?;
                Some((
                    tip.text().unwrap().to_owned(),
                    num(n, "y"),
                    num(n, "height"),
                    n.attribute("fill").unwrap().to_owned(),
                ))
            })
            .collect();
        let (top, plot) = (40.0, 240.0);
        assert_eq!(
            bars,
            [
                (
                    "2025-W10: 5".to_owned(),
                    top + plot - 200.0,
                    200.0,
                    PALETTE[0].to_owned()
                ),
                ("2025-W12: 6".to_owned(), top, plot, PALETTE[1].to_owned()),
            ]
        );
        for (_, y, h, _) in &bars {
            assert!(*y >= 0.0 && y + h <= height, "inside the picture");
        }
        let texts: Vec<&str> = root
            .children()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        // The heading, the axis (6 and 0), one label per period, then the legend.
        assert_eq!(texts[0], heading(&asked, 4));
        assert_eq!(&texts[1..3], ["6", "0"]);
        assert_eq!(&texts[3..6], ["2025-W10", "2025-W11", "2025-W12"]);
        assert_eq!(
            &texts[6..],
            ["Line:shop", "(none)", "other (the rest of all)"]
        );
        let swatches: Vec<&str> = root
            .children()
            .filter(|n| n.has_tag_name("rect") && n.children().next().is_none())
            .map(|n| n.attribute("fill").unwrap())
            .collect();
        assert_eq!(swatches, [PALETTE[0], PALETTE[1], PALETTE[6]]);
    }
}
