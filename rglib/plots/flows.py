"""Figures for the learned RG flows (notebooks 08-09): maps, histograms, bias studies."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from ..flows import clusters, kl, network

KC = clusters.K_C_DECORATED


def _kc_lines(ax, fixed=None, vertical=True, labels=True):
    line = ax.axvline if vertical else ax.axhline
    line(KC, color="k", ls="--", lw=1, label=f"exact $K_c$ = {KC:.4f}" if labels else None)
    if fixed is not None:
        line(fixed, color="C3", ls=":", lw=1.5, label=f"exact-KL fixed point {fixed:.4f}" if labels else None)


def exact_maps(K, f_fwd, f_rev, K_fwd, K_rev):
    """f(K) = K'(K) - K of the exact forward- and reverse-KL maps, with their fixed points."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(K, f_fwd, "C3-", label="forward KL (the MLRG loss)")
    ax.plot(K, f_rev, "C0-", label="reverse KL")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.plot([K_fwd], [0], "C3o")
    ax.plot([K_rev], [0], "C0o")
    ax.axvline(KC, color="k", ls="--", lw=1, label=f"exact $K_c$ = {KC:.4f}")
    ax.set_xlabel("teacher coupling $K$")
    ax.set_ylabel("$f(K) = K'(K) - K$")
    ax.set_title("exact-KL RG maps of the one-coupling scheme")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def learned_flows(K, f_models, f_exact, K_fixed, title="learned $f_\\theta(K)$"):
    """Every model's f_theta(K) (thin lines), their median, and the exact-KL map."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for i, f in enumerate(f_models):
        ax.plot(K, f, color="C1", lw=0.6, alpha=0.5, label=f"{len(f_models)} trained models" if i == 0 else None)
    ax.plot(K, np.median(f_models, axis=0), "C1-", lw=2, label="median of the models")
    ax.plot(K, f_exact, "C3--", lw=1.5, label="exact-KL map")
    ax.axhline(0, color="0.6", lw=0.8)
    _kc_lines(ax, K_fixed)
    ax.set_xlabel("$K$")
    ax.set_ylabel("$f_\\theta(K) = K' - K$")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def histogram(groups, K_fixed=None, xlabel="critical-point estimate $K_c$", title=None, bins=None):
    """Histograms of estimates (dict label -> values) with the exact lines."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    allv = np.concatenate([np.asarray(v) for v in groups.values()])
    allv = allv[np.isfinite(allv)]
    lo, hi = min(allv.min(), KC) - 0.01, max(allv.max(), KC) + 0.01
    bins = bins or np.linspace(lo, hi, 31)
    for i, (label, v) in enumerate(groups.items()):
        v = np.asarray(v)
        v = v[np.isfinite(v)]
        stats = (f"median {np.median(v):.4f}, σ {np.std(v, ddof=1):.4f}" if len(v) > 1 else
                 f"value {v[0]:.4f}" if len(v) else "no estimates")
        ax.hist(v, bins=bins, alpha=0.55, color=f"C{i + 1}", label=f"{label}: {stats} (n = {len(v)})")
    _kc_lines(ax, K_fixed)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("models")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def bias_panels(panels, K_fixed, title="μ ± σ of critical-point estimates"):
    """One panel per hyperparameter: {panel title: [(x label, values), ...]}."""
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.6), sharey=True, squeeze=False)
    for ax, (name, rows) in zip(axes[0], panels.items()):
        xs = np.arange(len(rows))
        mu = [np.mean(v) if len(v) else np.nan for _, v in rows]
        sd = [np.std(v, ddof=1) if len(v) > 1 else np.nan for _, v in rows]
        for x, (_, v) in zip(xs, rows):
            if not len(v):
                ax.annotate("no critical\npoint", (x, 0.5), xycoords=("data", "axes fraction"),
                            ha="center", fontsize=7, color="0.4")
        ax.errorbar(xs, mu, sd, fmt="o-", capsize=4, color="C1")
        ax.set_xticks(xs)
        ax.set_xticklabels([lab for lab, _ in rows], fontsize=8)
        ax.set_title(name, fontsize=10)
        _kc_lines(ax, K_fixed, vertical=False, labels=ax is axes[0][0])
    axes[0][0].set_ylabel("$K_c$ estimate")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def flow_slice(params_list, kind, exact_arrows=None, a_range=(0.3, 1.5), e_range=(-1.0, 1.0), n=17):
    """2-D slice (J_AA, J_AE1; other couplings 0) of learned five-coupling flows: the
    median arrow of the models (and, optionally, the exact-KL map's arrows)."""
    A, E = np.meshgrid(np.linspace(*a_range, n), np.linspace(*e_range, n))
    J = np.zeros((A.size, 5))
    J[:, 0], J[:, 1] = A.ravel(), E.ravel()
    F = np.median([np.asarray(network.flow(p, J, kind)) for p in params_list], axis=0)
    fig, ax = plt.subplots(figsize=(6.4, 5))
    ax.quiver(A, E, F[:, 0].reshape(A.shape), F[:, 1].reshape(A.shape), color="C1", angles="xy",
              scale_units="xy", scale=4, width=0.004, label="learned flow (median of models)")
    if exact_arrows is not None:
        Jx, Fx = exact_arrows
        ax.quiver(Jx[:, 0], Jx[:, 1], Fx[:, 0], Fx[:, 1], color="C3", angles="xy", scale_units="xy",
                  scale=4, width=0.004, label="exact-KL map")
    ax.axvline(KC, color="k", ls="--", lw=1, label="exact $K_c$ on the physical line ($J_{AE1}$ = 0)")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("$J_{AA}$")
    ax.set_ylabel("$J_{AE1}$")
    ax.set_title("flow in the slice ($J_{AA}$, $J_{AE1}$), other couplings 0; arrows $J' - J$")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def compare_of(summaries, name="exact", reference="cd", K_fixed=None):
    """Histogram of one stored ensemble's critical points beside the reference ensemble's
    (summaries: name -> rglib.flows.ensemble.summary; widget entry)."""
    if name not in summaries or reference not in summaries:
        raise ValueError(f"name must be one of {sorted(summaries)}, got {name!r}")
    groups = {reference: summaries[reference]["values"]}
    if name != reference:
        groups[name] = summaries[name]["values"]
    n = summaries[name]["n"]
    return histogram(groups, K_fixed, title=f"{name}: {n} models with a critical point"
                     + ("" if n else " (none: nothing to histogram)"))


