#!/usr/bin/env python3
"""Exporting a sequence: 10 shots of 8 s at 1080p (with sound) stitched into one MP4 by the
worker's code (lib/stitch.py, PyAV) within 1.5× the time Debian's `ffmpeg` takes for its
own concat with the same re-encode (scale/pad to 1920×1080, 24 fps, libx264 veryfast CRF
20, AAC 48 kHz stereo), on the same machine in the same run; and the export's peak memory
flat between 2 and 10 shots (at most 10% more).

Each export runs in a process of its own, so its peak RSS is its own (`ru_maxrss`), and
both sides run one after the other with nothing else on the cores. The shots are made once
with ffmpeg (a test pattern and a tone) and kept in var/bench-shots/.

    .venv/bin/python bench/export.py            # 10 shots of 8 s at 1080p
    .venv/bin/python bench/export.py --short    # 3 shots of 2 s at 1080p (CI)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SHOTS_DIR = ROOT / "var" / "bench-shots"
WIDTH, HEIGHT, FPS = 1920, 1080, 24
TIME_TARGET = 1.5
MEMORY_TARGET = 1.10

FILTER = (
    f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease,"
    f"pad={WIDTH}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={FPS},format=yuv420p"
)

# The worker's export in a process of its own: prints its seconds and peak RSS as JSON.
CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from lib.stitch import Plan, stitch
paths, out, crossfade = json.loads(sys.argv[2]), sys.argv[3], float(sys.argv[4])
start = time.perf_counter()
duration = stitch([(lambda p=p: p) for p in paths], out, Plan(WIDTH, HEIGHT, FPS, crossfade))
print(json.dumps({"seconds": time.perf_counter() - start, "duration": duration,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
""".replace("WIDTH, HEIGHT, FPS", f"{WIDTH}, {HEIGHT}, {FPS}")


def make_shots(count: int, seconds: int) -> list[Path]:
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    shots = []
    for index in range(count):
        path = SHOTS_DIR / f"shot-{WIDTH}x{HEIGHT}-{seconds}s-{index}.mp4"
        if not path.exists():
            part = path.with_suffix(".part.mp4")
            subprocess.run(
                ["ffmpeg", "-loglevel", "error", "-y",
                 "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={seconds}",
                 "-f", "lavfi", "-i", f"sine=frequency={220 + 55 * index}:duration={seconds}",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                 "-c:a", "aac", "-shortest", str(part)],
                check=True,
            )  # fmt: skip
            part.rename(path)
        shots.append(path)
    return shots


def ffmpeg_concat(shots: list[Path], out: Path) -> float:
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{shot}'\n" for shot in shots))
    start = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-vf", FILTER, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
         "-c:a", "aac", "-ar", "48000", "-ac", "2", "-movflags", "+faststart", str(out)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def ours(shots: list[Path], out: Path, crossfade: float = 0.0) -> dict:
    answer = subprocess.run(
        [PYTHON, "-c", CHILD, str(ROOT), json.dumps([str(s) for s in shots]), str(out),
         str(crossfade)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(answer.stdout.strip().splitlines()[-1])


def measure(short: bool) -> dict:
    count, seconds = (3, 2) if short else (10, 8)
    shots = make_shots(count, seconds)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference = ffmpeg_concat(shots, folder / "ffmpeg.mp4")
        mine = ours(shots, folder / "ours.mp4")
        faded = ours(shots, folder / "faded.mp4", 0.5)
        two = ours(shots[:2], folder / "two.mp4")
    return {
        "shots": count,
        "shot_seconds": seconds,
        "ffmpeg_seconds": round(reference, 2),
        "ours_seconds": round(mine["seconds"], 2),
        "ours_crossfade_seconds": round(faded["seconds"], 2),
        "ratio": round(mine["seconds"] / reference, 3),
        "duration": mine["duration"],
        "crossfade_duration": faded["duration"],
        "peak_mib_2_shots": round(two["peak_kib"] / 1024, 1),
        "peak_mib_all_shots": round(mine["peak_kib"] / 1024, 1),
        "peak_mib_all_crossfade": round(faded["peak_kib"] / 1024, 1),
    }


def bench_export(run) -> None:
    """For bench/run.py: the two targets into its report."""
    numbers = measure(run.short)
    run.numbers["export"] = numbers
    shots = f"{numbers['shots']} shots of {numbers['shot_seconds']} s at 1080p"
    run.add(
        f"Export of {shots} (hard cuts) vs ffmpeg concat, same re-encode",
        f"{numbers['ours_seconds']:.1f} s (ffmpeg {numbers['ffmpeg_seconds']:.1f} s)",
        numbers["ratio"],
        f"≤ {TIME_TARGET}×",
        numbers["ratio"] <= TIME_TARGET,
    )
    run.add(
        f"Export of {shots} with 0.5 s crossfades",
        f"{numbers['ours_crossfade_seconds']:.1f} s",
        numbers["ours_crossfade_seconds"] / numbers["ffmpeg_seconds"],
        "reported",
        None,
    )
    growth = numbers["peak_mib_all_shots"] / numbers["peak_mib_2_shots"]
    run.add(
        f"Export peak memory, 2 shots → {numbers['shots']} shots",
        f"{numbers['peak_mib_2_shots']:.0f} → {numbers['peak_mib_all_shots']:.0f} MiB",
        growth,
        f"≤ {MEMORY_TARGET}× (flat)",
        growth <= MEMORY_TARGET,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="3 shots of 2 s (CI)")
    args = parser.parse_args()
    numbers = measure(args.short)
    print(json.dumps(numbers, indent=2))
    time_ok = numbers["ratio"] <= TIME_TARGET
    memory_ok = numbers["peak_mib_all_shots"] <= numbers["peak_mib_2_shots"] * MEMORY_TARGET
    return 0 if time_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
