"""The headless twin: `python -m lib inspect|demo` as a script would call it."""

import json
import subprocess
import sys
from pathlib import Path

from lib import demo
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_inspect_prints_format_tables_and_findings_of_the_real_online_retail():
    out = run(
        "inspect", str(shared_file("online_retail/online_retail.parquet")), "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["format"] == "retail"
    assert result["tables"]["lines"] == 541_909
    counts = {f["rule"]: f["count"] for f in result["findings"]}
    assert counts["cancellations"] == 9_288
    assert counts["missing_customer"] == 135_080
    assert {"rule", "severity", "count", "share"} <= set(result["findings"][0])


def test_demo_writes_the_source_files_that_inspect_reads_back(tmp_path):
    out = run("demo", "--kind", "retail", "--rows", "2000", "--seed", "3", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    expected = demo.demo("retail", rows=2000, seed=3)
    written = tmp_path / "online_retail.csv"
    assert written.exists()
    result = json.loads(run("inspect", str(written)).stdout)
    assert result["tables"]["lines"] == 2000
    counts = {f["rule"]: f["count"] for f in result["findings"]}
    assert counts.get("cancellations", 0) == expected.planted["cancellations"]


def test_an_unreadable_file_is_one_line_on_stderr_and_exit_status_2(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    out = run("inspect", str(bad))
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and "orders.csv" in out.stderr and "PNG" in out.stderr


def test_a_missing_file_is_named_with_exit_status_2(tmp_path):
    out = run("inspect", str(tmp_path / "nope.csv"))
    assert out.returncode == 2 and "nope.csv: no such file" in out.stderr
