"""Figures for the effective field neural networks (notebooks 10-12)."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..efnn import training

ARCH_STYLE = {"EFNN": ("C3", "o"), "DNN": ("C0", "s"), "ResNet": ("C2", "^"), "DenseNet": ("C1", "D")}
DEPTH_STYLE = {1: ":", 2: "--", 3: "-"}


def schematic(layers=2):
    """The EFNN as a diagram: S0 -> F1 -> S1 -> ... -> Sn -> sum, with the Q_i(S0) re-injections."""
    n = int(layers)
    fig, ax = plt.subplots(figsize=(2.4 + 2.2 * n, 3.4))
    ax.set_xlim(-0.5, 2.2 * n + 2.2)
    ax.set_ylim(-1.4, 0.6 + 0.55 * (0.25 + 0.05 * n) * 2.2 * n)
    ax.axis("off")

    def box(x, y, text, color):
        ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.28), 0.84, 0.56, boxstyle="round,pad=0.05",
                                    fc=color, ec="0.25", lw=1))
        ax.text(x, y, text, ha="center", va="center", fontsize=11)

    def arrow(a, b, text=None, color="0.2", rad=0.0):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color=color, lw=1.2,
                                     connectionstyle=f"arc3,rad={rad}"))
        if text:                      # at the apex of the arc (a quadratic Bezier curve)
            apex = (a[1] + b[1]) / 2 + 0.5 * abs(rad) * abs(b[0] - a[0])
            ax.text((a[0] + b[0]) / 2, apex + 0.06 if rad else -0.5, text, ha="center", fontsize=9,
                    color=color, va="bottom" if rad else "top")

    box(0, 0, "$S_0$", "#dde8f5")
    x_prev = 0.0
    for i in range(1, n + 1):
        xf, xs = 2.2 * i - 1.1, 2.2 * i
        box(xf, 0, f"$F_{i}$", "#fde3c8")
        box(xs, 0, f"$S_{i}$", "#dde8f5")
        arrow((x_prev + 0.45, 0), (xf - 0.45, 0), "$f_1$" if i == 1 else f"$f_{i}$")
        arrow((xf + 0.45, 0), (xs - 0.45, 0), "$\\odot$")
        arrow((0.1, 0.32), (xs - 0.1, 0.32), f"$Q_{i}(S_0)$", color="C3", rad=-0.25 - 0.05 * i)
        x_prev = xs
    box(2.2 * n + 1.35, 0, "$E=\\sum_j$", "#e5f2dc")
    arrow((x_prev + 0.45, 0), (2.2 * n + 0.9, 0))
    ax.text(0, -1.05, "bare spins", ha="center", fontsize=8, color="0.35")
    ax.text(1.1, -1.05, "effective field", ha="center", fontsize=8, color="0.35")
    ax.text(2.2, -1.05, "quasi-particle", ha="center", fontsize=8, color="0.35")
    ax.set_title(f"EFNN with {n} layer{'s' if n > 1 else ''}: "
                 "$S_i = Q_i(S_0)\\odot F_i(S_{i-1})$, a continued function of $S_0$", fontsize=10)
    fig.tight_layout()
    return fig


def error_vs_width(rows, key="relative", ylabel="relative error on the test set", title=None, extra=None):
    """rows: [{"arch", "layers", "width", key: value}] -> one curve per (arch, depth)."""
    fig, ax = plt.subplots(figsize=(8.4, 4.4))
    for arch, (color, mk) in ARCH_STYLE.items():
        for n, ls in DEPTH_STYLE.items():
            pts = sorted((r["width"], r[key]) for r in rows if r["arch"] == arch and r["layers"] == n)
            if pts:
                x, y = zip(*pts)
                ax.semilogy(x, y, ls=ls, marker=mk, color=color, label=f"{arch}, {n} layer{'s' if n > 1 else ''}")
    for label, (x, y, style) in (extra or {}).items():
        ax.semilogy(x, y, style, label=label)
    ax.set_xlabel("width $w$")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def error_vs_channels(rows, baselines, title=None):
    """Double exchange: relative error vs channels C per architecture; horizontal baselines."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for arch, (color, mk) in ARCH_STYLE.items():
        pts = sorted((r["C"], r["relative"]) for r in rows if r["arch"] == arch)
        if pts:
            x, y = zip(*pts)
            ax.semilogy(x, y, marker=mk, color=color, label=arch)
    for i, (label, v) in enumerate(baselines.items()):
        ax.axhline(v, color=f"0.{3 + 2 * i}", ls="--" if i == 0 else ":", lw=1.2, label=label)
    ax.set_xlabel("channels $C$")
    ax.set_ylabel("relative error at $N = 10$")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def extrapolation(sizes, curves):
    """Left: relative error vs N; right: RMSE/std(E) vs N (curves: label -> (rel, rmse/std))."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    others = iter(["C5", "C7", "C4", "C8"])
    for label, (rel, ros) in curves.items():
        arch = label.split()[0]
        color, mk = ARCH_STYLE[arch] if arch in ARCH_STYLE else (next(others), "o")
        ls = "--" if "trivial" in label else "-"
        for ax, y in ((a, rel), (b, ros)):
            ax.semilogy(sizes, y, marker=mk, ls=ls, color=color, label=label)
    for ax in (a, b):
        ax.set_xticks(sizes)
    a.set_xlabel("lattice size $N$ (trained at $N = 10$)")
    a.set_ylabel("relative error RMSE / |mean E|")
    b.set_xlabel("lattice size $N$")
    b.set_ylabel("RMSE / std(E)")
    a.legend(fontsize=8)
    a.set_title("the paper's measure (falls as 1/N for any local model)", fontsize=9)
    b.set_title("size-independent measure", fontsize=9)
    fig.tight_layout()
    return fig


def timing(sizes, t_ed, t_nn, paper=None):
    """Seconds per configuration: exact diagonalization vs the network, vs N."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.loglog(sizes, t_ed, "o-", label="exact diagonalization (here)")
    ax.loglog(sizes, t_nn, "s-", label="EFNN forward pass (here)")
    if paper:
        ax.loglog(paper[0], paper[1], "o:", color="C0", alpha=0.5, label="ED (authors' machine)")
        ax.loglog(paper[0], paper[2], "s:", color="C1", alpha=0.5, label="EFNN (authors' machine)")
    ax.set_xticks(sorted(set(sizes) | set(paper[0] if paper else [])))
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_locator(plt.matplotlib.ticker.NullLocator())
    ax.set_xlabel("lattice size $N$")
    ax.set_ylabel("seconds per configuration")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def scatter(E_true, E_pred, title=None):
    """Predicted against true energies, and the error of each prediction (widget entry)."""
    E_true, E_pred = np.asarray(E_true, float), np.asarray(E_pred, float)
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.0, 4.0))
    lo, hi = float(np.min(E_true)), float(np.max(E_true))
    a.plot([lo, hi], [lo, hi], color="0.6", lw=0.8)
    a.plot(E_true, E_pred, ".", ms=2, alpha=0.6)
    a.set_xlabel("true energy")
    a.set_ylabel("predicted energy")
    err = E_pred - E_true
    rmse = float(np.sqrt(np.mean(err ** 2)))
    b.axhline(0.0, color="0.6", lw=0.8)
    b.plot(E_true, err, ".", ms=2, alpha=0.6)
    b.set_xlabel("true energy")
    b.set_ylabel("predicted - true")
    b.set_title(f"RMSE {rmse:.3g} (std of E {np.std(E_true):.3g})", fontsize=9)
    if title:
        a.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def scatter_of(runs, S, E, arch="EFNN", layers=2):
    """:func:`scatter` for the stored run of ``arch`` at ``layers`` (runs: records with their
    networks in ``model``, one per setting, as chosen by the search)."""
    r = next((r for r in runs if r["arch"] == arch and r["layers"] == int(layers)), None)
    if r is None:
        raise ValueError(f"no stored model {arch} with {layers} layer(s)")
    how = f", lr {r['lr0']:g}, seed {r['seed']}" if "lr0" in r and "seed" in r else ""
    return scatter(E, training.predict(r["model"], S), f"{arch}, w = {r['width']}, {layers} layer(s){how}")


