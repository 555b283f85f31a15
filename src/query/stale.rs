//! Which entries nobody has touched for too long: every line of every entry attributed to
//! the commit that last changed it ([`crate::history::Repo::blame`], so each entry of a
//! multi-document file has its own age), the newest of those per entry compared with a
//! maximum age, and the stale entries grouped by owner with how to reach them.
//! Uncommitted lines count as fresh; lines older than a shallow clone's history give an
//! unknown age, never a wrong one.

use std::collections::BTreeMap;

use crate::graph::{Catalog, EntryId};
use crate::history::{self, BlameFile, Change, Newest, Repo};
use crate::query;
use crate::span::FileId;

const DAY: i64 = 86_400;

/// A maximum age that does not read as one (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an age; write a number and a unit: `180d`, `26w`, `6m` or `1y`")]
pub(crate) struct BadAge(pub String);

/// A maximum age such as `180d`, `26w`, `6m` (30 days each) or `1y` (365 days), in days.
pub(crate) fn parse_age(text: &str) -> Result<i64, BadAge> {
    let text = text.trim();
    let bad = || BadAge(text.to_owned());
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let per = match unit {
        "d" => 1,
        "w" => 7,
        "m" => 30,
        "y" => 365,
        _ => return Err(bad()),
    };
    n.checked_mul(per).ok_or_else(bad)
}

/// One stale entry.
#[derive(Debug, Clone)]
pub(crate) struct StaleEntry {
    pub(crate) entry: EntryId,
    /// 1-based first line.
    pub(crate) line: usize,
    pub(crate) age_days: i64,
    pub(crate) last_change: Change,
}

/// The stale entries of one owner (`None`: entries nobody owns).
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) owner: Option<EntryId>,
    pub(crate) entries: Vec<StaleEntry>,
}

/// The answer of `stale`.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) max_age_days: i64,
    pub(crate) now: i64,
    /// Entries looked at.
    pub(crate) checked: usize,
    /// Distinct stale entries (an entry with two owners is in two groups).
    pub(crate) stale: usize,
    pub(crate) groups: Vec<Group>,
    /// Entries whose age the history cannot tell (shallow clone).
    pub(crate) unknown: Vec<EntryId>,
    /// The clone's history is cut short.
    pub(crate) truncated: bool,
}

/// Lines (0-based, end exclusive) that entry `e` spans.
pub(crate) fn entry_lines(c: &Catalog, e: EntryId) -> std::ops::Range<usize> {
    let entry = c.entry(e);
    let start = c.sources.line(entry.file, entry.span.start);
    let last = entry.span.end.saturating_sub(1).max(entry.span.start);
    let end = c.sources.line(entry.file, last);
    start - 1..end.max(start)
}

/// Entries of `c` last changed more than `max_age_days` before `now`.
pub(crate) fn stale(
    c: &Catalog,
    repo: &Repo,
    max_age_days: i64,
    now: i64,
) -> Result<Report, history::Error> {
    let mut files: Vec<FileId> = c.entries().map(|(_, e)| e.file).collect();
    files.sort();
    files.dedup();
    let slot: BTreeMap<FileId, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let inputs: Vec<BlameFile<'_>> = files
        .iter()
        .map(|&f| {
            let file = c.sources.get(f);
            BlameFile {
                path: &file.path,
                text: file.text().as_bytes(),
                only: None,
            }
        })
        .collect();
    let blame = repo.blame(&inputs)?;

    let mut by_owner: BTreeMap<(bool, String), Group> = BTreeMap::new();
    let mut unknown = Vec::new();
    let mut stale = 0;
    let mut owner_index = query::OwnerIndex::default();
    for e in c.entry_ids() {
        let span = entry_lines(c, e);
        let change = match blame.newest(slot[&c.entry(e).file], span.clone()) {
            Newest::Uncommitted => continue,
            Newest::Unknown => {
                unknown.push(e);
                continue;
            }
            Newest::Commit(change) => change,
        };
        let age_days = (now - change.time).div_euclid(DAY);
        if age_days <= max_age_days {
            continue;
        }
        stale += 1;
        let owners: Vec<Option<EntryId>> = {
            let o: Vec<Option<EntryId>> = owner_index
                .owners(c, e)
                .iter()
                .map(|h| Some(h.owner))
                .collect();
            if o.is_empty() {
                vec![None]
            } else {
                o
            }
        };
        for owner in owners {
            // Owned groups sort by key; the unowned group comes last.
            let key = (owner.is_none(), owner.map(|o| c.key(o)).unwrap_or_default());
            by_owner
                .entry(key)
                .or_insert_with(|| Group {
                    owner,
                    entries: Vec::new(),
                })
                .entries
                .push(StaleEntry {
                    entry: e,
                    line: span.start + 1,
                    age_days,
                    last_change: change.clone(),
                });
        }
    }
    let mut groups: Vec<Group> = by_owner.into_values().collect();
    for g in &mut groups {
        g.entries
            .sort_by_cached_key(|s| (std::cmp::Reverse(s.age_days), c.key(s.entry)));
    }
    unknown.sort_by_key(|&e| c.key(e));
    Ok(Report {
        max_age_days,
        now,
        checked: c.len(),
        stale,
        groups,
        unknown,
        truncated: blame.truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_have_units() {
        assert_eq!(parse_age("180d"), Ok(180));
        assert_eq!(parse_age("2w"), Ok(14));
        assert_eq!(parse_age("6m"), Ok(180));
        assert_eq!(parse_age("1y"), Ok(365));
        assert!(parse_age("180").unwrap_err().to_string().contains("`180d`"));
        assert!(parse_age("d").is_err());
        assert!(parse_age("3x").is_err());
        assert!(parse_age("99999999999999999999d").is_err());
    }
}
