//! A working solution of the search: routes, where each stop is, which jobs are absent,
//! and an undo log so a rejected ruin-and-recreate move is rolled back by restoring
//! only the routes it touched (cheaper than cloning the whole solution every move).

use super::instance::Instance;
use super::route::{Insertion, Route};

pub(crate) const ABSENT: u32 = u32::MAX;

#[derive(Clone)]
pub(crate) struct State {
    pub routes: Vec<Route>,
    /// Route index of every stop, or `ABSENT`.
    pub route_of: Vec<u32>,
    /// Jobs to plan that are currently not in a route.
    pub absent: Vec<usize>,
    undo: Vec<(usize, Route)>,
    /// Route copies no longer needed by the undo log, kept for their buffers.
    spare: Vec<Route>,
    touched: Vec<bool>,
    saved_absent: Vec<usize>,
}

impl State {
    /// Routes holding only the locked stops; `jobs` (not locked) start absent.
    /// Returns the vehicles whose locked sequence is infeasible.
    pub fn new(instance: &Instance, jobs: &[usize]) -> Result<State, Vec<usize>> {
        let mut route_of = vec![ABSENT; instance.stops.len()];
        let mut routes = Vec::with_capacity(instance.vehicles.len());
        let mut bad = Vec::new();
        for (v, vehicle) in instance.vehicles.iter().enumerate() {
            let mut route = Route::new(instance, v);
            for &job in &vehicle.locked_jobs {
                for &stop in &instance.jobs[job].stops {
                    route.stops.push(stop as u32);
                    route_of[stop] = v as u32;
                }
            }
            route.locked_len = route.stops.len();
            route.update(instance);
            let skills_missing = vehicle
                .locked_jobs
                .iter()
                .any(|&j| instance.jobs[j].skills & !vehicle.skills != 0);
            if !route.feasible || skills_missing {
                bad.push(v);
            }
            routes.push(route);
        }
        if !bad.is_empty() {
            return Err(bad);
        }
        let absent = jobs
            .iter()
            .copied()
            .filter(|&j| route_of[instance.jobs[j].stops[0]] == ABSENT)
            .collect();
        let touched = vec![false; routes.len()];
        Ok(State {
            routes,
            route_of,
            absent,
            undo: Vec::new(),
            spare: Vec::new(),
            touched,
            saved_absent: Vec::new(),
        })
    }

    /// Starts recording changes for a possible rollback.
    pub fn begin(&mut self) {
        self.saved_absent.clone_from(&self.absent);
    }

    fn touch(&mut self, route: usize) {
        if !self.touched[route] {
            self.touched[route] = true;
            let saved = match self.spare.pop() {
                Some(mut spare) => {
                    spare.copy_from(&self.routes[route]);
                    spare
                }
                None => self.routes[route].clone(),
            };
            self.undo.push((route, saved));
        }
    }

    pub fn commit(&mut self) {
        for (route, saved) in self.undo.drain(..) {
            self.touched[route] = false;
            self.spare.push(saved);
        }
    }

    pub fn rollback(&mut self) {
        for (route, _) in &self.undo {
            for &stop in &self.routes[*route].stops {
                self.route_of[stop as usize] = ABSENT;
            }
        }
        for (route, mut saved) in self.undo.drain(..) {
            for &stop in &saved.stops {
                self.route_of[stop as usize] = route as u32;
            }
            std::mem::swap(&mut self.routes[route], &mut saved);
            self.spare.push(saved);
            self.touched[route] = false;
        }
        std::mem::swap(&mut self.absent, &mut self.saved_absent);
    }

    /// Routes changed since `begin`.
    pub fn touched_routes(&self) -> impl Iterator<Item = usize> + '_ {
        self.undo.iter().map(|(route, _)| *route)
    }

    /// Replaces a route's stops (used by local search moves).
    pub fn set_stops(&mut self, instance: &Instance, route: usize, stops: Vec<u32>) {
        self.touch(route);
        for &stop in &stops {
            self.route_of[stop as usize] = route as u32;
        }
        self.routes[route].stops = stops;
        self.routes[route].update(instance);
    }

    /// Total objective: route costs plus penalties of absent jobs.
    pub fn objective(&self, instance: &Instance) -> f64 {
        let routes: f64 = self.routes.iter().map(|r| r.cost).sum();
        routes
            + self
                .absent
                .iter()
                .map(|&j| instance.jobs[j].penalty)
                .sum::<f64>()
    }

    pub fn used_routes(&self) -> usize {
        self.routes.iter().filter(|r| !r.stops.is_empty()).count()
    }

    /// Removes the given stops (and their pair partners) from `route`; returns the jobs.
    pub fn remove_stops(
        &mut self,
        instance: &Instance,
        route: usize,
        stops: &[u32],
        removed_jobs: &mut Vec<usize>,
    ) {
        self.touch(route);
        let first_new = removed_jobs.len();
        for &stop in stops {
            let job = instance.stops[stop as usize].job;
            if !removed_jobs[first_new..].contains(&job) {
                removed_jobs.push(job);
            }
        }
        let jobs = &removed_jobs[first_new..];
        let route_of = &mut self.route_of;
        self.routes[route].remove_where(instance, |s| {
            let gone = jobs.contains(&instance.stops[s as usize].job);
            if gone {
                route_of[s as usize] = ABSENT;
            }
            gone
        });
    }

    pub fn insert_job(&mut self, instance: &Instance, job: usize, insertion: &Insertion) {
        self.touch(insertion.route);
        let stops = &instance.jobs[job].stops;
        self.routes[insertion.route].insert(
            instance,
            stops,
            insertion.first_after,
            insertion.second_after,
        );
        for &stop in stops {
            self.route_of[stop] = insertion.route as u32;
        }
    }

    /// Empties a whole route (its unlocked part) into the absent list.
    pub fn clear_route(&mut self, instance: &Instance, route: usize) {
        let locked = self.routes[route].locked_len;
        let stops: Vec<u32> = self.routes[route].stops[locked..].to_vec();
        let mut jobs = Vec::new();
        self.remove_stops(instance, route, &stops, &mut jobs);
        self.absent.extend(jobs);
    }
}