def cobweb(params, kind="direct", K0=0.78, n_steps=40):
    """Iterate one learned one-coupling map from K0, beside the exact-KL map (widget entry)."""
    K = np.linspace(0.2, 1.4, 200)
    Kp_learned = np.asarray(network.rg_map(params, K[:, None], kind))[:, 0]
    Kp_exact = np.array([kl.exact_map([k])[0] for k in K[::4]])
    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    ax.plot(K, K, color="0.6", lw=0.8)
    ax.plot(K, Kp_learned, "C1-", label="learned $K' = K + f_\\theta(K)$")
    ax.plot(K[::4], Kp_exact, "C3--", label="exact-KL map")
    xs, ys = [K0], [0.0]
    k, n = float(K0), 0
    for n in range(1, n_steps + 1):
        kp = float(np.asarray(network.rg_map(params, np.array([[k]]), kind))[0, 0])
        xs += [k, kp]
        ys += [kp, kp]
        k = kp
        if not 0.0 < k < 1.6:
            break
    ax.plot(np.clip(xs, 0.2, 1.4), np.clip(ys, 0.0, 1.6), "C0-", lw=0.9, label=f"flow from $K_0$ = {K0:.3f}")
    ax.axvline(KC, color="k", ls="--", lw=1, label=f"exact $K_c$ = {KC:.4f}")
    ax.set_xlim(0.2, 1.4)
    ax.set_ylim(0.0, 1.6)
    ax.set_xlabel("$K$")
    ax.set_ylabel("$K'$")
    ax.set_title(f"after {n} RG steps: K = {k:.3g}", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def cobweb_of(models, model=0, K0=0.78, kind="direct"):
    """:func:`cobweb` for model number ``model`` of a loaded ensemble (widget entry)."""
    return cobweb(models[int(model)]["params"], kind, K0)
