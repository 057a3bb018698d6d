"""Benchmark: bplib's vectorised convolution and pooling against its naive loops and PyTorch.

    python -m bplib.bench [--out book/data/bench.json] [--quick] [--threads T] [--no-torch]
                          [--only layers|tensor]

In one run it times, in float64 (book: chapter 9):

- ``Conv2d`` forward + backward (dx, dW, db) on three LeNet-like sizes;
- ``MaxPool2d(2)`` and ``AvgPool2d(2)`` forward + backward;
- one training epoch of a small LeNet-style CNN on scikit-learn's 8×8 digits (N, 1, 8, 8),
  mini-batches of 32, cross-entropy and SGD;

each for bplib's vectorised layers, bplib's naive loop references (one run: they are slow) and
PyTorch on the CPU with the same number of threads (skipped if torch is not installed), and
prints a table of median times and ratios. ``--out`` writes every number, with the machine,
the versions and the thread count, to a JSON file that chapter 9 shows.

It also times the cost of generality (book: chapter 11): the layers rebuilt from
:mod:`bplib.tensor` operations (:mod:`bplib.tensor_nn`) against the hand-derived layers, in the
same run, on a convolution, a max pooling, a forward and backward pass of chapter 10's CNN and
one training epoch of the small CNN above (``tensor_cases`` in the JSON; ``--only tensor`` runs
only these, ``--only layers`` only the others).

The timings are medians over several repeats, taken in alternating blocks (bplib, then
PyTorch, then bplib, …) with a short pause between blocks: the numbers are meant for ratios
measured under the same conditions, not as absolute speeds of the machine. They are never
asserted by the tests (``tests/test_bench.py`` only runs ``--quick`` and checks the JSON).
"""

from __future__ import annotations

import os
import sys


def _requested_threads(argv) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


# numpy's BLAS reads its thread count once, when numpy is first imported: set it before.
if __name__ == "__main__" and "numpy" not in sys.modules:
    _t = _requested_threads(sys.argv[1:])
    if _t is not None:
        for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[_var] = _t

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import bplib  # noqa: E402
from bplib.layers.conv import Conv2d, conv2d_backward_naive, conv2d_forward_naive  # noqa: E402
from bplib.layers.pooling import (  # noqa: E402
    AvgPool2d,
    MaxPool2d,
    avgpool2d_backward_naive,
    avgpool2d_forward_naive,
    maxpool2d_backward_naive,
    maxpool2d_forward_naive,
)

SCHEMA = 1

# (name, x shape, W shape, padding)
CONV_CASES = [
    ("conv 28x28, 1->6, 5x5", (64, 1, 28, 28), (6, 1, 5, 5), 0),
    ("conv 32x32, 3->16, 3x3 pad 1", (50, 3, 32, 32), (16, 3, 3, 3), 1),
    ("conv 12x12, 6->16, 5x5", (64, 6, 12, 12), (16, 6, 5, 5), 0),
]
CONV_CASES_QUICK = [
    ("conv 10x10, 1->2, 5x5", (4, 1, 10, 10), (2, 1, 5, 5), 0),
    ("conv 8x8, 3->4, 3x3 pad 1", (3, 3, 8, 8), (4, 3, 3, 3), 1),
]
# (name, layer class, x shape)
POOL_CASES = [
    ("maxpool 2x2 on (64,6,24,24)", "MaxPool2d", (64, 6, 24, 24)),
    ("avgpool 2x2 on (64,6,24,24)", "AvgPool2d", (64, 6, 24, 24)),
    ("maxpool 2x2 on (64,16,8,8)", "MaxPool2d", (64, 16, 8, 8)),
    ("avgpool 2x2 on (64,16,8,8)", "AvgPool2d", (64, 16, 8, 8)),
]
POOL_CASES_QUICK = [
    ("maxpool 2x2 on (4,2,8,8)", "MaxPool2d", (4, 2, 8, 8)),
    ("avgpool 2x2 on (4,2,8,8)", "AvgPool2d", (4, 2, 8, 8)),
]
TARGETS = {"conv": 1.5, "pool": 2.0, "epoch": 2.0}  # max bplib/torch time ratio
NAIVE_TARGET = 100.0  # min naive/bplib time ratio


