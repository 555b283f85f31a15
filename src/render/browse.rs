//! Drawing the answers of `lore show`, `lore list`, `lore search` and `lore graph`: text
//! for people, markdown, JSON for scripts, and Graphviz dot or Mermaid for diagrams.
//!
//! Input: the plain data of `crate::query::browse`. Output: text on the writer handed in. Every
//! JSON document is one object with `"version": 1`, described by the serde types below;
//! their field names are stable.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::query::{label, owner_json, owner_lines, summary, OwnerJson};
use super::text::{keep_whole, one_line, table, table_lines};
use super::Paths;
use crate::cli::{GraphFormat, ReportFormat, ViewFormat};
use crate::graph::{Catalog, EdgeId, EntryId};
use crate::model::TypeId;
use crate::query;
use crate::query::browse::{Graph, Hit, LastChange, Link, Shown};
use crate::term::{escape, markdown, Style};

/// `lore show --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct ShowDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// `Type:id`.
    pub(crate) entry: String,
    /// The entry's type.
    #[serde(rename = "type")]
    pub(crate) type_: String,
    /// The entry's id.
    pub(crate) id: String,
    /// Display name (the id when the entry has none).
    pub(crate) name: String,
    /// The entry's `description`; `null` when it has none.
    pub(crate) description: Option<String>,
    /// The entry's `aliases`, as written.
    pub(crate) aliases: Vec<String>,
    /// The entry's `links`, as written.
    pub(crate) links: Vec<Value>,
    /// The type's attributes the entry sets (not the envelope, not relations).
    pub(crate) fields: BTreeMap<String, Value>,
    /// Relations out of the entry: relation name, target `Type:id`, target name.
    pub(crate) relations: Vec<LinkJson>,
    /// Relations into the entry, under their inverse name (`owns`), or `<relation> of`
    /// when the relation declares none.
    pub(crate) inverse: Vec<LinkJson>,
    /// As in `lore owners`.
    pub(crate) owners: Vec<OwnerJson>,
    /// The file the entry is defined in, as `validate` shows it.
    pub(crate) file: String,
    /// 1-based line of the entry's first line in that file.
    pub(crate) line: usize,
    /// The last commit that touched the entry; `null` when git history is not read.
    pub(crate) last_change: Option<LastChangeJson>,
}

