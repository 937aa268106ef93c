r"""Dense NRG without quantum numbers: the reference the blocked engine is measured against.

Same conventions as :mod:`rglib.nrg.iterate` (rescaling, fermionic signs,
multiplet-safe truncation), but every shell is one dense (4 k) x (4 k) matrix, as in
the authors' notebook. Product basis index 4 r + s, with

.. math::

    H_{N+1} = \sqrt\Lambda\, \mathrm{diag}(E) \otimes 1_4
              + t_N \sum_\sigma \big[F_\sigma \otimes (Z f_\sigma) + \mathrm{h.c.}\big],

:math:`F_\sigma = \langle r'|f^\dagger_{N\sigma}|r\rangle`, :math:`Z = \mathrm{diag}((-1)^{n_s})`.
Used by tests (same spectra as the blocked engine) and by ``benchmarks/nrg_speed.py``.
"""
import numpy as np

from .. import validate
from . import chain as _chain
from . import fock
from .iterate import shell_scale

_F = fock.site_f()
_Z = np.diag((-1.0) ** fock.SITE_N)


def _keep(E, N_keep, safeguard=1e-6):
    if N_keep is None or N_keep >= len(E):
        return len(E)
    thr = E[N_keep - 1]
    return int(np.searchsorted(E, thr + safeguard * max(1.0, abs(thr)), side="right"))


def run_dense(model, Lam=2.0, N_max=10, N_keep=1000, shell_callback=None):
    """Energies (rescaled, relative to the ground state) of every shell, dense algorithm."""
    validate.greater("Lambda", Lam, 1.0)
    N_max = validate.integer("N_max", N_max, minimum=0)
    use_A = True
    A_corr = _chain.A_Lambda(Lam) if use_A else 1.0
    t = _chain.hoppings_rescaled(Lam, max(N_max, 1))
    fs = model.first_shell(A_corr)
    E, U = np.linalg.eigh(np.asarray(fs.H) / shell_scale(Lam, 0))
    E = E - E[0]
    out = [E]
    k = _keep(E, N_keep)
    F = [U[:, :k].T @ fs.fdag0[s] @ U[:, :k] for s in (0, 1)]
    for n in range(N_max):
        Ek = E[:k]
        H = np.sqrt(Lam) * np.kron(np.diag(Ek), np.eye(4))
        for s in (0, 1):
            hop = t[n] * np.kron(F[s], _Z @ _F[s])
            H = H + hop + hop.T
        E, U = np.linalg.eigh(H)
        E = E - E[0]
        out.append(E)
        if shell_callback is not None:
            shell_callback(n + 1, H.shape[0])
        k = _keep(E, N_keep)
        if n + 1 < N_max:
            F = [U[:, :k].T @ np.kron(np.eye(len(Ek)), _F[s].T) @ U[:, :k] for s in (0, 1)]
    return out


def free_energy_dense(theta, Lam=3.0, N_max=3, N_keep=None, beta_bar=0.9, field="uniform",
                      eigh="safe", noise=0.0, rng=None):
    """F of the last shell of the *dense* (no-symmetry) NRG, differentiable by autograd.

    The degeneracy demonstration of notebook 03 (dnrg.md §4.3): ``eigh`` is
    ``"plain"`` (autograd's own VJP, which divides by eigenvalue gaps) or ``"safe"``
    (:func:`rglib.nrg.linalg.eigh`); ``noise`` adds noise * N(0,1) to the diagonal
    before every diagonalization (the authors' trick), drawn from ``rng``.
    """
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    from . import linalg
    from .models import Anderson

    validate.one_of("eigh", eigh, ("plain", "safe"))
    validate.nonnegative("noise", noise)
    if noise and rng is None:
        raise ValueError("rng: a numpy.random.Generator is needed when noise > 0")
    solve = anp.linalg.eigh if eigh == "plain" else linalg.eigh
    model = Anderson(theta[0], theta[1], theta[2], theta[3], field=field)
    t = _chain.hoppings_rescaled(Lam, max(N_max, 1))
    fs = model.first_shell(_chain.A_Lambda(Lam))
    B_site = model.B if field == "uniform" else 0.0
    sz_site = np.diag(fock.SITE_2SZ / 2.0)

    def diag_noise(n):
        return np.diag(noise * rng.standard_normal(n)) if noise else 0.0

    H = fs.H / shell_scale(Lam, 0)
    E, U = solve(H + diag_noise(H.shape[0]))
    F_ops = [fs.fdag0[s] for s in (0, 1)]
    for n in range(N_max):
        k = _keep(np.asarray(getattr(E, "_value", E)), N_keep)
        Ek, Uk = E[:k], U[:, :k]
        Fk = [anp.dot(anp.transpose(Uk), anp.dot(F_ops[s], Uk)) for s in (0, 1)]
        H = (np.sqrt(Lam) * anp.kron(anp.diag(Ek), np.eye(4))
             + B_site / shell_scale(Lam, n + 1) * anp.kron(np.eye(k), sz_site))
        for s in (0, 1):
            hop = t[n] * anp.kron(Fk[s], _Z @ _F[s])
            H = H + hop + anp.transpose(hop)
        E, U = solve(H + diag_noise(H.shape[0]))
        F_ops = [np.kron(np.eye(k), _F[s].T) for s in (0, 1)]
    scale = shell_scale(Lam, N_max)
    T = scale / beta_bar
    return -T * logsumexp(-E * scale / T)
