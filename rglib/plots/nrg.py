"""Figures for Part I (notebooks 00-05): discretization, level flow, thermodynamics, derivatives.

Pure functions from results (or parameters, for the widget entry points ending in
``_figure``) to matplotlib Figures; the physics they call lives in :mod:`rglib.nrg`.
"""
import matplotlib.pyplot as plt
import numpy as np

from .. import nrg
from ..nrg import ad, chain, flow

def discretization(Lam=2.0, n_points=8, z=1.0):
    """Left: the logarithmic grid on [-1, 1]. Right: rescaled hoppings t_n vs n."""
    x = chain.log_grid(Lam, n_points, z)
    t = chain.hoppings_rescaled(Lam, max(n_points, 12))
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    for xi in x:
        a.axvline(xi, color="C0", lw=1)
        a.axvline(-xi, color="C0", lw=1)
    a.set_xlim(-1.05, 1.05)
    a.set_yticks([])
    a.set_xlabel(r"$\varepsilon / D$")
    a.set_title(rf"$\pm\Lambda^{{-n}}$ grid, $\Lambda={Lam:g}$, $z={z:g}$")
    n = np.arange(len(t))
    b.plot(n, t, "o-", label=r"$t_n = \epsilon_n\Lambda^{n/2}$")
    b.axhline(0.5 * (1 + 1 / Lam), color="k", ls="--", lw=1, label=r"$(1+\Lambda^{-1})/2$")
    b.set_xlabel("chain site $n$")
    b.set_ylabel("rescaled hopping")
    b.legend()
    fig.tight_layout()
    return fig


def flow_diagram(shells, Lam, n_levels=8, title=None):
    """Energy-level flow: distinct rescaled levels vs N (even, odd) and ground multiplet.

    Dashed lines: exact many-body levels of the free chains at the last even/odd
    shell: f_0..f_N (the FO and LM fixed points share these energies and differ in
    degeneracy) and f_1..f_N (SC). Right panel: number of states below 0.05, which
    tells FO (16 / 4), LM (8 / 2) and SC (1 / 4) apart for even / odd N.
    """
    E = np.array([flow.distinct_levels(s, n_levels) for s in shells])
    Ns = np.arange(len(shells))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), gridspec_kw={"width_ratios": [3, 3, 2]})
    for ax, parity in zip(axes[:2], (0, 1)):
        sel = Ns % 2 == parity
        ax.plot(Ns[sel], E[sel], "k.-", lw=0.8, ms=3)
        N_ref = Ns[sel][-1]
        for (first, deg, col, name) in ((0, 2, "C1", r"free $f_0..f_N$ (FO, LM)"),
                                        (1, 1, "C3", r"free $f_1..f_N$ (SC)")):
            lev = np.unique(np.round(flow.free_chain_levels(Lam, N_ref, first, deg, 60), 9))
            for j, e in enumerate(lev[lev < 2.5]):
                ax.axhline(e, color=col, ls="--", lw=1, alpha=0.7, label=name if j == 0 else None)
        ax.set_xlabel("shell $N$")
        ax.set_title(f"{'even' if parity == 0 else 'odd'} $N$")
        ax.set_ylim(-0.05, 2.5)
    axes[0].set_ylabel(r"rescaled energy $E_N$")
    axes[1].legend(loc="upper right", fontsize=8)
    mult = np.array([flow.low_multiplicity(s) for s in shells])
    ax = axes[2]
    for parity, mk in ((0, "o"), (1, "s")):
        sel = Ns % 2 == parity
        ax.semilogy(Ns[sel], mult[sel], mk, ms=3, label=f"{'even' if parity == 0 else 'odd'} $N$")
    for name, (ev, od) in flow.FIXED_POINT_MULTIPLICITY.items():
        ax.annotate(f"{name}: {ev if name != 'LM' else '(8)'} | {od}", (0.98, {"FO": 0.9, "LM": 0.8, "SC": 0.7}[name]),
                    xycoords="axes fraction", ha="right", fontsize=8)
    ax.set_yticks([1, 2, 4, 8, 16])
    ax.set_yticklabels(["1", "2", "4", "8", "16"])
    ax.set_xlabel("shell $N$")
    ax.set_title(r"states with $E_N < 0.05$ (even | odd)")
    ax.legend(fontsize=8, loc="lower left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def flow_figure(U=1e-3, Gamma=None, eps_d=None, Lam=2.5, N_keep=300, N_max=60,
                U_over_piGamma=8.0):
    """Run the NRG for the SIAM and draw its flow diagram (widget entry point)."""
    if Gamma is None:
        Gamma = U / (np.pi * U_over_piGamma)
    if eps_d is None:
        eps_d = -U / 2
    shells = nrg.run(nrg.Anderson(eps_d, U, Gamma), Lam, N_max=N_max, N_keep=N_keep)
    return flow_diagram(shells, Lam, title=(
        rf"SIAM: $U={U:.3g}$, $\Gamma={Gamma:.3g}$, $\varepsilon_d={eps_d:.3g}$, "
        rf"$\Lambda={Lam:g}$, $N_{{keep}}={N_keep}$"))


