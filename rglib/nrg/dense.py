r"""Dense NRG without quantum numbers: the reference the blocked engine is measured against.

Same conventions as :mod:`rglib.nrg.iterate` (rescaling, fermionic signs,
multiplet-safe truncation), but every shell is one dense (4 k) x (4 k) matrix, as in
the authors' notebook. Product basis index 4 r + s, with

.. math::

    H_{N+1} = \sqrt\Lambda\, \mathrm{diag}(E) \otimes 1_4
              + t_N \sum_\sigma \big[F_\sigma \otimes (Z f_\sigma) + \mathrm{h.c.}\big],

:math:`F_\sigma = \langle r'|f^\dagger_{N\sigma}|r\rangle`, :math:`Z = \mathrm{diag}((-1)^{n_s})`.
Used by tests (same spectra as the blocked engine) and by ``benchmarks/nrg_speed.py``.
The autograd version with switchable eigensolvers (notebook 03's degeneracy
demonstration) is :mod:`rglib.nrg.degeneracy`.
"""
import numpy as np

from .. import validate
from . import chain
from . import fock
from .iterate import shell_scale

SITE_F = fock.site_f()
#: fermionic parity (-1)^{n_s} of the four site states
PARITY = np.diag((-1.0) ** fock.SITE_N)


def keep_count(E, N_keep, safeguard=1e-6):
    """States kept of an ascending spectrum: N_keep lowest, whole multiplets."""
    if N_keep is None or N_keep >= len(E):
        return len(E)
    thr = E[N_keep - 1]
    return int(np.searchsorted(E, thr + safeguard * max(1.0, abs(thr)), side="right"))


def run_dense(model, Lam=2.0, N_max=10, N_keep=1000, shell_callback=None):
    """Energies (rescaled, relative to the ground state) of every shell, dense algorithm
    (Wilson scheme, z = 1, A_Lambda correction: the blocked engine's defaults)."""
    Lam = float(validate.greater("Lam", Lam, 1.0))
    N_max = validate.integer("N_max", N_max, minimum=0, maximum=100)
    if N_keep is not None:
        N_keep = validate.integer("N_keep", N_keep, minimum=1, maximum=2000)
    t = chain.hoppings_rescaled(Lam, max(N_max, 1))
    fs = model.first_shell(chain.coupling_factor(Lam))
    E, U = np.linalg.eigh(np.asarray(fs.H) / shell_scale(Lam, 0))
    E = E - E[0]
    out = [E]
    k = keep_count(E, N_keep)
    F = [U[:, :k].T @ fs.fdag0[s] @ U[:, :k] for s in (0, 1)]
    for n in range(N_max):
        Ek = E[:k]
        H = np.sqrt(Lam) * np.kron(np.diag(Ek), np.eye(4))
        for s in (0, 1):
            hop = t[n] * np.kron(F[s], PARITY @ SITE_F[s])
            H = H + hop + hop.T
        E, U = np.linalg.eigh(H)
        E = E - E[0]
        out.append(E)
        if shell_callback is not None:
            shell_callback(n + 1, H.shape[0])
        k = keep_count(E, N_keep)
        if n + 1 < N_max:
            F = [U[:, :k].T @ np.kron(np.eye(len(Ek)), SITE_F[s].T) @ U[:, :k] for s in (0, 1)]
    return out
