//! Turning a prepared refresh and what its comparison found into the
//! engine's [`Job`] and [`GroupLoad`] (a reload task per reloaded table, a
//! merge per table that differs, sequences, materialized views), and the
//! engine's group reports back into one outcome per table.

use std::collections::HashMap;

use super::incremental::{self, Found};
use super::plan::{Planned, PreparedRefresh, TablePlan};
use super::{Action, RefreshOptions, TableOutcome, reload};
use crate::engine::{Group, GroupLoad, GroupReport, Job, Member, TableTask, Truncate};
use crate::sql::QualifiedName;

/// The engine's job for a prepared refresh, given what the comparison found:
/// table tasks, groups, sequences, materialized views. Also returns what
/// happens to each plan.
pub(super) fn job(
    opts: &RefreshOptions,
    prepared: &PreparedRefresh,
    found: &[Found],
) -> (Job, GroupLoad, Vec<Action>) {
    let by_plan: HashMap<usize, &Found> = found.iter().map(|f| (f.plan, f)).collect();
    let mut actions = vec![Action::Reload; prepared.plans.len()];
    let mut tables: Vec<TableTask> = vec![];
    let mut groups = vec![];
    for g in &prepared.groups {
        let reload = g.tables.iter().all(|&p| prepared.plans[p].planned == Planned::Reload);
        let mut members = vec![];
        for &p in &g.tables {
            let plan = &prepared.plans[p];
            if reload {
                tables.push(reload::task(plan));
                members.push(Member {
                    table: plan.target.clone(),
                    tasks: vec![tables.len() - 1],
                    apply: crate::engine::Apply::Replace,
                });
                continue;
            }
            let Some(f) = by_plan.get(&p) else { continue };
            actions[p] = match plan.planned {
                Planned::Watermark { .. } => Action::Watermark,
                _ => Action::Incremental,
            };
            match incremental::member(opts, plan, p, f, &mut tables) {
                Some(m) => members.push(m),
                None => actions[p] = Action::Unchanged,
            }
        }
        if members.is_empty() {
            continue;
        }
        let truncate = if reload {
            let mut t: Vec<Truncate> =
                members.iter().map(|m| Truncate { table: m.table.clone(), only: true }).collect();
            t.extend(g.partitioned.iter().map(|q| Truncate { table: q.clone(), only: false }));
            t
        } else {
            vec![]
        };
        groups.push(Group { members, truncate, after: vec![] });
    }
    let job = Job {
        tables,
        post_data: prepared.matview_stmts.clone(),
        sequences: prepared.sequences.clone(),
        ..Job::default()
    };
    let load = GroupLoad {
        groups,
        lock_timeout: opts.lock_timeout,
        lock_retries: opts.lock_retries,
        replica_role: prepared.replica_role,
    };
    (job, load, actions)
}

/// Each plan's outcome, from the groups' reports and the comparison.
pub(super) fn outcomes(
    plans: &[TablePlan],
    actions: &[Action],
    load: &GroupLoad,
    reports: &[GroupReport],
    found: &[Found],
) -> Vec<TableOutcome> {
    let mut by_table: HashMap<&QualifiedName, (&crate::engine::MemberReport, f64)> = HashMap::new();
    for (g, r) in load.groups.iter().zip(reports) {
        for (m, mr) in g.members.iter().zip(&r.members) {
            by_table.insert(&m.table, (mr, r.held_seconds));
        }
    }
    let by_plan: HashMap<usize, &Found> = found.iter().map(|f| (f.plan, f)).collect();
    plans
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let f = by_plan.get(&i);
            let done = by_table.get(&p.target);
            let mut o = TableOutcome {
                source: p.source.clone(),
                target: p.target.clone(),
                action: actions[i],
                reason: p.reason.clone(),
                rows_copied: done.map(|d| d.0.copied).unwrap_or(0),
                upserted: done.map(|d| d.0.upserted).unwrap_or(0),
                deleted: done.map(|d| d.0.deleted).unwrap_or(0),
                kept: None,
                ranges: 0,
                ranges_differing: 0,
                by_horizon: matches!(p.planned, Planned::Changed { .. }),
                watermark_from: None,
                watermark_to: None,
                seconds: done.map(|d| d.1).unwrap_or(0.0) + f.map(|f| f.seconds).unwrap_or(0.0),
            };
            if let Some(f) = f {
                o.ranges = f.diff.ranges;
                o.ranges_differing = f.diff.differing;
                o.kept = f.kept;
                if let Some(w) = &f.watermark {
                    o.watermark_from = w.from.clone();
                    o.watermark_to = w.to.clone();
                    if w.from_copy && o.reason.is_none() {
                        o.reason = Some(format!(
                            "no refresh recorded a high-water mark yet: took the copy's largest \
                             {} as one",
                            w.column
                        ));
                    }
                }
            }
            if actions[i] == Action::Reload {
                o.deleted = 0;
            }
            o
        })
        .collect()
}
