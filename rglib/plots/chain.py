"""Figures of the logarithmic discretization and the Wilson chain."""
import matplotlib.pyplot as plt
import numpy as np

from ..nrg import chain


def discretization(Lambda=2.0, n_points=8, z=1.0):
    """Left: the logarithmic grid on [-1, 1]. Right: rescaled hoppings t_n vs n."""
    x = chain.log_grid(Lambda, n_points, z)
    t = chain.hoppings_rescaled(Lambda, max(n_points, 12))
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    for xi in x:
        a.axvline(xi, color="C0", lw=1)
        a.axvline(-xi, color="C0", lw=1)
    a.set_xlim(-1.05, 1.05)
    a.set_yticks([])
    a.set_xlabel(r"$\varepsilon / D$")
    a.set_title(rf"$\pm\Lambda^{{-n}}$ grid, $\Lambda={Lambda:g}$, $z={z:g}$")
    n = np.arange(len(t))
    b.plot(n, t, "o-", label=r"$t_n = \epsilon_n\Lambda^{n/2}$")
    b.axhline(0.5 * (1 + 1 / Lambda), color="k", ls="--", lw=1, label=r"$(1+\Lambda^{-1})/2$")
    b.set_xlabel("chain site $n$")
    b.set_ylabel("rescaled hopping")
    b.legend()
    fig.tight_layout()
    return fig
