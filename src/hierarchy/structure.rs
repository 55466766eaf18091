//! The shape of an account hierarchy: who is whose parent, checked once.

use super::{HierarchyError, HierarchyProblem};
use crate::model::Fnv;
use crate::score::Score;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Parents, children and a bottom-up order over a slice of scores.
pub(crate) struct Structure {
    /// Parent position of each account.
    pub(crate) parent: Vec<Option<usize>>,
    /// Children positions of each account, in input order.
    pub(crate) children: Vec<Vec<usize>>,
    /// Distance from the top of its tree (0 for accounts without a parent).
    pub(crate) depth: Vec<usize>,
    /// Positions ordered so that every child comes before its parent.
    pub(crate) bottom_up: Vec<usize>,
}

impl Structure {
    /// Checks ids, parents, cycles and models; every problem is reported.
    pub(crate) fn new(scores: &[Score<'_>]) -> Result<Structure, HierarchyError> {
        let mut problems = Vec::new();
        let mut index: HashMap<&str, usize, BuildHasherDefault<Fnv>> = HashMap::default();
        for (i, s) in scores.iter().enumerate() {
            let id = s.account().id();
            if index.insert(id, i).is_some() {
                problems.push(HierarchyProblem::DuplicateAccount(id.to_string()));
            }
        }
        let mut parent = vec![None; scores.len()];
        for (i, s) in scores.iter().enumerate() {
            let Some(p) = s.account().data().parent.as_deref() else {
                continue;
            };
            match index.get(p) {
                Some(&j) => {
                    parent[i] = Some(j);
                    let (child, up) = (s.model().fingerprint(), scores[j].model().fingerprint());
                    if child != up {
                        problems.push(HierarchyProblem::OtherModel {
                            child: s.account().id().to_string(),
                            parent: p.to_string(),
                            child_model: child.to_string(),
                            parent_model: up.to_string(),
                        });
                    }
                }
                None => problems.push(HierarchyProblem::MissingParent {
                    child: s.account().id().to_string(),
                    parent: p.to_string(),
                }),
            }
        }
        let depth = depths(&parent, scores, &mut problems);
        if !problems.is_empty() {
            return Err(HierarchyError::new(problems));
        }
        let mut children = vec![Vec::new(); scores.len()];
        for (i, p) in parent.iter().enumerate() {
            if let Some(c) = p.and_then(|p| children.get_mut(p)) {
                c.push(i);
            }
        }
        let mut bottom_up: Vec<usize> = (0..scores.len()).collect();
        bottom_up.sort_by_key(|&i| std::cmp::Reverse(depth[i]));
        Ok(Structure {
            parent,
            children,
            depth,
            bottom_up,
        })
    }
}

/// The depth of every account, walking up parent links iteratively (a
/// chain of a million accounts must not exhaust the stack). Accounts on a
/// cycle are reported once per cycle, in the order the walk met them.
fn depths(
    parent: &[Option<usize>],
    scores: &[Score<'_>],
    problems: &mut Vec<HierarchyProblem>,
) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    const ON_PATH: usize = usize::MAX - 1;
    let mut depth = vec![UNSEEN; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        let mut at = start;
        // Walk up until an account whose depth is known, a top, or a cycle.
        let base = loop {
            match depth[at] {
                UNSEEN => {
                    depth[at] = ON_PATH;
                    path.push(at);
                    match parent[at] {
                        Some(p) => at = p,
                        None => break None,
                    }
                }
                ON_PATH => {
                    let from = path.iter().position(|&i| i == at).unwrap_or(0);
                    let cycle = path.get(from..).unwrap_or_default();
                    problems.push(HierarchyProblem::Cycle(
                        cycle
                            .iter()
                            .map(|&i| scores[i].account().id().to_string())
                            .collect(),
                    ));
                    // Accounts on or below a cycle get depth 0; the error
                    // stops the roll-up anyway.
                    break Some(0);
                }
                known => break Some(known + 1),
            }
        };
        // The first account pushed is the deepest: its depth is the path's
        // length above the base.
        let mut d = base.unwrap_or(0) + path.len();
        // (`base` is the depth of the last account on the path.)
        for &i in path.iter() {
            d -= 1;
            depth[i] = d;
        }
        path.clear();
    }
    depth
}
