//! `POST /api/v1/routes/optimize` behind the HTTP layer: load and check the shipments and
//! crews, run the solver off the async runtime, store the plan. Small problems are answered
//! directly; larger ones run in the background with progress stored on the plan.

use std::sync::Arc;
use std::time::{Duration, Instant};

use freight_optimizer::{Objective, SolveParams};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inline::{self, InlineStop};
use super::problem::{self, Crew, PlanResult};
use crate::auth::Scope;
use crate::db::{drivers, route_plans, shipments, vehicles};
use crate::domain::time::now_ms;
use crate::domain::{FieldErrors, ShipmentStatus, VehicleStatus};
use crate::http::error::{ApiError, ApiResult};
use crate::observability::business::record_recommendation;
use crate::state::AppState;

/// Problems up to this many jobs (shipments + inline stops) with a time limit up to
/// `SYNC_SECONDS` answer directly.
pub const SYNC_JOBS: usize = 100;
pub const SYNC_SECONDS: f64 = 5.0;
/// Most shipments plus inline stops in one request.
pub const MAX_JOBS: usize = 2000;

/// A driver and the vehicle they will drive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrewRequest {
    pub driver_id: i64,
    pub vehicle_id: i64,
}

/// What to plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimizeRequest {
    /// Booked or assigned shipments to route; with `stops`, 1–2000 in all.
    #[serde(default)]
    pub shipment_ids: Vec<i64>,
    /// Ad-hoc stops to route without a shipment (deliveries from or pickups back to the
    /// driver's base); they come back in the plan with their `stop_id`.
    #[serde(default)]
    pub stops: Vec<InlineStop>,
    /// Drivers with their vehicles (1–200); each becomes one route.
    pub crews: Vec<CrewRequest>,
    /// Search time, 0.1–60 s (default 2).
    pub time_limit_seconds: Option<f64>,
    /// `distance` (default) or `vehicles_first`.
    pub objective: Option<String>,
    pub seed: Option<u64>,
}

/// The state of a plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    pub plan_id: String,
    /// `running`, `completed`, `failed` or `accepted`.
    pub status: String,
    /// Where to poll for the result.
    pub result_url: String,
    pub progress: Option<serde_json::Value>,
    pub result: Option<PlanResult>,
    pub error: Option<String>,
}

impl PlanView {
    pub fn from_row(row: route_plans::PlanRow) -> PlanView {
        PlanView {
            result_url: format!("/api/v1/routes/plans/{}", row.id),
            plan_id: row.id,
            status: row.status,
            progress: row.progress.and_then(|p| serde_json::from_str(&p).ok()),
            result: row.result.and_then(|r| serde_json::from_str(&r).ok()),
            error: row.error,
        }
    }
}

struct Prepared {
    problem: freight_optimizer::Problem,
    shipments: Vec<shipments::Shipment>,
    stops: Vec<InlineStop>,
    crews: Vec<Crew>,
    params: SolveParams,
    epoch_ms: i64,
}

async fn prepare(
    state: &AppState,
    scope: &Scope,
    request: &OptimizeRequest,
) -> ApiResult<Prepared> {
    let mut errors = FieldErrors::new();
    errors.check(
        (1..=MAX_JOBS).contains(&(request.shipment_ids.len() + request.stops.len())),
        if request.stops.is_empty() {
            "shipment_ids"
        } else {
            "stops"
        },
        "give 1 to 2000 shipment ids and inline stops in all",
    );
    inline::check(&request.stops, &mut errors);
    errors.check(
        (1..=200).contains(&request.crews.len()),
        "crews",
        "give 1 to 200 driver/vehicle pairs",
    );
    let limit = request.time_limit_seconds.unwrap_or(2.0);
    errors.check(
        limit.is_finite() && (0.1..=60.0).contains(&limit),
        "time_limit_seconds",
        "must be 0.1 to 60",
    );
    let objective = match request.objective.as_deref().unwrap_or("distance") {
        "distance" => Objective::Distance,
        "vehicles_first" => Objective::VehiclesFirst,
        _ => {
            errors.add("objective", "expected `distance` or `vehicles_first`");
            Objective::Distance
        }
    };
    let mut seen = std::collections::HashSet::new();
    errors.check(
        request.shipment_ids.iter().all(|id| seen.insert(*id)),
        "shipment_ids",
        "contains duplicates",
    );
    let mut drivers_seen = std::collections::HashSet::new();
    errors.check(
        request
            .crews
            .iter()
            .all(|c| drivers_seen.insert(c.driver_id)),
        "crews",
        "a driver appears twice",
    );
    errors.into_result().map_err(ApiError::Validation)?;

    let found = if request.shipment_ids.is_empty() {
        Vec::new()
    } else {
        shipments::get_many(&state.db, scope, &request.shipment_ids).await?
    };
    let mut errors = FieldErrors::new();
    for id in &request.shipment_ids {
        match found.iter().find(|s| s.id == *id) {
            None => errors.add(
                "shipment_ids",
                format!("no shipment {id} in this organization"),
            ),
            Some(s) if !matches!(s.status, ShipmentStatus::Booked | ShipmentStatus::Assigned) => {
                errors.add(
                    "shipment_ids",
                    format!(
                        "shipment {id} is {}; only booked or assigned loads are planned",
                        s.status
                    ),
                )
            }
            Some(_) => {}
        }
    }
    let driver_ids: Vec<i64> = request.crews.iter().map(|c| c.driver_id).collect();
    let vehicle_ids: Vec<i64> = request.crews.iter().map(|c| c.vehicle_id).collect();
    let mut found_drivers = drivers::get_many(&state.db, scope, &driver_ids).await?;
    let found_vehicles = vehicles::get_many(&state.db, scope, &vehicle_ids).await?;
    let mut crews = Vec::new();
    for (i, crew) in request.crews.iter().enumerate() {
        let driver = found_drivers
            .iter()
            .position(|d| d.id == crew.driver_id)
            .map(|p| found_drivers.swap_remove(p));
        let vehicle = found_vehicles
            .iter()
            .find(|v| v.id == crew.vehicle_id)
            .cloned();
        match (driver, vehicle) {
            (None, _) => errors.add(
                format!("crews[{i}].driver_id"),
                format!("no driver {} in this organization", crew.driver_id),
            ),
            (_, None) => errors.add(
                format!("crews[{i}].vehicle_id"),
                format!("no vehicle {} in this organization", crew.vehicle_id),
            ),
            (Some(_), Some(v)) if v.status != VehicleStatus::Active => errors.add(
                format!("crews[{i}].vehicle_id"),
                format!("vehicle {} is {}", v.plate, v.status),
            ),
            (Some(driver), Some(vehicle)) => crews.push(Crew { driver, vehicle }),
        }
    }
    errors.into_result().map_err(ApiError::Validation)?;

    let epoch_ms = now_ms();
    let problem = problem::build(&found, &request.stops, &crews, epoch_ms);
    let issues = freight_optimizer::validate(&problem);
    if !issues.is_empty() {
        return Err(ApiError::Validation(
            issues
                .into_iter()
                .map(|i| crate::domain::FieldError {
                    field: i.path.clone(),
                    message: format!("{}: {} ({})", i.code, i.cause, i.action),
                })
                .collect(),
        ));
    }
    let params = SolveParams {
        time_limit: Duration::from_secs_f64(limit),
        seed: request.seed.unwrap_or(1),
        threads: 1,
        objective,
        ..SolveParams::default()
    };
    Ok(Prepared {
        problem,
        shipments: found,
        stops: request.stops.clone(),
        crews,
        params,
        epoch_ms,
    })
}

