//! Cycles through `owner` and `parent` links, each reported once.

use std::collections::HashSet;

use crate::diag::{at, Code, Diag};
use crate::graph::{Catalog, Edge, EdgeId, EntryId};
use crate::schema::escape;

/// Cycles through `owner` and `parent` links (dependencies may loop; ownership may not).
pub(super) fn find_cycles(c: &mut Catalog) {
    let n = c.len();
    let follows = |edge: &Edge| {
        let rel = c.relation(edge);
        rel.owner || rel.parent
    };
    // 0 = new, 1 = on the stack, 2 = done
    let mut state = vec![0u8; n];
    let mut reported: HashSet<Vec<EntryId>> = HashSet::new();
    let mut problems = Vec::new();
    for start in c.entry_ids() {
        if state[start.index()] != 0 {
            continue;
        }
        // Iterative DFS: (entry, next outgoing edge position); path holds the edges taken.
        let mut stack: Vec<(EntryId, usize)> = vec![(start, 0)];
        let mut path: Vec<EdgeId> = Vec::new();
        state[start.index()] = 1;
        while let Some(&mut (node, ref mut pos)) = stack.last_mut() {
            if let Some(edge_id) = c.out_range(node).nth(*pos).map(EdgeId::new) {
                *pos += 1;
                let edge = c.edge(edge_id);
                if !follows(edge) {
                    continue;
                }
                match state[edge.to.index()] {
                    0 => {
                        state[edge.to.index()] = 1;
                        stack.push((edge.to, 0));
                        path.push(edge_id);
                    }
                    1 => {
                        // The cycle: the edges of `path` from the one leaving edge.to, plus this edge.
                        let from = path
                            .iter()
                            .position(|&p| c.edge(p).from == edge.to)
                            .unwrap_or(path.len());
                        let mut cycle: Vec<EdgeId> = path[from..].to_vec();
                        cycle.push(edge_id);
                        let mut members: Vec<EntryId> =
                            cycle.iter().map(|&p| c.edge(p).from).collect();
                        members.sort_unstable();
                        if reported.insert(members) {
                            problems.push(cycle_diag(c, &cycle));
                        }
                    }
                    _ => {}
                }
            } else {
                state[node.index()] = 2;
                stack.pop();
                path.pop();
            }
        }
    }
    c.problems.extend(problems);
}

fn cycle_diag(c: &Catalog, cycle: &[EdgeId]) -> Diag {
    // Report at the edge leaving the first entry in key order, so the place is stable.
    let start = (0..cycle.len())
        .min_by_key(|&i| c.key(c.edge(cycle[i]).from))
        .unwrap_or(0);
    let mut chain = Vec::new();
    for k in 0..cycle.len() {
        let edge = c.edge(cycle[(start + k) % cycle.len()]);
        chain.push(format!("{} → {}", c.key(edge.from), c.relation(edge).name));
    }
    let first = c.edge(cycle[start]);
    chain.push(c.key(first.from));
    let rel = c.relation(first);
    let pointer = match first.item {
        Some(i) => format!("/{}/{i}", escape(&rel.name)),
        None => format!("/{}", escape(&rel.name)),
    };
    let entry = c.entry(first.from);
    Diag::error(Code::Cycle, format!("`{}` links form a cycle: {}", rel.name, chain.join(" ")), at(entry.file, entry.doc, &pointer, false))
        .with_entry(c.key(first.from))
        .with_help("ownership and containment must form a tree: break the cycle by pointing one of these links elsewhere")
}