def thermo_panels(curves, x="T", quantities=("S", "Tchi"), title=None, exact=None):
    """S_imp and T chi_imp (or other keys) vs T or T/T_K for several runs.

    ``curves``: label -> dict with arrays T, S, Tchi, ... and optionally 'TK'.
    ``exact``: label -> dict of exact curves drawn dashed (same keys).
    """
    ylabels = {"S": r"$S_{\rm imp}$", "Tchi": r"$T\chi_{\rm imp}$", "C_dS": r"$C_{\rm imp}$",
               "R": r"$R = \frac{4\pi^2}{3}\,T\chi_{\rm imp}/C_{\rm imp}$"}
    refs = {"S": [(np.log(4), "ln 4"), (np.log(2), "ln 2")], "Tchi": [(1 / 8, "1/8"), (1 / 4, "1/4")],
            "R": [(2.0, "2")]}
    fig, axes = plt.subplots(1, len(quantities), figsize=(5 * len(quantities), 3.8))
    axes = np.atleast_1d(axes)
    for ax, q in zip(axes, quantities):
        for i, (label, d) in enumerate(curves.items()):
            xs = d["T"] / d["TK"] if x == "T/TK" else d["T"]
            ys = np.asarray(d[q], dtype=float)
            if q == "R":                  # R is a low-temperature (Fermi-liquid) quantity
                m = d["T"] < d["TK"]
                xs, ys = xs[m], ys[m]
                ax.set_ylim(0, 4)
            ax.semilogx(xs, ys, color=f"C{i}", label=label)
        for label, d in (exact or {}).items():
            xs = d["T"] / d["TK"] if x == "T/TK" else d["T"]
            ax.semilogx(xs, d[q], "k--", lw=1, label=label)
        for val, txt in refs.get(q, []):
            ax.axhline(val, color="0.6", lw=0.8, ls=":")
            ax.annotate(txt, (1.0, val), xycoords=("axes fraction", "data"), fontsize=8,
                        ha="right", va="bottom", color="0.4")
        ax.set_xlabel(r"$T/T_K$" if x == "T/TK" else r"$T/D$")
        ax.set_ylabel(ylabels.get(q, q))
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def thermo_figure(U=0.1, U_over_piGamma=4.0, eps_d=None, Lam=3.0, N_keep=200, T_min=1e-10):
    """Run NRG + bath and draw S_imp(T), T chi_imp(T) (widget entry point)."""
    Gamma = U / (np.pi * U_over_piGamma)
    e = -U / 2 if eps_d is None else eps_d
    d = nrg.impurity_thermodynamics(nrg.Anderson(e, U, Gamma), Lam, T_min=T_min, N_keep=N_keep)
    return thermo_panels({rf"$U/\pi\Gamma={U_over_piGamma:g}$, $\varepsilon_d={e:.3g}$": d},
                         title=rf"SIAM, $U={U:g}$, $\Lambda={Lam:g}$, $N_{{keep}}={N_keep}$")


def derivatives_vs_T(T, ad_vals, fd_vals, expect, labels):
    """Top: AD (lines), FD (dots), frozen-basis expectation values (dashed) vs T.
    Bottom: |AD - FD| and |AD - <O>| relative."""
    n = ad_vals.shape[1]
    fig, axes = plt.subplots(2, n, figsize=(4.2 * n, 6), sharex=True)
    for j in range(n):
        a, b = axes[0, j], axes[1, j]
        a.semilogx(T, ad_vals[:, j], "-", label="AD")
        a.semilogx(T, fd_vals[:, j], ".", ms=4, label="central FD")
        a.semilogx(T, expect[:, j], "--", lw=1, label="expectation (frozen basis)")
        a.set_title(labels[j])
        den = np.maximum(np.abs(fd_vals[:, j]), 1e-3)
        b.loglog(T, np.abs(ad_vals[:, j] - fd_vals[:, j]) / den + 1e-17, ".", label="|AD - FD|")
        b.loglog(T, np.abs(ad_vals[:, j] - expect[:, j]) / den + 1e-17, "x", ms=3,
                 label="|AD - <O>|")
        b.set_xlabel(r"$T/D$")
    axes[0, 0].legend(fontsize=8)
    axes[1, 0].legend(fontsize=8)
    axes[1, 0].set_ylabel("relative difference")
    fig.tight_layout()
    return fig


def chi_vs_T(conv, chi_tab):
    """T chi_imp: conventional curve vs AD at B = 0 (uniform field); chi_tab rows (T, chi_AD, ...)."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.semilogx(conv["T"], conv["Tchi"], "k-", lw=1, label="conventional (notebook 02)")
    T = chi_tab[:, 0]
    ax.semilogx(T, T * chi_tab[:, 1], "o", mfc="none",
                label=r"AD: $-T\,\partial^2 F/\partial B^2$ at $B=0$ (single shells)")
    ax.set_xlabel(r"$T/D$")
    ax.set_ylabel(r"$T\chi_{\rm imp}$")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def derivative_figure(eps_d=-0.03, U=0.1, Gamma=0.008, Lam=2.5, N_keep=150, T_min=1e-8):
    """<n_d>, <n_up n_dn> and 2 Gamma dF/dGamma vs T by forward-mode AD (widget entry)."""
    params = {"eps_d": eps_d, "U": U, "Gamma": Gamma, "B": 0.0}
    _, dF, sh = ad.all_shells(params, return_shells=True, Lam=Lam, T_min=T_min, N_keep=N_keep)
    T = np.array([s.T for s in sh])
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, y, lab in zip(axes, (dF["eps_d"], dF["U"], 2 * Gamma * dF["Gamma"]),
                          (r"$\langle n_d\rangle=\partial F/\partial\varepsilon_d$",
                           r"$\langle n_{d\uparrow}n_{d\downarrow}\rangle=\partial F/\partial U$",
                           r"$\langle H_{\rm hyb}\rangle=2\Gamma\,\partial F/\partial\Gamma$")):
        ax.semilogx(T, y, ".-", ms=3)
        ax.set_xlabel(r"$T/D$")
        ax.set_title(lab, fontsize=10)
    fig.suptitle(rf"forward-mode AD, $\varepsilon_d={eps_d:g}$, $U={U:g}$, $\Gamma={Gamma:g}$")
    fig.tight_layout()
    return fig