#[derive(Debug, Serialize)]
pub(crate) struct LinkJson {
    /// The relation's name (for `inverse`, its inverse name or `<relation> of`).
    pub(crate) relation: String,
    /// `Type:id` of the other end.
    pub(crate) entry: String,
    /// Display name of the other end.
    pub(crate) name: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct LastChangeJson {
    /// Full hex id.
    pub(crate) commit: String,
    /// Author name.
    pub(crate) author: String,
    /// Author date, `YYYY-MM-DD` (UTC).
    pub(crate) date: String,
    /// First line of the commit message.
    pub(crate) summary: String,
}

fn link_json(c: &Catalog, l: &Link) -> LinkJson {
    LinkJson {
        relation: l.relation.clone(),
        entry: c.key(l.entry),
        name: c.entry(l.entry).name().to_owned(),
    }
}

pub(crate) fn show_doc(c: &Catalog, s: &Shown, paths: &Paths) -> ShowDoc {
    let e = c.entry(s.entry);
    let strings = |k: &str| -> Vec<String> {
        e.value
            .get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    ShowDoc {
        version: 1,
        entry: c.key(s.entry),
        type_: c.type_def(e.type_id).name.clone(),
        id: e.id.clone(),
        name: e.name().to_owned(),
        description: e
            .value
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        aliases: strings("aliases"),
        links: e
            .value
            .get("links")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        fields: s.fields.iter().cloned().collect(),
        relations: s.outgoing.iter().map(|l| link_json(c, l)).collect(),
        inverse: s.incoming.iter().map(|l| link_json(c, l)).collect(),
        owners: s.owners.iter().map(|o| owner_json(c, o)).collect(),
        file: paths.show(&c.sources, e.file),
        line: c.line(s.entry),
        last_change: s.last_change.as_ref().map(|l: &LastChange| LastChangeJson {
            commit: l.commit.clone(),
            author: l.author.clone(),
            date: l.date.clone(),
            summary: l.summary.clone(),
        }),
    }
}

/// One entry in full.
pub(crate) fn show(
    w: &mut dyn Write,
    c: &Catalog,
    s: &Shown,
    paths: &Paths,
    format: ViewFormat,
    style: Style,
) -> io::Result<()> {
    let doc = show_doc(c, s, paths);
    if format == ViewFormat::Json {
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        return writeln!(w);
    }
    writeln!(w, "{}", label(c, s.entry))?;
    if let Some(d) = &doc.description {
        for line in d.lines() {
            writeln!(w, "  {}", escape(line))?;
        }
    }
    let width = style.width.saturating_sub(2);
    let mut t = table(width, false);
    if !doc.aliases.is_empty() {
        t.add_row(vec![
            "aliases".to_owned(),
            escape(&doc.aliases.join(", ")).into_owned(),
        ]);
    }
    for (k, v) in &s.fields {
        t.add_row(vec![escape(k).into_owned(), one_line(v)]);
    }
    for l in &doc.links {
        let text = match (
            l.get("title").and_then(Value::as_str),
            l.get("url").and_then(Value::as_str),
        ) {
            (Some(title), Some(url)) => format!("{}  {}", escape(title), escape(url)),
            _ => one_line(l),
        };
        t.add_row(vec!["link".to_owned(), text]);
    }
    section(w, None, &t)?;

    for (title, links) in [("relations", &s.outgoing), ("referenced by", &s.incoming)] {
        if links.is_empty() {
            continue;
        }
        let mut t = table(width, false);
        for l in links {
            t.add_row(vec![escape(&l.relation).into_owned(), label(c, l.entry)]);
        }
        section(w, Some(title), &t)?;
    }

    writeln!(w)?;
    if s.owners.is_empty() {
        writeln!(
            w,
            "owners: none (no owner relation, and no parent link leads to one)"
        )?;
    } else {
        writeln!(w, "owners")?;
        for o in &s.owners {
            owner_lines(w, c, o, "  ", style)?;
        }
    }
    writeln!(w)?;
    writeln!(w, "defined at {}:{}", escape(&doc.file), doc.line)?;
    if let Some(l) = &s.last_change {
        let short: String = l.commit.chars().take(10).collect();
        writeln!(
            w,
            "last change {} by {} ({short}): {}",
            escape(&l.date),
            escape(&l.author),
            escape(&l.summary)
        )?;
    }
    Ok(())
}

fn section(w: &mut dyn Write, title: Option<&str>, t: &comfy_table::Table) -> io::Result<()> {
    if t.row_count() == 0 {
        return Ok(());
    }
    writeln!(w)?;
    if let Some(title) = title {
        writeln!(w, "{title}")?;
    }
    for line in table_lines(t) {
        writeln!(w, " {line}")?;
    }
    Ok(())
}

/// `lore list --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct ListDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// The type listed.
    #[serde(rename = "type")]
    pub(crate) type_: String,
    /// The `--where` expression; `null` without one.
    #[serde(rename = "where")]
    pub(crate) where_: Option<String>,
    /// Sorted by id.
    pub(crate) entries: Vec<ListedJson>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ListedJson {
    /// `Type:id`.
    pub(crate) entry: String,
    /// The entry's id.
    pub(crate) id: String,
    /// Display name (the id when the entry has none).
    pub(crate) name: String,
    /// The type's `summary` attributes the entry has.
    pub(crate) summary: BTreeMap<String, Value>,
    /// Owners as `Type:id` (inherited through parents when the entry names none).
    pub(crate) owners: Vec<String>,
}

/// Entries of one type as a table: id, name, the type's summary attributes, owners.
pub(crate) fn list(
    w: &mut dyn Write,
    c: &Catalog,
    type_id: TypeId,
    filter: Option<&str>,
    entries: &[EntryId],
    format: ReportFormat,
    style: Style,
) -> io::Result<()> {
    let t = c.type_def(type_id);
    // One index for the whole list: entries along a parent chain share their owners.
    let mut index = query::OwnerIndex::default();
    let owners: Vec<Vec<EntryId>> = entries
        .iter()
        .map(|&e| index.owners(c, e).iter().map(|h| h.owner).collect())
        .collect();
    if format == ReportFormat::Json {
        let doc = ListDoc {
            version: 1,
            type_: t.name.clone(),
            where_: filter.map(str::to_owned),
            entries: entries
                .iter()
                .zip(&owners)
                .map(|(&e, os)| ListedJson {
                    entry: c.key(e),
                    id: c.entry(e).id.clone(),
                    name: c.entry(e).name().to_owned(),
                    summary: summary(c, e),
                    owners: os.iter().map(|&o| c.key(o)).collect(),
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        return writeln!(w);
    }
    let for_markdown = format == ReportFormat::Markdown;
    let cell = |s: &str| {
        if for_markdown {
            markdown(s)
        } else {
            escape(s).into_owned()
        }
    };
    let mut tab = table(style.width, for_markdown);
    let mut header = vec!["id".to_owned(), "name".to_owned()];
    header.extend(t.summary.iter().map(|s| cell(s)));
    header.push("owner".to_owned());
    tab.set_header(header);
    for (&e, os) in entries.iter().zip(&owners) {
        let entry = c.entry(e);
        let mut row = vec![cell(&entry.id), cell(entry.name())];
        for k in &t.summary {
            row.push(
                entry
                    .value
                    .get(k)
                    .map_or(String::new(), |v| cell(&one_line(v))),
            );
        }
        let owner_text: Vec<String> = os
            .iter()
            .map(|&o| {
                let oe = c.entry(o);
                // The owner's id is enough when all owners are of one type (usually Team).
                if os.iter().all(|&x| c.entry(x).type_id == oe.type_id) {
                    oe.id.clone()
                } else {
                    c.key(o)
                }
            })
            .collect();
        row.push(cell(&owner_text.join(", ")));
        tab.add_row(row);
    }
    keep_whole(&mut tab, &[0]);
    for line in table_lines(&tab) {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// `lore search --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct SearchDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// The text searched for.
    pub(crate) query: String,
    /// Best first, at most `--limit`.
    pub(crate) results: Vec<HitJson>,
}

#[derive(Debug, Serialize)]
pub(crate) struct HitJson {
    /// `Type:id`.
    pub(crate) entry: String,
    /// The entry's type.
    #[serde(rename = "type")]
    pub(crate) type_: String,
    /// The entry's id.
    pub(crate) id: String,
    /// Display name (the id when the entry has none).
    pub(crate) name: String,
    /// Which field matched: `id`, `alias` or `name`.
    pub(crate) field: String,
    /// The value of that field.
    pub(crate) value: String,
    /// `exact`, `prefix`, `substring` or `fuzzy`.
    pub(crate) rank: String,
    /// Jaro-Winkler similarity of the text and the value, 0 to 1, three decimals.
    pub(crate) score: f64,
}

/// Search results, best first.
pub(crate) fn search(
    w: &mut dyn Write,
    c: &Catalog,
    text: &str,
    hits: &[Hit],
    format: ViewFormat,
    style: Style,
) -> io::Result<()> {
    if format == ViewFormat::Json {
        let doc = SearchDoc {
            version: 1,
            query: text.to_owned(),
            results: hits
                .iter()
                .map(|h| {
                    let e = c.entry(h.entry);
                    HitJson {
                        entry: c.key(h.entry),
                        type_: c.type_def(e.type_id).name.clone(),
                        id: e.id.clone(),
                        name: e.name().to_owned(),
                        field: h.field.as_str().to_owned(),
                        value: h.value.clone(),
                        rank: h.rank.as_str().to_owned(),
                        score: (h.score * 1000.0).round() / 1000.0,
                    }
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        return writeln!(w);
    }
    let mut tab = table(style.width, false);
    tab.set_header(vec!["entry", "name", "matched", "how"]);
    for h in hits {
        let e = c.entry(h.entry);
        tab.add_row(vec![
            escape(&c.key(h.entry)).into_owned(),
            escape(e.name()).into_owned(),
            format!("{} {}", h.field.as_str(), escape(&h.value)),
            h.rank.as_str().to_owned(),
        ]);
    }
    keep_whole(&mut tab, &[0, 3]);
    for line in table_lines(&tab) {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// `lore graph --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct GraphDoc {
    /// Always 1.
    pub(crate) version: u32,
    /// The entry whose neighbourhood this is, or `null` for the whole graph.
    pub(crate) root: Option<String>,
    /// Relation steps from the root; `null` for the whole graph.
    pub(crate) depth: Option<usize>,
    /// Sorted by `Type:id`.
    pub(crate) nodes: Vec<NodeJson>,
    /// Sorted by source, relation, target.
    pub(crate) edges: Vec<EdgeJson>,
}

#[derive(Debug, Serialize)]
pub(crate) struct NodeJson {
    /// `Type:id`.
    pub(crate) entry: String,
    /// The entry's type.
    #[serde(rename = "type")]
    pub(crate) type_: String,
    /// The entry's id.
    pub(crate) id: String,
    /// Display name (the id when the entry has none).
    pub(crate) name: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct EdgeJson {
    /// `Type:id` of the entry that names the relation.
    pub(crate) from: String,
    /// `Type:id` of the entry it names.
    pub(crate) to: String,
    /// The relation's name, as the `from` entry's type declares it.
    pub(crate) relation: String,
}

/// Quote a string for Graphviz: inside double quotes, unsafe characters escaped as by
/// [`escape`] (so a newline cannot end the statement), then `"` and `\` escaped.
fn dot_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in escape(s).chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a Mermaid label inside `"…"`: unsafe characters escaped as by [`escape`],
/// quotes, markup and backticks (markdown strings) as Mermaid's `#code;` entities.
fn mermaid_text(s: &str) -> String {
    let mut out = String::new();
    for ch in escape(s).chars() {
        match ch {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            c => out.push(c),
        }
    }
    out
}

/// The graph as dot, mermaid or JSON. Nodes are labelled `Type:id`, edges with the
/// relation name.
pub(crate) fn graph(
    w: &mut dyn Write,
    c: &Catalog,
    g: &Graph,
    root: Option<EntryId>,
    depth: Option<usize>,
    format: GraphFormat,
) -> io::Result<()> {
    let rel = |i: EdgeId| c.relation(c.edge(i)).name.as_str();
    match format {
        GraphFormat::Json => {
            let doc = GraphDoc {
                version: 1,
                root: root.map(|r| c.key(r)),
                depth: root.and(depth),
                nodes: g
                    .nodes
                    .iter()
                    .map(|&e| NodeJson {
                        entry: c.key(e),
                        type_: c.type_of(e).name.clone(),
                        id: c.entry(e).id.clone(),
                        name: c.entry(e).name().to_owned(),
                    })
                    .collect(),
                edges: g
                    .edges
                    .iter()
                    .map(|&i| EdgeJson {
                        from: c.key(c.edge(i).from),
                        to: c.key(c.edge(i).to),
                        relation: rel(i).to_owned(),
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *w, &doc)?;
            writeln!(w)
        }
        GraphFormat::Dot => {
            writeln!(w, "digraph lore {{")?;
            writeln!(w, "  rankdir=LR;")?;
            writeln!(w, "  node [shape=box];")?;
            for &e in &g.nodes {
                let key = c.key(e);
                let extra = if root == Some(e) { ", style=bold" } else { "" };
                writeln!(
                    w,
                    "  {} [label={}{extra}];",
                    dot_quote(&key),
                    dot_quote(&key)
                )?;
            }
            for &i in &g.edges {
                let edge = c.edge(i);
                writeln!(
                    w,
                    "  {} -> {} [label={}];",
                    dot_quote(&c.key(edge.from)),
                    dot_quote(&c.key(edge.to)),
                    dot_quote(rel(i))
                )?;
            }
            writeln!(w, "}}")
        }
        GraphFormat::Mermaid => {
            // Mermaid node ids cannot hold `:` or `.`: number the nodes, label them.
            let mut ids: BTreeMap<EntryId, usize> = BTreeMap::new();
            writeln!(w, "flowchart LR")?;
            for (n, &e) in g.nodes.iter().enumerate() {
                ids.insert(e, n);
                writeln!(w, "  n{n}[\"{}\"]", mermaid_text(&c.key(e)))?;
            }
            for &i in &g.edges {
                let edge = c.edge(i);
                if let (Some(a), Some(b)) = (ids.get(&edge.from), ids.get(&edge.to)) {
                    writeln!(w, "  n{a} -->|\"{}\"| n{b}", mermaid_text(rel(i)))?;
                }
            }
            if let Some(n) = root.and_then(|r| ids.get(&r)) {
                writeln!(w, "  style n{n} stroke-width:3px")?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::json_text_keys;

    fn org() -> (tempfile::TempDir, Catalog) {
        crate::load::test_catalog(&[
            (
                "schemas/team.yaml",
                "type: Team\nschema:\n  properties:\n    slack: {type: string}\nsummary: [slack]\n",
            ),
            (
                "schemas/service.yaml",
                "type: Service\nrelations:\n  owner: {to: Team, owner: true}\n",
            ),
            (
                "catalog/all.yaml",
                "type: Team\nid: web\nslack: '#web'\n---\ntype: Service\nid: pay\nname: Payments\naliases: [pay-api]\nowner: web\n",
            ),
        ])
    }

    /// Top-level keys in order, and the keys of the first row of `rows` (sorted).
    fn shape(out: &[u8], rows: &str) -> (Vec<String>, Vec<String>) {
        let text = std::str::from_utf8(out).unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["version"], 1, "{text}");
        let row = v[rows][0]
            .as_object()
            .expect("a row")
            .keys()
            .cloned()
            .collect();
        (json_text_keys(text), row)
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = keys.iter().map(|&k| k.to_owned()).collect();
        v.sort();
        v
    }

    const STYLE: Style = Style {
        color: false,
        width: 100,
    };

    #[test]
    fn show_json_keeps_its_field_names() {
        let (_d, c) = org();
        let pay = query::find(&c, "pay").unwrap();
        let doc = show_doc(&c, &query::browse::show(&c, pay), &Paths::relative());
        assert_eq!(
            crate::render::json_keys(&doc),
            [
                "version",
                "entry",
                "type",
                "id",
                "name",
                "description",
                "aliases",
                "links",
                "fields",
                "relations",
                "inverse",
                "owners",
                "file",
                "line",
                "last_change"
            ]
        );
        assert_eq!(
            crate::render::json_keys(&doc.relations[0]),
            ["relation", "entry", "name"]
        );
        assert_eq!(doc.entry, "Service:pay");
        assert_eq!(doc.owners[0].owner, "Team:web");
    }

    #[test]
    fn list_search_and_graph_json_keep_their_field_names() {
        let (_d, c) = org();
        let pay = query::find(&c, "pay").unwrap();
        let service = c.entry(pay).type_id;

        let mut out = Vec::new();
        list(
            &mut out,
            &c,
            service,
            None,
            &[pay],
            ReportFormat::Json,
            STYLE,
        )
        .unwrap();
        let (top, row) = shape(&out, "entries");
        assert_eq!(top, ["version", "type", "where", "entries"]);
        assert_eq!(row, sorted(&["entry", "id", "name", "summary", "owners"]));

        let mut out = Vec::new();
        let hits = query::browse::search(&c, "pay", 20);
        search(&mut out, &c, "pay", &hits, ViewFormat::Json, STYLE).unwrap();
        let (top, row) = shape(&out, "results");
        assert_eq!(top, ["version", "query", "results"]);
        let hit = [
            "entry", "type", "id", "name", "field", "value", "rank", "score",
        ];
        assert_eq!(row, sorted(&hit));

        let mut out = Vec::new();
        let g = query::browse::graph(&c, Some(pay), 1);
        graph(&mut out, &c, &g, Some(pay), Some(1), GraphFormat::Json).unwrap();
        let (top, node) = shape(&out, "nodes");
        assert_eq!(top, ["version", "root", "depth", "nodes", "edges"]);
        assert_eq!(node, sorted(&["entry", "type", "id", "name"]));
        let (_, edge) = shape(&out, "edges");
        assert_eq!(edge, sorted(&["from", "to", "relation"]));
    }

    #[test]
    fn ids_are_quoted_for_dot_and_mermaid() {
        assert_eq!(dot_quote(r"Service:a.b-c"), r#""Service:a.b-c""#);
        assert_eq!(dot_quote(r#"x"y\z"#), r#""x\"y\\z""#);
        assert_eq!(mermaid_text(r#"a"b|c<d>#"#), "a#quot;b#124;c#lt;d#gt;#35;");
        // A newline or ESC would end a dot statement or a Mermaid line early.
        assert_eq!(dot_quote("a\nb\u{1b}"), r#""a\\nb\\u{1b}""#);
        assert_eq!(mermaid_text("a\n`b`"), "a\\n#96;b#96;");
    }
}
