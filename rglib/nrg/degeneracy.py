r"""The degenerate-eigenvalue problem of reverse-mode AD, on the dense NRG (notebook 03).

The authors' notebook runs a dense NRG without quantum numbers and lifts degeneracies
by adding 1e-12 Gaussian noise to the diagonal before every diagonalization.
:func:`free_energy_dense` is that algorithm in autograd with a switchable eigensolver,
to show side by side: plain autograd ``eigh`` (its VJP divides by eigenvalue gaps:
NaN at degeneracies), plain ``eigh`` with noise (garbage once eigenvectors enter),
the degeneracy-safe VJP of :mod:`rglib.nrg.linalg` without symmetry blocks (second
derivatives lose their intra-multiplet terms), and with noise. The blocked NRG of
:mod:`rglib.nrg.iterate` is the cure (``docs/references.md`` records the values an
independent implementation gave for this setup).
"""
import autograd.numpy as anp
import numpy as np

from .. import validate
from ..autodiff import logsumexp, plain
from . import chain, fock, linalg
from .dense import PARITY, SITE_F, keep_count
from .iterate import shell_scale
from .models import Anderson


def free_energy_dense(params, Lam=3.0, N_max=3, N_keep=None, beta_bar=0.9, field="uniform",
                      eigh="safe", noise=0.0, rng=None):
    """F of the last shell of the *dense* (no-symmetry) NRG, differentiable by autograd.

    The degeneracy demonstration of notebook 03: ``eigh`` is
    ``"plain"`` (autograd's own VJP, which divides by eigenvalue gaps) or ``"safe"``
    (:func:`rglib.nrg.linalg.eigh`); ``noise`` adds noise * N(0,1) to the diagonal
    before every diagonalization (the authors' trick), drawn from ``rng``.
    """
    validate.one_of("eigh", eigh, ("plain", "safe"))
    noise = float(validate.nonnegative("noise", noise))
    Lam = float(validate.greater("Lam", Lam, 1.0))
    N_max = validate.integer("N_max", N_max, minimum=0, maximum=6)
    if noise:
        rng = validate.rng("rng", rng)
    solve = anp.linalg.eigh if eigh == "plain" else linalg.eigh
    model = Anderson(params["eps_d"], params["U"], params["Gamma"], params.get("B", 0.0),
                     field=field)
    t = chain.hoppings_rescaled(Lam, max(N_max, 1))
    fs = model.first_shell(chain.coupling_factor(Lam))
    B_site = model.chain_field
    sz_site = np.diag(fock.SITE_2SZ / 2.0)

    def diag_noise(n):
        return np.diag(noise * rng.standard_normal(n)) if noise else 0.0

    H = fs.H / shell_scale(Lam, 0)
    E, U = solve(H + diag_noise(H.shape[0]))
    F_ops = [fs.fdag0[s] for s in (0, 1)]
    for n in range(N_max):
        k = keep_count(plain(E), N_keep)
        Ek, Uk = E[:k], U[:, :k]
        Fk = [anp.dot(anp.transpose(Uk), anp.dot(F_ops[s], Uk)) for s in (0, 1)]
        H = (np.sqrt(Lam) * anp.kron(anp.diag(Ek), np.eye(4))
             + B_site / shell_scale(Lam, n + 1) * anp.kron(np.eye(k), sz_site))
        for s in (0, 1):
            hop = t[n] * anp.kron(Fk[s], PARITY @ SITE_F[s])
            H = H + hop + anp.transpose(hop)
        E, U = solve(H + diag_noise(H.shape[0]))
        F_ops = [np.kron(np.eye(k), SITE_F[s].T) for s in (0, 1)]
    scale = shell_scale(Lam, N_max)
    T = scale / beta_bar
    return -T * logsumexp(-E * scale / T)
