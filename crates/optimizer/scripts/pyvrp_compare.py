"""Runs PyVRP on Solomon instances with the fleet fixed at the best-known vehicle count,
for a time limit and a range of seeds, and prints the routes' exact (double precision)
Euclidean distance, so PyVRP and `freight bench solve` are compared on the same machine
and the same time limit.

PyVRP needs integer data: distances, times and service times are scaled by 1000 and
rounded (PyVRP's own 'exact' convention); every solution is re-checked here in double
precision (windows with waiting, capacity, depot closing time).

Usage (PyVRP from PyPI, BSD-licensed; not a dependency of the freight build):
    python3 -m venv /tmp/pyvrp && /tmp/pyvrp/bin/pip install pyvrp==0.14.1
    /tmp/pyvrp/bin/python crates/optimizer/scripts/pyvrp_compare.py \
        --seconds 10 --seeds 1-12 crates/optimizer/data/solomon/RC201.txt
"""

import argparse
import csv
import math
import pathlib
import statistics

import pyvrp
from pyvrp.stop import MaxRuntime

SCALE = 1000


def read_solomon(path):
    lines = pathlib.Path(path).read_text().split("\n")
    vehicles, capacity = map(int, lines[4].split())
    rows = [list(map(float, l.split())) for l in lines[9:] if l.strip()]
    return vehicles, capacity, rows


def distance(a, b):
    return math.hypot(a[1] - b[1], a[2] - b[2])


def check(rows, capacity, routes):
    depot, seen, total = rows[0], set(), 0.0
    for route in routes:
        time, load, previous = 0.0, 0.0, depot
        for cust in route:
            row = rows[cust]
            seen.add(cust)
            load += row[3]
            time = max(time + previous[6] + distance(previous, row), row[4])
            if time > row[5] + 1e-7:
                return None
            total += distance(previous, row)
            previous = row
        total += distance(previous, depot)
        if load > capacity or time + previous[6] + distance(previous, depot) > depot[5] + 1e-7:
            return None
    return total if len(seen) == len(rows) - 1 else None


def solve(rows, capacity, vehicles, seconds, seed):
    model = pyvrp.Model()
    locations = [model.add_location(x=r[1], y=r[2]) for r in rows]
    depot = model.add_depot(locations[0], tw_early=0, tw_late=round(rows[0][5] * SCALE))
    model.add_vehicle_type(
        num_available=vehicles,
        capacity=capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=0,
        tw_late=round(rows[0][5] * SCALE),
    )
    for loc, r in zip(locations[1:], rows[1:]):
        model.add_client(
            loc,
            delivery=int(r[3]),
            service_duration=round(r[6] * SCALE),
            tw_early=round(r[4] * SCALE),
            tw_late=round(r[5] * SCALE),
        )
    for a, ra in zip(locations, rows):
        for b, rb in zip(locations, rows):
            d = round(distance(ra, rb) * SCALE)
            model.add_edge(a, b, distance=d, duration=d)
    result = model.solve(MaxRuntime(seconds), seed=seed, display=False)
    assert result.best.is_feasible()
    # Client activities count clients from 0; Solomon numbers them from 1 (depot 0).
    return [[a.idx + 1 for a in route if a.is_client()] for route in result.best.routes()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seeds", default="1-12")
    parser.add_argument("--bks", default="crates/optimizer/data/bks.csv")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    first, last = map(int, args.seeds.split("-"))
    bks = {row["instance"]: row for row in csv.DictReader(open(args.bks))}
    for file in args.files:
        name = pathlib.Path(file).stem
        _, capacity, rows = read_solomon(file)
        vehicles = int(bks[name]["vehicles"])
        best = float(bks[name]["distance"])
        results = []
        for seed in range(first, last + 1):
            routes = solve(rows, capacity, vehicles, args.seconds, seed)
            total = check(rows, capacity, routes)
            results.append(total)
            shown = "infeasible" if total is None else f"{len(routes)}/{total:.2f}"
            print(f"{name} seed {seed}: {shown}", flush=True)
        feasible = [t for t in results if t is not None]
        if feasible:
            gaps = [100 * (t - best) / best for t in feasible]
            print(
                f"{name}: {len(feasible)}/{len(results)} feasible, median "
                f"{statistics.median(feasible):.2f}, mean gap {statistics.mean(gaps):.2f} %"
            )


if __name__ == "__main__":
    main()
