"""The checks of chapter 11's exercises: a right answer passes (and prints its table), the stub
is "not written yet", each known mistake gets its own hint, a wrong shape gets a hint from the
shapes, and the whole-network checks point at the first wrong intermediate."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_contract import contract_tests

from bplib.exercises import ExerciseFailed, ch11

# --- right answers, written as a reader would (independently of bplib) ------------------------


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):  # axes added on the left
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):  # axes of length 1 stretched
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def backprop_loss(logp, y):
    n = len(y)
    dpicked = -np.ones(n) / n
    dlogp = np.zeros_like(logp)
    dlogp[np.arange(n), y] = dpicked
    return dpicked, dlogp


def backprop_normalise(probs, e, total, inv, dlogp):
    dprobs = dlogp / probs
    dinv = np.sum(dprobs * e, axis=1, keepdims=True)
    dtotal = -dinv / total**2
    de = dprobs * inv + dtotal
    return dprobs, dinv, dtotal, de


def backprop_shift(logits, e, de):
    dshifted = de * e
    drow_max = -np.sum(dshifted, axis=1, keepdims=True)
    dlogits = dshifted.copy()
    rows = np.arange(len(logits))
    dlogits[rows, np.argmax(logits, axis=1)] += drow_max[:, 0]
    return dshifted, drow_max, dlogits


def backprop_softmax(probs, dprobs):
    return probs * (dprobs - np.sum(probs * dprobs, axis=1, keepdims=True))


def backprop_linear(h, W, dout):
    return dout @ W, dout.T @ h, dout.sum(axis=0)


def backprop_relu(a, dh):
    return dh * (a > 0)


def mlp_by_hand(v):
    g = {"loss": 1.0}
    g["picked"], g["logp"] = backprop_loss(v["logp"], v["y"])
    g["probs"], g["inv"], g["total"], g["e"] = backprop_normalise(
        v["probs"], v["e"], v["total"], v["inv"], g["logp"])
    g["shifted"], g["row_max"], g["logits"] = backprop_shift(v["logits"], v["e"], g["e"])
    g["z2"] = g["logits"]
    g["h1"], g["W2"], g["b2"] = backprop_linear(v["h1"], v["W2"], g["logits"])
    g["a1"] = backprop_relu(v["a1"], g["h1"])
    g["z1"] = g["a1"]
    g["x"], g["W1"], g["b1"] = backprop_linear(v["x"], v["W1"], g["a1"])
    return g


def backprop_maxpool_windows(windows, dout):
    n, c, oh, ow, kh, kw = windows.shape
    flat = windows.reshape(n, c, oh, ow, kh * kw)
    first = flat.argmax(axis=-1)
    d = np.zeros_like(flat)
    for index in np.ndindex(n, c, oh, ow):
        d[index + (first[index],)] = dout[index]
    return d.reshape(windows.shape)


def backprop_windows(dwindows, x_shape, stride):
    dx = np.zeros(x_shape)
    oh, ow, kh, kw = dwindows.shape[-4:]
    for p in range(oh):
        for q in range(ow):
            dx[..., p * stride : p * stride + kh, q * stride : q * stride + kw] += (
                dwindows[..., p, q, :, :])
    return dx


def backprop_conv_rows(rows, W, dout):
    f = W.shape[0]
    d = dout.transpose(0, 2, 3, 1).reshape(-1, f)  # (N, F, OH, OW) -> (N·OH·OW, F)
    return d @ W.reshape(f, -1), (d.T @ rows).reshape(W.shape), d.sum(axis=0)


def _windows(a, k, s):
    every = np.lib.stride_tricks.sliding_window_view(a, (k, k), axis=(-2, -1))
    return every[..., ::s, ::s, :, :]


def _conv_backward(x, W, dout):
    n, c, h, w = x.shape
    f, _, k, _ = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = _windows(xp, k, 1)
    rows = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * k * k)
    drows, dW, db = backprop_conv_rows(rows, W, dout)
    dwin = drows.reshape(n, h, w, c, k, k).transpose(0, 3, 1, 2, 4, 5)
    dxp = backprop_windows(dwin, xp.shape, 1)
    return dxp[:, :, 1:-1, 1:-1], dW, db


def _pool_backward(x, dout):
    return backprop_windows(backprop_maxpool_windows(_windows(x, 2, 2), dout), x.shape, 2)


def cnn_by_hand(v):
    g = {"loss": 1.0}
    n = len(v["y"])
    probs = np.exp(v["logits"] - v["logits"].max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(n), v["y"]] -= 1
    g["logits"] = probs / n
    g["relu3"], g["W4"], g["b4"] = backprop_linear(v["relu3"], v["W4"], g["logits"])
    g["fc1"] = backprop_relu(v["fc1"], g["relu3"])
    g["flat"], g["W3"], g["b3"] = backprop_linear(v["flat"], v["W3"], g["fc1"])
    g["pool2"] = g["flat"].reshape(v["pool2"].shape)
    g["relu2"] = _pool_backward(v["relu2"], g["pool2"])
    g["conv2"] = backprop_relu(v["conv2"], g["relu2"])
    g["pool1"], g["W2"], g["b2"] = _conv_backward(v["pool1"], v["W2"], g["conv2"])
    g["relu1"] = _pool_backward(v["relu1"], g["pool1"])
    g["conv1"] = backprop_relu(v["conv1"], g["relu1"])
    g["x"], g["W1"], g["b1"] = _conv_backward(v["x"], v["W1"], g["conv1"])
    return g


CHECKS = {
    "unbroadcast": (ch11.unbroadcast, unbroadcast, ch11.HINTS_1),
    "backprop_loss": (ch11.backprop_loss, backprop_loss, ch11.HINTS_2),
    "backprop_normalise": (ch11.backprop_normalise, backprop_normalise, ch11.HINTS_3),
    "backprop_shift": (ch11.backprop_shift, backprop_shift, ch11.HINTS_4),
    "backprop_softmax": (ch11.backprop_softmax, backprop_softmax, ch11.HINTS_5),
    "backprop_linear": (ch11.backprop_linear, backprop_linear, ch11.HINTS_6),
    "backprop_relu": (ch11.backprop_relu, backprop_relu, ch11.HINTS_7),
    "mlp_by_hand": (ch11.mlp_by_hand, mlp_by_hand, []),
    "backprop_maxpool_windows": (ch11.backprop_maxpool_windows, backprop_maxpool_windows,
                                 ch11.HINTS_9),
    "backprop_windows": (ch11.backprop_windows, backprop_windows, ch11.HINTS_10),
    "backprop_conv_rows": (ch11.backprop_conv_rows, backprop_conv_rows, ch11.HINTS_11),
    "cnn_by_hand": (ch11.cnn_by_hand, cnn_by_hand, []),
}


test_right_answer_passes, test_stub_is_not_written_yet, test_each_known_mistake_gets_its_hint = (
    contract_tests(CHECKS)
)


def test_every_check_of_the_chapter_is_tested():
    assert set(CHECKS) == set(ch11.__all__)


def test_the_whole_mlp_table_has_every_intermediate(capsys):
    ch11.mlp_by_hand(mlp_by_hand)
    lines = capsys.readouterr().out.splitlines()
    table = [line for line in lines if line.split()[0] in ch11.MLP_ORDER]
    assert len(table) == len(ch11.MLP_ORDER) >= 15
    assert all(len(line) <= 78 for line in lines)
    row = {line.split()[0]: line for line in table}
    assert "exact" in row["loss"] and "exact" in row["picked"]
    assert "close" in row["row_max"] or "exact" in row["row_max"]  # ≈ 0 either way


def test_the_whole_cnn_table(capsys):
    ch11.cnn_by_hand(cnn_by_hand)
    out = capsys.readouterr().out
    assert all(name in out for name in ch11.CNN_ORDER) and "✓ Exercise 11.12" in out


def test_a_wrong_intermediate_is_named_in_the_table():
    def no_batch_sum(v):
        g = mlp_by_hand(v)
        g["b1"] = backprop_relu(v["a1"], g["h1"])  # (N, H): the batch axis not summed
        return g

    with pytest.raises(ExerciseFailed) as info:
        ch11.mlp_by_hand(no_batch_sum)
    text = str(info.value)
    assert "(db1, expected shape (16, 32)" not in text and "db1" in text
    assert "sum over the batch axis" in text and "wrong" in text
    assert all(len(line) <= 78 for line in text.splitlines()[1:-1])


def test_shape_hints():
    def transposed_dh(h, W, dout):
        dh, dW, db = backprop_linear(h, W, dout)
        return dh.T, dW, db

    with pytest.raises(ExerciseFailed, match="transposed shape"):
        ch11.backprop_linear(transposed_dh)

    def no_keepdims(probs, e, total, inv, dlogp):
        dprobs, dinv, dtotal, de = backprop_normalise(probs, e, total, inv, dlogp)
        return dprobs, dinv[:, 0], dtotal, de

    with pytest.raises(ExerciseFailed, match="keepdims=True"):
        ch11.backprop_normalise(no_keepdims)


def test_a_tuple_of_the_wrong_length_is_explained():
    with pytest.raises(ExerciseFailed, match=r"return the 3 gradients \(dh, dW, db\)"):
        ch11.backprop_linear(lambda h, W, dout: (dout @ W, dout.T @ h))


def test_a_crash_names_the_case():
    with pytest.raises(ExerciseFailed, match="your function raised KeyError"):
        ch11.mlp_by_hand(lambda v: {"loss": v["nothing"]})


def test_an_unrelated_mistake_gets_the_generic_hint():
    with pytest.raises(ExerciseFailed) as info:
        ch11.backprop_relu(lambda a, dh: 0.5 * dh * (a > 0))
    text = str(info.value)
    assert "element-wise operation" in text
    assert not any(h.message in text for h in ch11.HINTS_7)


def test_the_cases_have_ties_overlaps_and_strides():
    assert any(np.sum(c[0]["windows"] == c[0]["windows"].max(axis=(4, 5), keepdims=True))
               > c[0]["dout"].size for c in ch11._maxpool_cases())  # ties
    folds = ch11._fold_cases()
    assert any(c[0]["stride"] < c[0]["dwindows"].shape[-1] for c in folds)  # overlaps
    assert any(c[0]["stride"] > 1 for c in folds)


def in_float32(right):
    """``right`` on float32 inputs, its answer in float32 (what astype(np.float32) gives)."""

    def to32(value):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value.astype(np.float32)
        if isinstance(value, dict):
            return {k: to32(v) for k, v in value.items()}
        if isinstance(value, tuple | list):
            return type(value)(to32(v) for v in value)
        return value

    def answer(**case):
        return to32(right(**{k: to32(v) for k, v in case.items()}))

    return answer


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_float32_answers_pass(name, capsys):
    """A right answer computed in float32 is "close" (float32's precision), as in every
    check of the book; a float64 answer is still held to 1e-7."""
    check, right, _ = CHECKS[name]
    check(in_float32(right))
    assert "✓ Exercise 11." in capsys.readouterr().out
