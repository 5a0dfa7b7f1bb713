"""Writes the synthetic scooter-trip samples shipped in this folder.

The series reads Louisville's "Motorized Foot Scooter Trips" data from ArcGIS Hub, which cannot be
reached from the machines this project is tested on. These files keep the dataset's column layout
(as the series' notebooks and MySQL tables use it) with made-up, deterministic values.
Run: python3 notebooks/data/make_samples.py
"""
import csv
import datetime
import pathlib
import random

HERE = pathlib.Path(__file__).parent
COLUMNS = ["ObjectId", "TripID", "TripDuration", "TripDistance", "StartTime", "EndTime",
           "StartCenterlineID", "StartCenterlineType", "EndCenterlineID", "EndCenterlineType"]
CENTERLINE_TYPES = ["road", "bike lane", "path", "alley"]


def write(year: int, rows: int, columns: list[str]) -> None:
    rng = random.Random(year)
    start = datetime.datetime(year, 1, 1, 6, 0)
    path = HERE / f"Motorized-Foot-Scooter-Trips-{year}.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for n in range(1, rows + 1):
            begin = start + datetime.timedelta(minutes=rng.randrange(0, 525_600))
            minutes = rng.randrange(1, 60)
            row = {
                "ObjectId": n,
                "TripID": f"{year}-{n:06d}-{rng.randrange(16**8):08x}",
                "TripDuration": minutes,
                "TripDistance": round(rng.uniform(0.05, 4.5), 2),
                "StartTime": begin.strftime("%Y/%m/%d %H:%M:%S"),
                "EndTime": (begin + datetime.timedelta(minutes=minutes)).strftime("%Y/%m/%d %H:%M:%S"),
                "StartCenterlineID": rng.randrange(1000, 99999),
                "StartCenterlineType": rng.choice(CENTERLINE_TYPES),
                "EndCenterlineID": rng.randrange(1000, 99999),
                "EndCenterlineType": rng.choice(CENTERLINE_TYPES),
            }
            writer.writerow([row[c] for c in columns])


if __name__ == "__main__":
    write(2020, 1000, COLUMNS)
    write(2021, 1000, COLUMNS)
    # The 2018 table of article 3 has no centerline types.
    write(2018, 1000, [c for c in COLUMNS if not c.endswith("CenterlineType")])