# --- timing -----------------------------------------------------------------------------------


def _measure(contestants: dict, *, repeats: int, rounds: int, pause: float) -> tuple[dict, dict]:
    """Median and minimum seconds of each callable, timed in alternating blocks.

    Each contestant runs once untimed (warm-up), then ``rounds`` times a block of
    ``repeats // rounds`` timed calls; a pause between blocks lets the worker threads of one
    library (OpenBLAS, OpenMP) go idle before the other library runs.
    """
    per_block = max(1, repeats // rounds)
    samples = {name: [] for name in contestants}
    for fn in contestants.values():
        fn()
    for _ in range(rounds):
        for name, fn in contestants.items():
            time.sleep(pause)
            for _ in range(per_block):
                t0 = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - t0)
    medians = {name: float(np.median(s)) for name, s in samples.items()}
    minima = {name: float(np.min(s)) for name, s in samples.items()}
    return medians, minima


def _once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _row(name, kind, config, timed, target, *, judge, naive=None, extra=None):
    """One case of the report: median times, their ratios, the targets and whether they hold
    (``judge`` False, for --quick's tiny sizes, leaves ``met`` as None)."""
    times, minima = timed
    bp, tor = times.get("bplib"), times.get("torch")
    ratios = {
        "naive_over_bplib": naive / bp if naive is not None else None,
        "bplib_over_torch": bp / tor if tor is not None else None,
    }
    met = {
        "naive_over_bplib": None if naive is None or not judge
        else ratios["naive_over_bplib"] >= NAIVE_TARGET,
        "bplib_over_torch": None if tor is None or not judge
        else ratios["bplib_over_torch"] <= target,
    }
    row = {
        "name": name,
        "kind": kind,
        "config": config,
        "times_s": {"bplib": bp, "naive": naive, "torch": tor},
        "min_times_s": {"bplib": minima.get("bplib"), "torch": minima.get("torch")},
        "ratios": ratios,
        "targets": {"naive_over_bplib_min": NAIVE_TARGET if naive is not None else None,
                    "bplib_over_torch_max": target},
        "met": met,
    }
    row.update(extra or {})
    return row


# --- the cases -----------------------------------------------------------------------------------


def bench_conv(name, x_shape, w_shape, padding, *, torch, opts, judge=True):
    rng = np.random.default_rng(0)
    f, c, kh, kw = w_shape
    layer = Conv2d(c, f, (kh, kw), padding=padding, rng=rng)
    x = rng.standard_normal(x_shape)
    dout = rng.standard_normal(layer.forward(x).shape)
    W, b = layer.params["W"], layer.params["b"]

    def run_bplib():
        layer.forward(x)
        return layer.backward(dout)

    contestants = {"bplib": run_bplib}
    extra = {}
    if torch is not None:
        tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
        tdout = torch.tensor(dout)

        def run_torch():
            out = torch.nn.functional.conv2d(tx, tW, tb, padding=padding)
            return torch.autograd.grad(out, (tx, tW, tb), tdout)

        t_dx, t_dW, t_db = (g.numpy() for g in run_torch())
        dx = run_bplib()
        extra["max_abs_diff_vs_torch"] = float(max(
            np.abs(dx - t_dx).max(), np.abs(layer.grads["W"] - t_dW).max(),
            np.abs(layer.grads["b"] - t_db).max()))
        contestants["torch"] = run_torch
    timed = _measure(contestants, **opts)
    naive = _once(lambda: (conv2d_forward_naive(x, W, b, 1, padding),
                           conv2d_backward_naive(dout, x, W, 1, padding)))
    config = {"x": list(x_shape), "W": list(w_shape), "stride": 1, "padding": padding}
    return _row(name, "conv", config, timed, TARGETS["conv"], judge=judge, naive=naive,
                extra=extra)


