//! Job coverage part of the checker: every job is routed exactly once (all of its
//! stops, with the right actions) or listed unassigned once, and pairs stay together
//! with the pickup first.

use std::collections::HashMap;

use super::{CheckReport, ViolationKind};
use crate::model::{Job, JobKind, Problem};
use crate::solution::{Solution, StopAction};

fn expected_actions(job: &Job) -> Vec<StopAction> {
    match job.kind {
        JobKind::Delivery { .. } => vec![StopAction::Delivery],
        JobKind::Pickup { .. } => vec![StopAction::Pickup],
        JobKind::PickupDelivery { .. } => vec![StopAction::PairPickup, StopAction::PairDelivery],
    }
}

pub(super) fn check_job_coverage(
    report: &mut CheckReport,
    problem: &Problem,
    solution: &Solution,
    seen: &HashMap<&str, Vec<(usize, usize, StopAction)>>,
) {
    let mut unassigned: HashMap<&str, usize> = HashMap::new();
    for u in &solution.unassigned {
        *unassigned.entry(u.job_id.as_str()).or_default() += 1;
    }
    for job in &problem.jobs {
        let visits = seen.get(job.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let listed = unassigned.get(job.id.as_str()).copied().unwrap_or(0);
        if visits.is_empty() && listed == 0 {
            report.add(
                ViolationKind::JobMissing,
                format!("job '{}' is neither routed nor unassigned", job.id),
            );
            continue;
        }
        if listed > 1 || (listed == 1 && !visits.is_empty()) {
            report.add(
                ViolationKind::JobServedTwice,
                format!("job '{}' is listed more than once", job.id),
            );
        }
        if visits.is_empty() {
            continue;
        }
        let expected = expected_actions(job);
        let actions: Vec<StopAction> = visits.iter().map(|v| v.2).collect();
        if visits.len() > expected.len()
            || actions.iter().filter(|a| **a == expected[0]).count() > 1
        {
            report.add(
                ViolationKind::JobServedTwice,
                format!("job '{}' is visited {} times", job.id, visits.len()),
            );
            continue;
        }
        let mut sorted = actions.clone();
        sorted.sort_by_key(|a| *a as u8);
        let mut wanted = expected.clone();
        wanted.sort_by_key(|a| *a as u8);
        if sorted != wanted {
            report.add(
                ViolationKind::WrongStopAction,
                format!(
                    "job '{}' has stops {:?}, expected {:?}",
                    job.id, actions, expected
                ),
            );
            continue;
        }
        if expected.len() == 2 {
            let pickup = visits
                .iter()
                .find(|v| v.2 == StopAction::PairPickup)
                .copied();
            let delivery = visits
                .iter()
                .find(|v| v.2 == StopAction::PairDelivery)
                .copied();
            if let (Some(p), Some(d)) = (pickup, delivery) {
                if p.0 != d.0 {
                    report.add(
                        ViolationKind::PairSplitAcrossVehicles,
                        format!(
                            "pickup and delivery of '{}' are on different vehicles",
                            job.id
                        ),
                    );
                } else if p.1 > d.1 {
                    report.add(
                        ViolationKind::DeliveryBeforePickup,
                        format!("delivery of '{}' comes before its pickup", job.id),
                    );
                }
            }
        }
    }
}
