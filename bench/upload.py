"""Benchmark: resumable uploads through the tus endpoint, against `shopwatch serve` on this machine.

    uv run python bench/upload.py                   # 1 GB and 4 GB, uvicorn (what `shopwatch serve` runs)
    uv run python bench/upload.py --sizes 1 --chunk-mb 64 --server gunicorn --workers 2 --threads 4

For each size: a file of that many GiB (an MP4 container: ftyp box, then one mdat box of random bytes)
is made in a fresh data directory; the machine's own speed is measured in the same run as the time of
``cat FILE > /dev/null`` plus the time of ``sha256sum FILE``; after a few small uploads have warmed every
worker process, the file is sent with tuspy (a real
tus client) to ``/api/v1/uploads`` on ``shopwatch serve`` (uvicorn by default). Reported:

* upload seconds (POST to the PATCH that makes it evidence) and MB/s;
* the ratio (cat + sha256sum seconds) / (upload seconds): 1.0 would mean the upload costs the same as
  reading and hashing the file once; the target is at least 0.5;
* the server's peak memory: the highest VmHWM of the web server's processes (target: flat, < 300 MB);
* that the stored evidence's SHA-256 equals sha256sum's.

Then thumbnail generation for a 12-megapixel photo (4000x3000 JPEG): the median of 5 runs of the same
function the thumbnail view uses. The load generator runs on the same machine and takes CPU from the
server. Results are printed and written to bench/results/upload-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _harness import wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
UV = shutil.which("uv") or "uv"
GiB = 1024**3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_file(path: Path, size: int) -> None:
    """An MP4-shaped file of exactly ``size`` bytes: an ftyp box, then one 64-bit-sized mdat box."""
    ftyp = struct.pack(">I", 24) + b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isommp41"
    header = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", size - len(ftyp))
    block = os.urandom(64 * 1024 * 1024)
    with path.open("wb") as f:
        f.write(ftyp + header)
        left = size - len(ftyp) - len(header)
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n


def timed(cmd: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, out


def prepare(env: dict[str, str]) -> dict[str, Any]:
    subprocess.run([UV, "run", "--no-sync", "shopwatch", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    script = """
import json, django
django.setup()
from shopwatch.core.apikeys import apikey_create
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import Channel, User
from tests.world import build_world
w = build_world()
incident = w.report("security", "nw-brighton")
user = User.objects.get(pk=w.users["security"].pk)
new = apikey_create(viewer=Viewer(user_id=None, channel=Channel.CLI), user=user, name="bench")
print(json.dumps({"key": new.secret, "incident": incident.pk}))
"""
    out = subprocess.run(
        [UV, "run", "--no-sync", "python", "-c", script],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def start_server(
    env: dict[str, str], port: int, workers: int, threads: int, log: Path, server: str
) -> subprocess.Popen[bytes]:
    """`shopwatch serve` (what production runs: uvicorn by default, or `--server gunicorn`), without the
    task worker and scheduler (the benchmark runs background tasks in the request)."""
    cmd = [
        UV,
        "run",
        "--no-sync",
        "shopwatch",
        "serve",
        "--server",
        server,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--no-task-worker",
        "--no-scheduler",
    ]
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    wait_until_answering(proc, port, log, path="/api/v1/uploads", method="OPTIONS", status=204, timeout=60)
    return proc


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                children = Path(f"/proc/{p}/task/{task}/children").read_text().split()
                for c in children:
                    found.append(int(c))
                    stack.append(int(c))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


def cpu_seconds(pids: list[int], fields_wanted: tuple[int, ...] = (11, 12)) -> float:
    """CPU time the processes have used so far (from /proc/PID/stat): user + system by default."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(fields[i]) for i in fields_wanted)  # 11 utime, 12 stime
    return total / tick


def is_web_process(pid: int) -> bool:
    """A process of the web server: gunicorn's or uvicorn's (uvicorn's workers are multiprocessing spawns)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\x00", b" ")
    except FileNotFoundError:
        return False
    return any(mark in cmdline for mark in (b"gunicorn", b"uvicorn", b"spawn_main"))


class MemoryWatch(threading.Thread):
    """Samples the web server processes' VmHWM (peak resident memory) every 100 ms while an upload runs."""

    def __init__(self, root_pid: int) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.peak_kb: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.1)

    def sample(self) -> None:
        for pid in descendants(self.root_pid):
            if is_web_process(pid):
                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), status_kb(pid, "VmHWM"))


def upload(base: str, key: str, incident: int, path: Path, chunk: int) -> tuple[float, dict[str, str]]:
    from tusclient.client import TusClient

    client = TusClient(f"{base}/api/v1/uploads", headers={"Authorization": f"Bearer {key}"})
    last: dict[str, str] = {}
    start = time.perf_counter()
    uploader = client.uploader(
        str(path),
        chunk_size=chunk,
        metadata={"incident": str(incident), "filename": path.name, "filetype": "video/mp4"},
    )
    uploader.upload()
    elapsed = time.perf_counter() - start
    if uploader.request is not None:
        last = dict(uploader.request.response_headers)
    return elapsed, last


