"""Figures for notebook 03 (differentiable NRG)."""
import matplotlib.pyplot as plt
import numpy as np

from ..nrg import ad


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
    theta = np.array([eps_d, U, Gamma, 0.0])
    from .. import nrg

    sh = nrg.run(nrg.Anderson(*theta), Lam=Lam, T_min=T_min, N_keep=N_keep)
    T = np.array([s.scale / s.beta_bar for s in sh])
    _, dF = ad.jacobian_all_shells(theta, Lam=Lam, T_min=T_min, N_keep=N_keep)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, y, lab in zip(axes, (dF[:, 0], dF[:, 1], 2 * Gamma * dF[:, 2]),
                          (r"$\langle n_d\rangle=\partial F/\partial\varepsilon_d$",
                           r"$\langle n_{d\uparrow}n_{d\downarrow}\rangle=\partial F/\partial U$",
                           r"$\langle H_{\rm hyb}\rangle=2\Gamma\,\partial F/\partial\Gamma$")):
        ax.semilogx(T, y, ".-", ms=3)
        ax.set_xlabel(r"$T/D$")
        ax.set_title(lab, fontsize=10)
    fig.suptitle(rf"forward-mode AD, $\varepsilon_d={eps_d:g}$, $U={U:g}$, $\Gamma={Gamma:g}$")
    fig.tight_layout()
    return fig
