"""Figures of notebook 05: fits by the differentiable NRG and their convergence."""
import matplotlib.pyplot as plt
import numpy as np

from ..nrg import inverse


def convergence(ax, fits):
    """Loss against NRG runs used, one line per optimizer run {label: result of
    :func:`rglib.nrg.inverse.minimize`}."""
    for label, r in fits.items():
        ax.semilogy(r["runs_at"], np.maximum(r["history"], 1e-30), "o-", ms=3, lw=1.2,
                    label=f"{label}: {r['runs']} NRG runs, {r['seconds']:.0f} s")
    ax.set_xlabel("NRG runs (line searches included)")
    ax.set_ylabel("loss L")
    ax.legend(fontsize=8)


def fit(fits, x=None, curves=None, xlabel="", ylabel="", logx=True, title=None):
    """Two panels: the fitted curves {label: y} against x (left; omitted when ``curves``
    is None) and the convergence of every optimizer run (right)."""
    n = 1 if curves is None else 2
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 3.8), squeeze=False)
    if curves is not None:
        ax = axes[0][0]
        for k, (label, y) in enumerate(curves.items()):
            style = dict(lw=3.0, alpha=0.35, color="k") if k == 0 else dict(lw=1.3, ls=["-", "--", ":"][k % 3])
            ax.plot(x, y, label=label, **style)
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    convergence(axes[0][-1], fits)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def tchi_of(U_over_Gamma, log10_Gamma, target=None, bath=None, run_kw=None):
    """T chi_imp(T) at eps_d = -U/2 for U = U_over_Gamma Gamma, Gamma = 10^log10_Gamma,
    against the target curve of problem (b), with the loss in the title (explore cell)."""
    x = np.array([float(U_over_Gamma), float(log10_Gamma) * np.log(10.0)])
    p = inverse.params_of(x, "tchi")
    T, tc, _ = inverse.tchi_imp(p, bath, **run_kw)
    L = float(inverse.loss(x, "tchi", target, run_kw, bath))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.semilogx(T, target[:len(T)], lw=3.0, alpha=0.35, color="k", label="target")
    ax.semilogx(T, tc, lw=1.3, label=f"U = {p['U']:.4g}, Γ = {p['Gamma']:.4g}")
    ax.set_xlabel("T (D = 1)")
    ax.set_ylabel(r"$T\chi_{\rm imp}$ (per shell)")
    ax.set_title(f"loss L = {L:.3e}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
