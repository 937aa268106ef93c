"""Figures of notebook 04: impurity spectral functions and their derivatives."""
import matplotlib.pyplot as plt
import numpy as np

from ..nrg import models, spectral


SYMBOLS = {"eps_d": r"\varepsilon_d", "U": "U", "Gamma": r"\Gamma", "B": "B"}


def _symlog(ax, omega, every=3):
    """Symmetric log axis in omega with labelled decades every ``every`` decades."""
    lin = float(np.min(np.abs(omega[omega != 0])))
    ax.set_xscale("symlog", linthresh=lin, linscale=0.3)
    ax.axvline(0.0, color="0.7", lw=0.6)
    top = int(np.ceil(np.log10(np.max(np.abs(omega)))))
    dec = list(range(top, int(np.floor(np.log10(lin))) + 1, -every))     # none crowding the 0 label
    ticks = [-10.0 ** d for d in dec] + [0.0] + [10.0 ** d for d in dec[::-1]]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"$-10^{{{d}}}$" for d in dec] + ["0"] + [f"$10^{{{d}}}$" for d in dec[::-1]])
    ax.set_xlabel(r"$\omega$ (symmetric log scale; $D = 1$)")


def spectra(omega, curves, Gamma, T_K=None, title=None, omega0=None):
    """pi Gamma A(omega) for several labelled curves {label: A}; T_K: {label: T_K} marks;
    omega0: the broadening's crossover scale (:func:`rglib.nrg.spectral.broaden`), whose
    neighbourhood |omega| < 3 omega0 is shaded: there the log-Gaussians of the poles above
    omega0 meet the Gaussians of those below, and A(omega) shows ripples (up to ~20%)
    that belong to the broadening, not to the physics."""
    fig, ax = plt.subplots(figsize=(8, 4))
    if omega0:
        ax.axvspan(-3 * omega0, 3 * omega0, color="0.9", lw=0, zorder=0,
                   label=r"$|\omega| < 3\omega_0$: broadening crossover")
    for k, (label, A) in enumerate(curves.items()):
        line, = ax.plot(omega, np.pi * Gamma * np.asarray(A), lw=1.4, label=label)
        if T_K and T_K.get(label):
            for s in (-1, 1):
                ax.axvline(s * T_K[label], color=line.get_color(), ls=":", lw=0.9)
    ax.axhline(1.0, color="k", ls="--", lw=0.8, label=r"Friedel: $\pi\Gamma A(0) = 1$")
    _symlog(ax, omega)
    ax.set_ylabel(r"$\pi\Gamma A(\omega)$")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def derivatives(omega, ad, fd, Gamma):
    """One panel per parameter: dA/dtheta by AD (line) and central differences (dots)."""
    fig, axes = plt.subplots(1, len(ad), figsize=(4 * len(ad), 3.4), squeeze=False)
    for ax, name in zip(axes[0], ad):
        ax.plot(omega, np.pi * Gamma * ad[name], lw=1.3, label="AD (forward mode)")
        if name in fd:
            ax.plot(omega[::8], np.pi * Gamma * fd[name][::8], ".", ms=4, color="C3", label="central differences")
        _symlog(ax, omega, every=4)
        ax.set_title(rf"$\pi\Gamma\,\partial A/\partial {SYMBOLS.get(name, name)}$", fontsize=10)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def spectrum_of(U_over_piGamma, log10_T, Gamma=0.01, N_keep=300, Lam=2.0, b=spectral.B_DEFAULT):
    """pi Gamma A(omega) of the symmetric Anderson model at U = U_over_piGamma pi Gamma and
    temperature 10^log10_T (the explore cell)."""
    U = float(U_over_piGamma) * np.pi * Gamma
    T = 10.0 ** float(log10_T)
    omega = np.concatenate([-np.logspace(0, -9, 300), np.logspace(-9, 0, 300)])
    p = spectral.poles(models.Anderson(-U / 2, U, Gamma), T, Lam=Lam, N_keep=N_keep, T_min=T / 20)
    A = spectral.broaden(p, omega, b)
    return spectra(omega, {f"U/(πΓ) = {U_over_piGamma:g}, T = {T:.1e}": A}, Gamma,
                   title=f"Λ = {Lam:g}, {N_keep} kept states, b = {b:g}", omega0=T)


def spin_susceptibilities(omega, curves, T_K=None, title=None):
    """chi''(omega) for omega > 0 (log-log) for several labelled curves {label: chi''};
    T_K: {label: T_K} marks (the Kondo peak sits at omega of order T_K)."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for label, chi in curves.items():
        line, = ax.loglog(omega, np.asarray(chi), lw=1.4, label=label)
        if T_K and T_K.get(label):
            ax.axvline(T_K[label], color=line.get_color(), ls=":", lw=0.9)
    ax.set_xlabel(r"$\omega$ ($D = 1$)")
    ax.set_ylabel(r"$\chi''(\omega)$ of $S_z^d$")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