def bench_pool(name, cls_name, x_shape, *, torch, opts, judge=True):
    rng = np.random.default_rng(0)
    layer = {"MaxPool2d": MaxPool2d, "AvgPool2d": AvgPool2d}[cls_name](2)
    # distinct values: no ties, so every library picks the same maximum
    x = rng.permutation(int(np.prod(x_shape))).reshape(x_shape) / 7.0
    dout = rng.standard_normal(layer.forward(x).shape)

    def run_bplib():
        layer.forward(x)
        return layer.backward(dout)

    contestants = {"bplib": run_bplib}
    extra = {}
    if torch is not None:
        fn = {"MaxPool2d": torch.nn.functional.max_pool2d,
              "AvgPool2d": torch.nn.functional.avg_pool2d}[cls_name]
        tx, tdout = torch.tensor(x, requires_grad=True), torch.tensor(dout)

        def run_torch():
            return torch.autograd.grad(fn(tx, 2), tx, tdout)[0]

        extra["max_abs_diff_vs_torch"] = float(np.abs(run_bplib() - run_torch().numpy()).max())
        contestants["torch"] = run_torch
    timed = _measure(contestants, **opts)
    if cls_name == "MaxPool2d":
        naive = _once(lambda: (maxpool2d_forward_naive(x, 2),
                               maxpool2d_backward_naive(dout, x, 2)))
    else:
        naive = _once(lambda: (avgpool2d_forward_naive(x, 2),
                               avgpool2d_backward_naive(dout, x.shape, 2)))
    config = {"x": list(x_shape), "kernel_size": 2, "stride": 2}
    return _row(name, "pool", config, timed, TARGETS["pool"], judge=judge, naive=naive,
                extra=extra)


def _lenet_bplib(rng):
    from bplib.layers import Flatten, Linear, ReLU
    from bplib.network import Sequential

    return Sequential(
        Conv2d(1, 8, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),    # (N, 8, 4, 4)
        Conv2d(8, 16, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),   # (N, 16, 2, 2)
        Flatten(), Linear(64, 64, rng=rng), ReLU(), Linear(64, 10, rng=rng),
    )


