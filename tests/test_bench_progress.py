"""`make bench` says what it is doing while a bench runs, not only at the end."""

from __future__ import annotations

import importlib.util
import sys

from tests.support import REPO


def _bench_all():
    spec = importlib.util.spec_from_file_location("bench_all", REPO / "bench" / "bench_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_all"] = module
    spec.loader.exec_module(module)
    return module


def test_a_running_bench_reports_elapsed_time_and_its_latest_line(tmp_path):
    bench_all = _bench_all()
    script = tmp_path / "bench_demo.py"
    script.write_text(
        "import sys, time\nprint('warming up', flush=True)\ntime.sleep(0.6)\nprint('RESULT {\"n\": 1}', flush=True)\n",
        encoding="utf-8",
    )
    said: list[str] = []
    bench = bench_all.Bench("demo", [], script=script)

    bench_all.run(bench, False, 2, 3, every=0.2, out_dir=tmp_path / "out", say=said.append)

    assert said[0].startswith("-- [2/3] demo: ")
    assert any(line.startswith("   [2/3] demo: 0 s; warming up") for line in said[1:-1]), said
    assert said[-1].startswith("   [2/3] demo: done in") and bench.code == 0 and bench.result() == {"n": 1}
