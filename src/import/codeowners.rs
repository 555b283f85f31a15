//! CODEOWNERS sources, in GitHub's and GitLab's syntax: one row per rule with its
//! `pattern`, `owners` (a list; empty un-owns what the pattern matches), `section`
//! (GitLab's `[Section]`, with its default owners applied to rules without owners of
//! their own) and `optional` (`^[Section]`). [`owners_of`] answers a path the way both
//! tools do: the last matching rule wins.

use serde_json::{json, Value};

use super::{Problem, Row};

/// One rule of a CODEOWNERS file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) pattern: String,
    pub(crate) owners: Vec<String>,
    pub(crate) section: Option<String>,
    pub(crate) optional: bool,
    pub(crate) line: usize,
}

/// The rules of a CODEOWNERS text, in order.
pub(crate) fn rules(file: &str, text: &str, out: &mut Vec<Problem>) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut section: Option<(String, bool, Vec<String>)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (optional, head) = match trimmed.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if let Some(rest) = head.strip_prefix('[') {
            if let Some(close) = rest.find(']') {
                let name = rest[..close].trim().to_owned();
                let mut after = rest[close + 1..].trim_start();
                // `[Section][2]`: the number of approvals required.
                if let Some(n) = after.strip_prefix('[') {
                    after = n.split_once(']').map_or("", |(_, r)| r).trim_start();
                }
                let defaults = words(after)
                    .into_iter()
                    .filter(|w| !w.starts_with('#'))
                    .collect();
                section = Some((name, optional, defaults));
                continue;
            }
            out.push(
                Problem::at(file, line, "a `[` section header without `]`")
                    .help("write sections as `[Name]` or `^[Name]`"),
            );
            continue;
        }
        let parts = words(trimmed);
        let Some((pattern, owners)) = parts.split_first() else {
            continue;
        };
        let mut owners: Vec<String> = owners
            .iter()
            .take_while(|w| !w.starts_with('#'))
            .cloned()
            .collect();
        if owners.is_empty() {
            if let Some((_, _, defaults)) = &section {
                owners.clone_from(defaults);
            }
        }
        rules.push(Rule {
            pattern: pattern.clone(),
            owners,
            section: section.as_ref().map(|s| s.0.clone()),
            optional: section.as_ref().is_some_and(|s| s.1),
            line,
        });
    }
    rules
}

/// Words split at unescaped whitespace; `\ ` and `\#` are literal.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The rows of a CODEOWNERS file: one per rule.
pub(crate) fn rows(file: &str, bytes: &[u8], out: &mut Vec<Problem>) -> Vec<Row> {
    let text = String::from_utf8_lossy(bytes);
    rules(file, &text, out)
        .into_iter()
        .enumerate()
        .map(|(i, r)| Row {
            number: i + 1,
            line: r.line,
            value: json!({
                "pattern": r.pattern,
                "owners": r.owners,
                "section": r.section.map_or(Value::Null, Value::String),
                "optional": r.optional,
                "line": r.line,
            }),
        })
        .collect()
}

/// Whether a CODEOWNERS pattern matches a repository path (gitignore rules: a pattern
/// without a `/` but at its end matches at any depth; a leading `/` anchors at the root;
/// a trailing `/` matches a folder and everything in it).
/// A path ending in `/` is a folder: a folder pattern (`docs/`) matches it too.
pub(crate) fn matches(pattern: &str, path: &str) -> bool {
    let folder = path.ends_with('/');
    let path = path.trim_matches('/');
    let dir_only = pattern.ends_with('/');
    let body = pattern.trim_end_matches('/');
    let anchored = body.starts_with('/') || body.trim_start_matches('/').contains('/');
    let body = body.trim_start_matches('/');
    let glob = if anchored {
        body.to_owned()
    } else {
        format!("**/{body}")
    };
    let build = |g: &str| {
        globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map(|g| g.compile_matcher())
    };
    // A match of the pattern itself, or of a folder above the path (everything in it).
    let inside = format!("{glob}/**");
    let whole = if dir_only && !folder {
        None
    } else {
        build(&glob).ok()
    };
    whole.is_some_and(|m| m.is_match(path)) || build(&inside).is_ok_and(|m| m.is_match(path))
}

/// The owners of `path`: those of the last matching rule (empty when it un-owns it).
pub(crate) fn owners_of<'a>(rules: &'a [Rule], path: &str) -> Option<&'a [String]> {
    rules
        .iter()
        .rev()
        .find(|r| matches(&r.pattern, path))
        .map(|r| r.owners.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITLAB: &str = "# comment\n* @org/everyone\n/docs/ @org/docs\n\n[Backend][2] @org/backend\napp/\n/app/legacy/ \n^[Frontend]\n*.css @org/design # styles\npath\\ with\\ space/ @org/x\n";

    #[test]
    fn github_and_gitlab_rules() {
        let mut out = Vec::new();
        let r = rules("CODEOWNERS", GITLAB, &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(r.len(), 6);
        assert_eq!(r[2].owners, ["@org/backend"], "section default owners");
        assert_eq!(r[2].section.as_deref(), Some("Backend"));
        assert_eq!(r[4].owners, ["@org/design"]);
        assert!(r[4].optional);
        assert_eq!(r[5].pattern, "path with space/");
    }

    #[test]
    fn a_folder_pattern_matches_the_folder_itself_when_the_path_says_it_is_one() {
        assert!(matches("/libs/drm/", "libs/drm/"));
        assert!(matches("/libs/drm/", "libs/drm/src/a.cc"));
        assert!(!matches("/libs/drm/", "libs/drm"));
        assert!(!matches("/libs/drm/", "libs/drm-client/"));
        assert!(matches("*.css", "a/b.css"));
    }

    #[test]
    fn last_match_wins_and_no_owners_unowns() {
        let mut out = Vec::new();
        let r = rules(
            "CODEOWNERS",
            "* @all\n/src/ @core\n/src/gen/\n*.md @docs\n",
            &mut out,
        );
        assert_eq!(owners_of(&r, "README.md"), Some(&["@docs".to_owned()][..]));
        assert_eq!(
            owners_of(&r, "src/main.rs"),
            Some(&["@core".to_owned()][..])
        );
        assert_eq!(owners_of(&r, "src/gen/x.rs"), Some(&[][..]));
        assert_eq!(owners_of(&r, "lib/x.rs"), Some(&["@all".to_owned()][..]));
        assert!(matches("docs", "a/docs/x.md"));
        assert!(!matches("/docs", "a/docs/x.md"));
        assert!(matches("src/*.rs", "src/a.rs"));
        assert!(!matches("src/*.rs", "src/a/b.rs"));
    }
}