def thumbnail_bench(workdir: Path) -> dict[str, Any]:
    from PIL import Image

    from shopwatch.core.files.thumbnails import make_thumbnail

    photo = workdir / "12mp.jpg"
    w, h = 4000, 3000
    gradient = Image.linear_gradient("L").resize((w, h))
    noise = Image.effect_noise((w, h), 40)
    Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))).save(
        photo, "JPEG", quality=90
    )
    data = photo.read_bytes()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        thumb = make_thumbnail(io.BytesIO(data))
        times.append(time.perf_counter() - start)
        assert thumb is not None
    return {
        "photo_pixels": w * h,
        "photo_bytes": len(data),
        "thumbnail_bytes": len(thumb or b""),
        "median_ms": round(statistics.median(times) * 1000, 1),
        "runs_ms": [round(t * 1000, 1) for t in times],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=float, nargs="+", default=[1, 4], help="file sizes in GiB (default 1 4)")
    p.add_argument("--chunk-mb", type=int, default=128, help="tuspy chunk (bytes per PATCH), MiB")
    p.add_argument(
        "--server", choices=["uvicorn", "gunicorn"], default="uvicorn", help="as `shopwatch serve`"
    )
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--keep", action="store_true", help="keep the data directory")
    args = p.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="shopwatch-bench-upload-"))
    env = {
        **os.environ,
        "SHOPWATCH_DATA_DIR": str(workdir / "data"),
        "SHOPWATCH_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "shopwatch.settings",
        "SHOPWATCH_API_RATE_LIMIT": "1000000",
        "SHOPWATCH_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
    }
    env.pop("DATABASE_URL", None)
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(),
        "cpus": os.cpu_count(),
        "server": f"shopwatch serve --server {args.server} --workers {args.workers} --threads {args.threads}",
        "client": f"tuspy, {args.chunk_mb} MiB per PATCH",
        "uploads": [],
    }
    proc = None
    try:
        world = prepare(env)
        port = free_port()
        proc = start_server(env, port, args.workers, args.threads, workdir / "server.log", args.server)
        base = f"http://127.0.0.1:{port}"
        print(f"server: {results['server']} on {base}; data dir {workdir}; {os.cpu_count()} CPUs")
        # Warm every worker process (imports, first queries) with small uploads, as a running server is.
        warm = workdir / "warm-up.mp4"
        make_file(warm, 4 * 1024 * 1024)
        for _ in range(2 * args.workers):
            upload(base, world["key"], world["incident"], warm, 1024 * 1024)
            make_file(warm, 4 * 1024 * 1024)  # new random bytes: a new file each time
        warm.unlink()
        for gib in args.sizes:
            size = int(gib * GiB)
            path = workdir / f"cctv-{gib:g}GiB.mp4"
            make_file(path, size)
            os.sync()  # the new file's own write-back must not compete with the upload being measured
            t_cat, _ = timed(f"cat '{path}' > /dev/null")  # first read also warms the page cache
            t_cat, _ = timed(f"cat '{path}' > /dev/null")
            t_sha, out = timed(f"sha256sum '{path}'")
            expected = out.split()[0]
            watch = MemoryWatch(proc.pid)
            watch.sample()
            before_kb = max(watch.peak_kb.values(), default=0)
            web = [p for p in descendants(proc.pid) if is_web_process(p)]
            server_cpu_before = cpu_seconds(web)
            server_sys_before = cpu_seconds(web, (12,))
            client_before = os.times()
            watch.start()
            t_up, headers = upload(base, world["key"], world["incident"], path, args.chunk_mb * 1024 * 1024)
            client_after = os.times()
            server_cpu = cpu_seconds(web) - server_cpu_before
            server_sys = cpu_seconds(web, (12,)) - server_sys_before
            client_cpu = (client_after.user - client_before.user) + (
                client_after.system - client_before.system
            )
            watch.stop.set()
            watch.join()
            watch.sample()
            sha = headers.get("shopwatch-evidence-sha256", "")
            row = {
                "size_bytes": size,
                "cat_s": round(t_cat, 3),
                "sha256sum_s": round(t_sha, 3),
                "upload_s": round(t_up, 3),
                "upload_MB_per_s": round(size / t_up / 1e6, 1),
                "ratio": round((t_cat + t_sha) / t_up, 3),
                "server_peak_rss_MB": round(max(watch.peak_kb.values(), default=0) / 1024, 1),
                "server_cpu_s": round(server_cpu, 2),
                "server_cpu_system_s": round(server_sys, 2),
                "client_cpu_s": round(client_cpu, 2),
                "server_rss_before_MB": round(before_kb / 1024, 1),
                "evidence_id": headers.get("shopwatch-evidence-id"),
                "sha256_matches": sha == expected,
            }
            results["uploads"].append(row)
            print(
                f"{gib:g} GiB: upload {t_up:.2f} s ({row['upload_MB_per_s']} MB/s); cat {t_cat:.2f} s + "
                f"sha256sum {t_sha:.2f} s; ratio {row['ratio']} (target >= 0.5); server peak RSS "
                f"{row['server_peak_rss_MB']} MB (target < 300); sha256 matches: {row['sha256_matches']}; "
                f"CPU: server {server_cpu:.2f} s ({server_sys:.2f} s in the kernel), "
                f"client {client_cpu:.2f} s"
            )
            path.unlink()
        sys.path.insert(0, str(ROOT))
        results["thumbnail"] = thumbnail_bench(workdir)
        th = results["thumbnail"]
        print(
            f"thumbnail of a 12 MP JPEG ({th['photo_bytes'] / 1e6:.1f} MB): median {th['median_ms']} ms "
            f"over 5 runs {th['runs_ms']}"
        )
    finally:
        if proc is not None:
            stop_server(proc)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path = RESULTS / f"upload-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out_path.write_text(json.dumps(results, indent=2))
    print(f"written to {out_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