def de_scatter_of(results, tests, arch="EFNN", C=3, N=10):
    """:func:`scatter` of a double-exchange model (depth 2, trained at N = 10) on the test
    set of size N (results with their nets in ``model``; tests: N -> {"S", "E"})."""
    r = next((r for r in results if r["arch"] == arch and r["C"] == int(C) and r["layers"] == 2
              and r.get("sampling", "authors") == "authors"), None)
    if r is None:
        raise ValueError(f"no stored double-exchange model {arch} with C = {C}")
    if int(N) not in tests:
        raise ValueError(f"no test set at N = {N} (have {sorted(tests)})")
    t = tests[int(N)]
    return scatter(t["E"], training.predict(r["model"], t["S"], batch=8),
                   f"{arch}, C = {C}, trained at N = 10, tested at N = {N}")


def search(summary, x_key, xs, metric_label, title=None, baselines=None, log_x=False):
    """Every run of a search: one column of dots per architecture and setting (each seed and
    learning rate; x for a failed run, drawn at the constant predictor's level when its metric
    is off the scale), the best run by validation ringed, the median as a bar.

    summary: {(arch, x): {"best_metric", "median_metric", "spread", "failed_values"}} from
    :func:`rglib.efnn.experiments.summarize` with the metrics filled in; xs: the settings."""
    fig, ax = plt.subplots(figsize=(7.6, 4.4))
    archs = [a for a in ARCH_STYLE if any(k[0] == a for k in summary)]
    width = 0.16 * (xs[1] - xs[0] if len(xs) > 1 else 1)
    for j, arch in enumerate(archs):
        color, mk = ARCH_STYLE[arch]
        off = (j - (len(archs) - 1) / 2) * width
        med_x, med_y = [], []
        for x in xs:
            s = summary.get((arch, x))
            if s is None:
                continue
            X = x + off
            ax.semilogy([X] * len(s["spread"]), s["spread"], mk, color=color, ms=4, alpha=0.55, ls="none")
            if s.get("failed_values"):
                ax.semilogy([X] * len(s["failed_values"]), s["failed_values"], "x", color=color, ms=7, ls="none")
            if s["best_metric"] is not None:
                ax.semilogy([X], [s["best_metric"]], mk, mfc="none", mec="k", ms=10, ls="none")
                med_x.append(X)
                med_y.append(s["median_metric"])
        ax.semilogy(med_x, med_y, "_", color=color, ms=16, mew=2, ls="-", lw=0.8,
                    label=f"{arch} (median; dots: runs, ring: best by validation, x: failed)"
                    if j == 0 else f"{arch}")
    for i, (label, v) in enumerate((baselines or {}).items()):
        ax.axhline(v, color=f"0.{3 + 2 * i}", ls="--" if i == 0 else ":", lw=1.2, label=label)
    if log_x:
        ax.set_xscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels([str(x) for x in xs])
    ax.set_xlabel(x_key)
    ax.set_ylabel(metric_label)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def learning_curves(curves, key="relative", ylabel="relative error (validation)", title=None, hlines=None,
                    xlabel="epochs"):
    """Validation error against training progress: curves maps a label to [(x, value), ...]."""
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    others = iter(["C5", "C7", "C4", "C8", "C9"])
    for label, pts in curves.items():
        arch = label.split()[0]
        color, mk = ARCH_STYLE[arch] if arch in ARCH_STYLE else (next(others), "o")
        x, y = zip(*pts)
        ax.loglog(x, y, marker=mk, ms=4, color=color, ls="-" if "long" not in label else ":", label=label)
    for i, (label, v) in enumerate((hlines or {}).items()):
        ax.axhline(v, color=f"0.{3 + 2 * i}", ls="--", lw=1.0, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
