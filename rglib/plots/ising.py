"""Figures for Part II base (notebooks 06-07): Ising configurations, curves, RG flows."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from .. import ising
from ..ising import block, mc, rg


#: spin colours: neither is the page colour (white), so every spin shows
SPIN_COLORS = ("#2c4f8c", "#f0a030")          # s = -1 (dark blue), s = +1 (orange)
SPIN_CMAP = ListedColormap(SPIN_COLORS)


def spin_image(ax, config, title=None):
    """Draw one configuration of +-1 spins with a frame, no ticks."""
    ax.imshow(config, cmap=SPIN_CMAP, vmin=-1, vmax=1, interpolation="nearest")
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_color("0.2")
        side.set_linewidth(1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=10)


def spin_key(fig):
    """A legend for the spin colours, below the images."""
    fig.legend(handles=[Patch(color=SPIN_COLORS[1], label="s = +1"),
                        Patch(color=SPIN_COLORS[0], label="s = −1")],
               loc="lower center", ncol=2, fontsize=9, frameon=False)


def snapshots(configs, titles, suptitle=None):
    """One image per configuration (L x L arrays of +-1), framed, with a colour key."""
    n = len(configs)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.8))
    for ax, c, t in zip(np.atleast_1d(axes), configs, titles):
        spin_image(ax, c, t)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    spin_key(fig)
    return fig


def snapshot_figure(K=0.44, L=64, sweeps=50, seed=0):
    """Equilibrate one L x L lattice at K with Swendsen-Wang and show it (widget entry)."""
    rng = np.random.default_rng(seed)
    s = mc.random_spins(1, L, rng) if K < ising.K_C else mc.ordered_spins(1, L)
    s, e, m = mc.swendsen_wang(s, K, sweeps, rng)
    return snapshots([s[0]], [f"K = {K:.3f} (K/K_c = {K / ising.K_C:.2f}), |m| = {abs(m[-1, 0]):.2f}"])


def thermo_vs_K(K, mc_res, L, K_fine=None):
    """Energy, |m| and specific heat per site vs K: MC with error bars, exact curves."""
    K_fine = np.linspace(min(K), max(K), 200) if K_fine is None else K_fine
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    u_L = [ising.kaufman_thermo(k, L, L) for k in K_fine]
    axes[0].plot(K_fine, [ising.onsager_energy(k) for k in K_fine], "k:", lw=1, label="Onsager (L = ∞)")
    axes[0].plot(K_fine, [u for u, _ in u_L], "k-", lw=1, label=f"Kaufman (L = {L})")
    axes[0].errorbar(K, mc_res["e"], mc_res["e_err"], fmt="o", ms=4, label="Monte Carlo")
    axes[0].set_ylabel("energy per site")
    axes[1].plot(K_fine, [ising.yang_magnetization(k) for k in K_fine], "k:", lw=1, label="Yang (L = ∞)")
    axes[1].errorbar(K, mc_res["absm"], mc_res["absm_err"], fmt="o", ms=4, label="Monte Carlo")
    axes[1].set_ylabel(r"$\langle|m|\rangle$")
    axes[2].plot(K_fine, [c for _, c in u_L], "k-", lw=1, label=f"Kaufman (L = {L})")
    axes[2].errorbar(K, mc_res["c"], mc_res["c_err"], fmt="o", ms=4, label="Monte Carlo")
    axes[2].set_ylabel("specific heat per site")
    for ax in axes:
        ax.axvline(ising.K_C, color="0.6", lw=0.8, ls="--")
        ax.set_xlabel("K")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def tau_vs_L(Ls, tau_me, tau_sw, z_me, z_sw):
    """Integrated autocorrelation times at K_c vs L, log-log, with power-law fits."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    Ls = np.asarray(Ls, float)
    ax.loglog(Ls, tau_me, "o-", label=f"Metropolis (fit z = {z_me:.2f})")
    ax.loglog(Ls, tau_sw, "s-", label=f"Swendsen-Wang (fit z = {z_sw:.2f})")
    ax.set_xlabel("L")
    ax.set_ylabel(r"$\tau_{\rm int}(m^2)$ [sweeps]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def block_grid(levels_by_K):
    """Rows: couplings; columns: blocking levels (images of the first chain)."""
    rows = len(levels_by_K)
    cols = max(len(v) for v in levels_by_K.values())
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.5 * rows + 0.4), squeeze=False)
    for r, (label, levels) in enumerate(levels_by_K.items()):
        for c in range(cols):
            ax = axes[r, c]
            if c < len(levels):
                spin_image(ax, levels[c][0], f"level {c}: {levels[c].shape[1]}²" if r == 0 else None)
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.tight_layout(rect=(0, 0.4 / (2.5 * rows + 0.4), 1, 1))
    spin_key(fig)
    return fig


def blocking_figure(K=0.44, L=64, n_levels=3, seed=0):
    """Equilibrate at K and block n_levels times by majority rule (widget entry)."""
    rng = np.random.default_rng(seed)
    s = mc.random_spins(1, L, rng) if K < ising.K_C else mc.ordered_spins(1, L)
    s, _, _ = mc.swendsen_wang(s, K, 50, rng, measure=False)
    levels = [s]
    for _ in range(n_levels):
        levels.append(block.majority(levels[-1], rng))
    return block_grid({f"K = {K:.3f}": levels})


def mk_cobweb(K0s, n_steps=8):
    """Migdal-Kadanoff map K' (K) with cobweb flows from several starting couplings."""
    Ks, lam, yt, nu = rg.mk_fixed_point()
    x = np.linspace(0, 0.8, 300)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot(x, [rg.mk_map(k) for k in x], "k-", label=r"$K' = \mathrm{artanh}(\tanh^2 2K)$")
    ax.plot(x, x, color="0.6", lw=0.8)
    for K0 in K0s:
        fl = rg.mk_flow(K0, n_steps)
        xs, ys = [fl[0]], [0]
        for a, b in zip(fl[:-1], fl[1:]):
            xs += [a, b]
            ys += [b, b]
        ax.plot(np.minimum(xs, 0.8), np.minimum(ys, 0.8), lw=0.8)
    ax.plot([Ks], [Ks], "ro", label=f"K* = {Ks:.6f}, ν = {nu:.4f}")
    ax.axvline(ising.K_C, color="C0", ls="--", lw=0.8, label=f"exact K_c = {ising.K_C:.6f}")
    ax.set_xlim(0, 0.8)
    ax.set_ylim(0, 0.8)
    ax.set_xlabel("K")
    ax.set_ylabel("K'")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