fn run_solver(prepared: &Prepared) -> Result<PlanResult, String> {
    let span = tracing::info_span!(
        "solver.run",
        jobs = prepared.problem.jobs.len(),
        vehicles = prepared.problem.vehicles.len()
    );
    let _entered = span.enter();
    let started = Instant::now();
    let outcome = freight_optimizer::solve(&prepared.problem, &prepared.params);
    metrics::histogram!("solver_duration_seconds").record(started.elapsed().as_secs_f64());
    match outcome {
        Ok(solution) => {
            metrics::counter!("solver_runs_total", "outcome" => "ok").increment(1);
            Ok(problem::interpret(
                &prepared.problem,
                &solution,
                &prepared.shipments,
                &prepared.stops,
                &prepared.crews,
                prepared.epoch_ms,
            ))
        }
        Err(e) => {
            metrics::counter!("solver_runs_total", "outcome" => "error").increment(1);
            Err(e.to_string())
        }
    }
}

/// Plans routes; returns the plan and whether it is already complete.
pub async fn optimize(
    state: &AppState,
    scope: &Scope,
    actor: &str,
    request: OptimizeRequest,
) -> ApiResult<PlanView> {
    let prepared = Arc::new(prepare(state, scope, &request).await?);
    let plan_id = format!("plan_{}", crate::auth::tokens::random_token(12));
    let request_json = serde_json::to_string(&request).map_err(|e| ApiError::Internal(e.into()))?;
    route_plans::insert(&state.db, scope, &plan_id, &request_json, actor).await?;
    let background = prepared.problem.jobs.len() > SYNC_JOBS
        || prepared.params.time_limit.as_secs_f64() > SYNC_SECONDS;
    let task = {
        let (db, id, prepared) = (state.db.clone(), plan_id.clone(), prepared.clone());
        async move {
            let progress_db = db.clone();
            let progress_id = id.clone();
            let solver = tokio::task::spawn_blocking(move || run_solver(&prepared));
            let ticker = tokio::spawn(async move {
                let started = Instant::now();
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    let progress =
                        serde_json::json!({"elapsed_seconds": started.elapsed().as_secs_f64()})
                            .to_string();
                    let _ = route_plans::set_progress(&progress_db, &progress_id, &progress).await;
                }
            });
            let outcome = solver
                .await
                .unwrap_or_else(|e| Err(format!("solver task failed: {e}")));
            ticker.abort();
            let stored = match &outcome {
                Ok(result) => {
                    record_recommendation("proposed");
                    let text = serde_json::to_string(result).unwrap_or_default();
                    route_plans::finish(&db, &id, Ok(&text)).await
                }
                Err(e) => route_plans::finish(&db, &id, Err(e)).await,
            };
            if let Err(e) = stored {
                tracing::error!(error = %e, plan = %id, "storing a route plan failed");
            }
        }
    };
    if background {
        tokio::spawn(task);
    } else {
        task.await;
    }
    let row = route_plans::get(&state.db, scope, &plan_id)
        .await?
        .ok_or(ApiError::NotFound("route plan"))?;
    Ok(PlanView::from_row(row))
}
