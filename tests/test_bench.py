"""The benchmark script runs (in --quick mode, tiny sizes) and writes the JSON chapters 9 and 11
read.

No timing is asserted: only that every case ran and the report has its structure.
"""

from __future__ import annotations

import json
import math

import pytest

from bplib import bench


def _check_tensor_cases(report):
    names = [row["name"] for row in report["tensor_cases"]]
    assert len(names) == 4 and "LeNet epoch on digits" in names
    for row in report["tensor_cases"]:
        assert row["kind"] == "tensor"
        times = row["times_s"]
        assert times["layers"] > 0 and times["tensor"] > 0
        assert row["ratio_tensor_over_layers"] == pytest.approx(times["tensor"] / times["layers"])
        assert row["max_abs_diff"] < 1e-10  # the same gradients (and, after the epoch, weights)
    memory = next(r["memory"] for r in report["tensor_cases"] if "memory" in r)
    assert memory["tensor_nodes"] > memory["layers"] > 0
    assert memory["tensor_bytes_kept"] > 0 and memory["layers_bytes_kept"] > 0


def _check_report(report, *, with_torch):
    assert report["schema"] == bench.SCHEMA
    assert report["quick"] is True and report["dtype"] == "float64"
    assert set(report["machine"]) >= {"cpu", "cpu_count", "python", "cpu_busy_before"}
    assert report["versions"]["numpy"] and report["versions"]["bplib"]
    assert report["threads"]["requested"] >= 1
    assert report["threads"]["numpy_blas"] in (None, report["threads"]["requested"])
    assert report["torch_skipped"] is (not with_torch)
    kinds = [row["kind"] for row in report["cases"]]
    assert kinds.count("conv") >= 2 and kinds.count("pool") >= 2 and kinds[-1] == "epoch"
    for row in report["cases"]:
        assert set(row) >= {"name", "kind", "config", "times_s", "ratios", "targets", "met"}
        times = row["times_s"]
        assert times["bplib"] > 0 and math.isfinite(times["bplib"])
        if row["kind"] != "epoch":  # the naive loops are timed for every layer case
            assert times["naive"] > 0
            assert row["ratios"]["naive_over_bplib"] == pytest.approx(
                times["naive"] / times["bplib"])
        if with_torch:
            assert times["torch"] > 0
            assert row["ratios"]["bplib_over_torch"] == pytest.approx(
                times["bplib"] / times["torch"])
            if row["kind"] == "epoch":
                # same initial weights, same batches: the same first epoch as PyTorch
                assert row["first_epoch_loss_abs_diff"] < 1e-10
            else:
                assert row["max_abs_diff_vs_torch"] < 1e-10
        else:
            assert times["torch"] is None and row["ratios"]["bplib_over_torch"] is None
        # quick sizes are too small for the targets to mean anything: not judged
        assert all(v is None for v in row["met"].values())


def test_quick_run_writes_the_json(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "data" / "bench.json"
    assert bench.main(["--quick", "--repeats", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "naive/bplib" in printed and "bplib/torch" in printed and "LeNet" in printed
    assert "Tensor layers vs hand-derived" in printed
    report = json.loads(out.read_text())
    _check_report(report, with_torch=True)
    _check_tensor_cases(report)


def test_quick_run_without_torch_skips_the_column(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--repeats", "1", "--no-torch", "--only", "layers",
                       "--out", str(out)]) == 0
    assert "PyTorch column is skipped" in capsys.readouterr().out
    report = json.loads(out.read_text())
    _check_report(report, with_torch=False)
    assert report["tensor_cases"] == []


def test_only_tensor_runs_the_cost_of_generality_cases(tmp_path, capsys):
    out = tmp_path / "bench_tensor.json"
    assert bench.main(["--quick", "--repeats", "1", "--no-torch", "--only", "tensor",
                       "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert all(len(line) <= 78 for line in printed.splitlines() if "ms" in line or "---" in line)
    report = json.loads(out.read_text())
    assert report["cases"] == []
    _check_tensor_cases(report)


def test_table_formatting_marks_missed_targets():
    row = {
        "name": "conv", "kind": "conv", "config": {},
        "times_s": {"bplib": 3e-3, "naive": 1.0, "torch": 1e-3},
        "ratios": {"naive_over_bplib": 333.3, "bplib_over_torch": 3.0},
        "targets": {"naive_over_bplib_min": 100.0, "bplib_over_torch_max": 1.5},
        "met": {"naive_over_bplib": True, "bplib_over_torch": False},
    }
    table = bench.format_table({"cases": [row]})
    assert "MISSED" in table and "3.00" in table and "333" in table