def _lenet_torch(torch, model):
    nn = torch.nn
    t_model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10),
    ).double()
    ours = [layer for layer in model.layers if layer.params]
    theirs = [m for m in t_model if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        for a, m in zip(ours, theirs, strict=True):
            m.weight.copy_(torch.from_numpy(a.params["W"]))
            m.bias.copy_(torch.from_numpy(a.params["b"]))
    return t_model


def bench_lenet_epoch(*, torch, opts, quick, lr=0.1, batch_size=32):
    from bplib.data import load_digits
    from bplib.losses import CrossEntropyLoss
    from bplib.optim import SGD

    X, y, _, _ = load_digits(as_images=True)
    if quick:
        X, y = X[:96], y[:96]
    order = np.random.default_rng(0).permutation(len(X))
    batches = [(X[order[i:i + batch_size]], y[order[i:i + batch_size]])
               for i in range(0, len(X), batch_size)]
    model = _lenet_bplib(np.random.default_rng(0))
    loss_fn = CrossEntropyLoss()
    opt = SGD(model, lr=lr)

    def run_bplib():
        total = 0.0
        for xb, yb in batches:
            total += loss_fn.forward(model.forward(xb), yb) * len(yb)
            model.backward(loss_fn.backward())
            opt.step()
        return total / len(X)

    contestants = {"bplib": run_bplib}
    extra = {}
    if torch is not None:
        t_model = _lenet_torch(torch, model)  # the same initial weights
        t_loss = torch.nn.CrossEntropyLoss()
        t_opt = torch.optim.SGD(t_model.parameters(), lr=lr)
        t_batches = [(torch.from_numpy(xb), torch.from_numpy(yb)) for xb, yb in batches]

        def run_torch():
            total = 0.0
            for xb, yb in t_batches:
                t_opt.zero_grad()
                loss = t_loss(t_model(xb), yb)
                loss.backward()
                t_opt.step()
                total += loss.item() * len(yb)
            return total / len(X)

        # first epoch from the same weights on the same batches: the same training
        ours, theirs = run_bplib(), run_torch()
        extra["first_epoch_mean_loss"] = {"bplib": ours, "torch": theirs}
        extra["first_epoch_loss_abs_diff"] = abs(ours - theirs)
        contestants["torch"] = run_torch
    epoch_opts = dict(opts, repeats=max(opts["rounds"], opts["repeats"] // 4))
    timed = _measure(contestants, **epoch_opts)
    config = {"model": "Conv2d(1,8,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(8,16,3,p=1)-ReLU-"
                       "MaxPool2d(2)-Flatten-Linear(64,64)-ReLU-Linear(64,10)",
              "data": f"scikit-learn digits as (N, 1, 8, 8), N = {len(X)}",
              "batch_size": batch_size, "optimizer": f"SGD(lr={lr})",
              "loss": "CrossEntropyLoss", "batches": len(batches)}
    return _row("LeNet epoch on digits", "epoch", config, timed, TARGETS["epoch"],
                judge=not quick, extra=extra)


# --- the cost of generality: Tensor layers (bplib.tensor_nn) vs hand-derived layers -----------


def layers_cache_bytes(model) -> int:
    """Bytes of the distinct arrays the layers' caches hold (parameters and input excluded).

    The hand-derived counterpart of :func:`bplib.tensor.graph_stats`: what a forward pass
    through ``model`` (a :class:`bplib.network.Sequential`) keeps for its backward pass.
    """
    params = {id(_owner(v)) for layer in model.layers for v in layer.params.values()}
    owners: dict[int, int] = {}
    stack = [layer.cache for layer in model.layers]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple | list):
            stack.extend(item)
        elif isinstance(item, np.ndarray):
            owner = _owner(item)
            if id(owner) not in params:
                owners[id(owner)] = owner.nbytes
    return sum(owners.values())


def _owner(array):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _tensor_row(name, config, timed, *, max_abs_diff, extra=None):
    times, minima = timed
    row = {
        "name": name,
        "kind": "tensor",
        "config": config,
        "times_s": {"layers": times["layers"], "tensor": times["tensor"]},
        "min_times_s": {"layers": minima["layers"], "tensor": minima["tensor"]},
        "ratio_tensor_over_layers": times["tensor"] / times["layers"],
        "max_abs_diff": max_abs_diff,  # the gradients (or weights) of the two, compared
    }
    row.update(extra or {})
    return row


def bench_tensor_layer(name, layer, tensor_fn, x, *, opts):
    """One layer forward + backward: the hand-derived layer against its Tensor version."""
    from bplib.tensor import Tensor

    rng = np.random.default_rng(1)
    dout = rng.standard_normal(layer.forward(x).shape)
    params = layer.params

    def run_layers():
        layer.forward(x)
        return layer.backward(dout)

    def run_tensor():
        xt = Tensor(x, requires_grad=True)
        leaves = {k: Tensor(v, requires_grad=True) for k, v in params.items()}
        tensor_fn(xt, **leaves).backward(dout)
        return xt, leaves

    xt, leaves = run_tensor()
    dx = run_layers()
    diff = max([float(np.abs(xt.grad - dx).max())]
               + [float(np.abs(leaves[k].grad - layer.grads[k]).max()) for k in leaves])
    timed = _measure({"layers": run_layers, "tensor": run_tensor}, **opts)
    config = {"x": list(x.shape), "layer": repr(layer)}
    return _tensor_row(name, config, timed, max_abs_diff=diff)


def _cnn(kind, widths, rng):
    """Chapter 10's CNN built from bplib.layers (``kind="layers"``) or bplib.tensor_nn."""
    if kind == "tensor":
        from bplib import tensor_nn as m
        from bplib.tensor_nn import Sequential
    else:
        from bplib import layers as m
        from bplib.network import Sequential
    c1, c2, hidden = widths
    return Sequential(
        m.Conv2d(1, c1, 3, padding=1, rng=rng), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(c1, c2, 3, padding=1, rng=rng), m.ReLU(), m.MaxPool2d(2),
        m.Flatten(), m.Linear(4 * c2, hidden, rng=rng), m.ReLU(), m.Linear(hidden, 10, rng=rng),
    )


def bench_tensor_cnn(*, opts, quick, widths=(16, 32, 128), batch=64):
    """Chapter 10's CNN, forward + loss + backward on a batch of digits, both ways; and what
    each keeps in memory for its backward pass."""
    from bplib import tensor_nn
    from bplib.data import load_digits
    from bplib.losses import CrossEntropyLoss
    from bplib.tensor import Tensor, graph_stats

    X, y, _, _ = load_digits(as_images=True)
    xb, yb = X[:batch], y[:batch]
    if quick:
        widths, xb, yb = (2, 3, 8), xb[:8], yb[:8]
    model = _cnn("layers", widths, np.random.default_rng(0))
    ours = _cnn("tensor", widths, np.random.default_rng(0))
    loss_fn = CrossEntropyLoss()

    def run_layers():
        loss_fn.forward(model.forward(xb), yb)
        return model.backward(loss_fn.backward())

    def forward_tensor():
        ours.zero_grad()
        return tensor_nn.cross_entropy(ours(Tensor(xb)), yb)

    def run_tensor():
        forward_tensor().backward()

    run_layers()
    loss = forward_tensor()
    stats = graph_stats(loss)
    loss.backward()
    diff = max(float(np.abs(ours[i].grads[key] - layer.grads[key]).max())
               for i, layer in enumerate(model.layers) for key in layer.params)
    timed = _measure({"layers": run_layers, "tensor": run_tensor}, **opts)
    layers_kept = layers_cache_bytes(model)
    memory = {
        "tensor_nodes": stats.nodes,
        "tensor_ops": stats.ops,
        "layers": len(model.layers) + 1,  # the layers and the loss
        "tensor_bytes_kept": stats.bytes_kept - stats.leaf_bytes,
        "layers_bytes_kept": layers_kept,
    }
    config = {"model": f"chapter 10's CNN, widths {list(widths)}",
              "x": list(xb.shape), "loss": "cross-entropy"}
    return _tensor_row(f"CNN fwd+bwd, batch {len(xb)}", config, timed, max_abs_diff=diff,
                       extra={"memory": memory})


def bench_tensor_epoch(*, opts, quick, lr=0.1, batch_size=32):
    """One SGD epoch of the small CNN of :func:`bench_lenet_epoch` on the digits, both ways
    from the same weights on the same batches; ``max_abs_diff`` compares the final weights."""
    from bplib import tensor_nn
    from bplib.data import load_digits
    from bplib.losses import CrossEntropyLoss
    from bplib.optim import SGD

    X, y, _, _ = load_digits(as_images=True)
    if quick:
        X, y = X[:96], y[:96]
    order = np.random.default_rng(0).permutation(len(X))
    batches = [(X[order[i:i + batch_size]], y[order[i:i + batch_size]])
               for i in range(0, len(X), batch_size)]
    model = _cnn("layers", (8, 16, 64), np.random.default_rng(0))
    ours = _cnn("tensor", (8, 16, 64), np.random.default_rng(0))
    loss_fn = CrossEntropyLoss()
    opt, opt_ours = SGD(model, lr=lr), SGD(ours, lr=lr)

    def run_layers():
        for xb, yb in batches:
            loss_fn.forward(model.forward(xb), yb)
            model.backward(loss_fn.backward())
            opt.step()

    def run_tensor():
        for xb, yb in batches:
            ours.zero_grad()
            tensor_nn.cross_entropy(ours(xb), yb).backward()
            opt_ours.step()

    run_layers()
    run_tensor()  # the same first epoch: the same weights after it
    theirs_w = model.state_dict()
    diff = max(float(np.abs(v - theirs_w[k]).max()) for k, v in ours.state_dict().items())
    epoch_opts = dict(opts, repeats=max(opts["rounds"], opts["repeats"] // 4))
    timed = _measure({"layers": run_layers, "tensor": run_tensor}, **epoch_opts)
    config = {"model": "the LeNet-style CNN of the 'LeNet epoch on digits' case",
              "data": f"scikit-learn digits as (N, 1, 8, 8), N = {len(X)}",
              "batch_size": batch_size, "optimizer": f"SGD(lr={lr})",
              "batches": len(batches)}
    return _tensor_row("LeNet epoch on digits", config, timed, max_abs_diff=diff)


def tensor_cases(*, opts, quick, log=print) -> list[dict]:
    from bplib import tensor_nn

    rng = np.random.default_rng(0)
    n = 4 if quick else 64
    rows = []
    log("  tensor: conv ...")
    conv = Conv2d(6, 16, 5, rng=rng)
    rows.append(bench_tensor_layer(
        f"conv 12x12, 6->16, 5x5, batch {n}", conv,
        lambda x, W, b: tensor_nn.conv2d(x, W, b), rng.standard_normal((n, 6, 12, 12)),
        opts=opts))
    log("  tensor: maxpool ...")
    x = rng.permutation(n * 6 * 24 * 24).reshape(n, 6, 24, 24) / 7.0  # no ties
    rows.append(bench_tensor_layer(f"maxpool 2x2 on ({n},6,24,24)", MaxPool2d(2),
                                   lambda t: tensor_nn.max_pool2d(t, 2), x, opts=opts))
    log("  tensor: CNN forward and backward ...")
    rows.append(bench_tensor_cnn(opts=opts, quick=quick))
    log("  tensor: LeNet epoch ...")
    rows.append(bench_tensor_epoch(opts=opts, quick=quick))
    return rows


# --- report ---------------------------------------------------------------------------------------


def _loadavg() -> float | None:
    """The 1-minute load average (other processes compete for the cores), if known."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _busy_fraction(seconds: float = 1.0) -> float | None:
    """Fraction of all cores busy over ``seconds`` (Linux /proc/stat), before we run anything:
    other processes competing for the CPU make every time (and less so every ratio) noisy."""
    def ticks():
        with open("/proc/stat", encoding="utf-8") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values[:3]) + sum(values[5:8]), sum(values)  # busy, total

    try:
        busy0, total0 = ticks()
        time.sleep(seconds)
        busy1, total1 = ticks()
    except (OSError, ValueError):
        return None
    return round((busy1 - busy0) / max(total1 - total0, 1), 3)


def _machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "system": platform.system(),
            "machine": platform.machine(), "python": platform.python_version()}


def _fmt_ms(t):
    return "-" if t is None else f"{t * 1e3:.2f}"


def _fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}" if r < 100 else f"{r:.0f}"


def format_table(report: dict) -> str:
    head = (f"{'case':<32} {'bplib ms':>9} {'naive ms':>10} {'torch ms':>9} "
            f"{'naive/bplib':>11} {'bplib/torch':>11}  target")
    lines = [head, "-" * len(head)]
    for row in report["cases"]:
        t, r = row["times_s"], row["ratios"]
        target = f"<= {row['targets']['bplib_over_torch_max']}x torch"
        if row["targets"]["naive_over_bplib_min"] is not None:
            target = f">= {NAIVE_TARGET:.0f}x naive, " + target
        flags = [v for v in row["met"].values() if v is not None]
        mark = "" if not flags else ("  ok" if all(flags) else "  MISSED")
        lines.append(
            f"{row['name']:<32} {_fmt_ms(t['bplib']):>9} {_fmt_ms(t['naive']):>10} "
            f"{_fmt_ms(t['torch']):>9} {_fmt_ratio(r['naive_over_bplib']):>11} "
            f"{_fmt_ratio(r['bplib_over_torch']):>11}  {target}{mark}"
        )
    return "\n".join(lines)


def format_tensor_table(report: dict) -> str:
    """The Tensor-versus-layers cases as a table of at most 78 characters a line."""
    head = (f"{'Tensor layers vs hand-derived':<32} {'layers ms':>9} {'Tensor ms':>9} "
            f"{'ratio':>6} {'max diff':>9}")
    lines = [head, "-" * len(head)]
    for row in report.get("tensor_cases", []):
        t = row["times_s"]
        lines.append(f"{row['name']:<32} {_fmt_ms(t['layers']):>9} {_fmt_ms(t['tensor']):>9} "
                     f"{row['ratio_tensor_over_layers']:>6.2f} {row['max_abs_diff']:>9.1e}")
    return "\n".join(lines)


def _blas_threads(threads: int):
    """A context that gives numpy's BLAS ``threads`` threads (threadpoolctl, when installed),
    and a function telling how many it has."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:  # the environment variables set at start-up are all we have
        return contextlib.nullcontext(), lambda: None

    def current():
        counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        return max(counts) if counts else None

    return threadpool_limits(limits=threads, user_api="blas"), current


def run(*, quick: bool = False, threads: int | None = None, use_torch: bool = True,
        repeats: int | None = None, only: str | None = None, log=print) -> dict:
    """Run every case (``only="layers"`` or ``"tensor"``: one part) and return the report
    (the dict written as JSON)."""
    threads = threads or os.cpu_count() or 1
    torch = None
    if use_torch:
        try:
            import torch
        except ImportError:
            torch = None
    if torch is None:
        log("PyTorch is not installed (or --no-torch): the PyTorch column is skipped.")
    else:
        torch.set_num_threads(threads)
    opts = {"repeats": repeats or (3 if quick else 30), "rounds": 1 if quick else 6,
            "pause": 0.0 if quick else 0.1}
    load_before, busy_before = _loadavg(), _busy_fraction(0.2 if quick else 1.0)
    cases, t_cases = [], []
    limits, blas_threads = _blas_threads(threads)
    with limits:  # numpy's BLAS gets the same number of threads as PyTorch
        numpy_threads = blas_threads()
        if only != "tensor":
            cases = _layer_cases(torch=torch, opts=opts, quick=quick, log=log)
        if only != "layers":
            t_cases = tensor_cases(opts=opts, quick=quick, log=log)
    return {
        "schema": SCHEMA,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "dtype": "float64",
        "machine": dict(_machine(), loadavg_1min_before=load_before,
                        loadavg_1min_after=_loadavg(), cpu_busy_before=busy_before),
        "versions": {"bplib": bplib.__version__, "numpy": np.__version__,
                     "torch": None if torch is None else torch.__version__},
        "threads": {"requested": threads,
                    "torch": None if torch is None else torch.get_num_threads(),
                    "numpy_blas": numpy_threads,
                    "numpy_blas_env": os.environ.get("OPENBLAS_NUM_THREADS")},
        "timing": dict(opts, statistic="median", naive="one run"),
        "torch_skipped": torch is None,
        "cases": cases,
        "tensor_cases": t_cases,
    }


def _layer_cases(*, torch, opts, quick, log) -> list[dict]:
    cases = []
    for name, xs, ws, pad in CONV_CASES_QUICK if quick else CONV_CASES:
        log(f"  {name} ...")
        cases.append(bench_conv(name, xs, ws, pad, torch=torch, opts=opts, judge=not quick))
    for name, cls_name, xs in POOL_CASES_QUICK if quick else POOL_CASES:
        log(f"  {name} ...")
        cases.append(bench_pool(name, cls_name, xs, torch=torch, opts=opts, judge=not quick))
    log("  LeNet epoch on digits ...")
    cases.append(bench_lenet_epoch(torch=torch, opts=opts, quick=quick))
    return cases


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bplib.bench",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for PyTorch and numpy's BLAS (default: every core)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per contestant")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch column")
    parser.add_argument("--only", choices=["layers", "tensor"], default=None,
                        help="only the layer cases (chapter 9) or only the Tensor-versus-layers "
                             "cases (chapter 11)")
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    print(f"bplib {bplib.__version__} benchmark, float64{' (quick)' if args.quick else ''}")
    report = run(quick=args.quick, threads=args.threads, use_torch=not args.no_torch,
                 repeats=args.repeats, only=args.only)
    threads, versions = report["threads"], report["versions"]
    print(f"threads: {threads['requested']} (numpy's BLAS: {threads['numpy_blas'] or 'default'}), "
          f"numpy {versions['numpy']}, torch {versions['torch'] or 'not used'}")
    if report["cases"]:
        print(format_table(report))
    if report["tensor_cases"]:
        print(format_tensor_table(report))
    busy = report["machine"]["cpu_busy_before"]
    if busy is not None and busy > 0.25:
        print(f"warning: {busy:.0%} of the CPU was busy with other processes just before the "
              f"run: the times (and less so the ratios) are noisy; rerun on an idle machine.")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
