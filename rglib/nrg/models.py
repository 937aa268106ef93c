r"""Impurity models for the NRG: Anderson (SIAM), Kondo (s-d), and the bare bath.

Single-impurity Anderson model (units D = 1, flat band rho = 1/2):

.. math::

    H = \varepsilon_d n_d + U n_{d\uparrow} n_{d\downarrow}
        + V \sum_\sigma (d^\dagger_\sigma f_{0\sigma} + h.c.) + H_{\rm chain} + B S_z,
    \qquad V = \sqrt{2\Gamma/\pi},

Kondo model: :math:`H = J\, \mathbf S \cdot \mathbf s_0 + H_{\rm chain} + B S_z` with
:math:`\mathbf s_0 = \tfrac12 \sum_{\alpha\beta} f^\dagger_{0\alpha}
\boldsymbol\sigma_{\alpha\beta} f_{0\beta}` (so T_K ~ exp(-1/(rho J)), rho = 1/2).

The field B couples to S_z of the impurity only (``field="impurity"``) or to the
total S_z of impurity and chain (``field="uniform"``).

Each model builds the dense Hamiltonian of the *first shell* N = 0 (impurity plus
chain site f_0) as a linear combination of constant matrices, so that autograd
can differentiate with respect to its parameters. With Wilson's discretization the
impurity-bath coupling is corrected by A_Lambda (V^2 -> A_Lambda V^2,
J -> A_Lambda J) so the discrete chain reproduces the continuum coupling.
"""
from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np

from .. import validate
from ..autodiff import is_traced
from . import fock

FIELDS = ("impurity", "uniform")


class _Field:
    """The field B on the chain sites f_1, f_2, ... (f_0 is in the first shell), and a
    repr that names every parameter (sweep cache keys, messages)."""

    def __repr__(self):
        keys = [k for k in ("eps_d", "U", "Gamma", "J", "B", "field") if hasattr(self, k)]
        return f"{self.name}(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in keys) + ")"

    @property
    def chain_field(self):
        return self.B if self.field == "uniform" else 0.0


@dataclass(frozen=True)
class FirstShell:
    """Dense operators of shell 0 (impurity + f_0) in a Fock basis."""
    H: object               # physical Hamiltonian (may be an autograd box)
    fdag0: tuple            # (f0_up^+, f0_dn^+) dense constant matrices
    Q: np.ndarray           # charge relative to half filling of each basis state
    twoSz: np.ndarray       # 2 S_z of each basis state
    ops: dict               # named impurity operators (dense, constant)
    d: tuple = ()           # (d_up, d_dn) impurity annihilators (dense, constant), if any
    Splus: object = None    # total S^+ (dense, constant) when H has SU(2) spin symmetry (B = 0)


def _fdag(c):
    return c.T.copy()


def _if_symmetric(Splus, B):
    """S^+ when the Hamiltonian has SU(2) spin symmetry: B = 0 exactly and not a variable
    being differentiated (a derivative in B breaks the symmetry)."""
    return None if is_traced(B) or float(B) != 0.0 else Splus


class Anderson(_Field):
    """SIAM parameters eps_d, U, Gamma (hybridization), field B.

    Impurity operators (``operators=`` of :func:`rglib.nrg.run`): ``n_d``, ``docc``
    (n_up n_dn), ``hyb`` (sum_sigma d^+ f_0 + h.c.; the hybridization energy is V
    times its average, V = sqrt(2 A Gamma / pi)), ``Sz_d``, ``Sz2_d`` (S_z^2 of d).
    """

    name = "Anderson"
    operator_names = ("n_d", "docc", "hyb", "Sz_d", "Sz2_d")

    def __init__(self, eps_d, U, Gamma, B=0.0, field="impurity"):
        self.eps_d = validate.finite("eps_d", eps_d)
        self.U = validate.finite("U", U)
        self.Gamma = validate.nonnegative("Gamma", Gamma)
        self.B = validate.finite("B", B)
        self.field = validate.one_of("field", field, FIELDS)

    def first_shell(self, A_corr):
        (d, f0), n, two_sz = fock.spinful(2)
        nd_up, nd_dn = d[0].T @ d[0], d[1].T @ d[1]
        hyb = sum(_fdag(d[s]) @ f0[s] + _fdag(f0[s]) @ d[s] for s in (0, 1))
        sz_d = 0.5 * (nd_up - nd_dn)
        sz_0 = 0.5 * (f0[0].T @ f0[0] - f0[1].T @ f0[1])
        V = anp.sqrt(2.0 * self.Gamma / np.pi) * anp.sqrt(A_corr)
        H = (self.eps_d * (nd_up + nd_dn) + self.U * (nd_up @ nd_dn) + V * hyb
             + self.B * (sz_d + (sz_0 if self.field == "uniform" else 0.0)))
        ops = {"n_d": nd_up + nd_dn, "docc": nd_up @ nd_dn, "hyb": hyb, "Sz_d": sz_d,
               "Sz2_d": sz_d @ sz_d}
        Splus = sum(_fdag(c[0]) @ c[1] for c in (d, f0))          # d_up^+ d_dn + f0_up^+ f0_dn
        return FirstShell(H, (_fdag(f0[0]), _fdag(f0[1])), n - 2, two_sz, ops, (d[0], d[1]),
                          _if_symmetric(Splus, self.B))


class Kondo(_Field):
    """s-d exchange J S.s_0 (J > 0 antiferromagnetic), field B.

    Impurity operators: ``Sz_d`` (impurity spin), ``SdotS`` (S.s_0).
    """

    name = "Kondo"
    operator_names = ("Sz_d", "SdotS")

    def __init__(self, J, B=0.0, field="impurity"):
        self.J = validate.finite("J", J)
        self.B = validate.finite("B", B)
        self.field = validate.one_of("field", field, FIELDS)

    def first_shell(self, A_corr):
        (f0,), n, two_sz_f = fock.spinful(1)
        # impurity spin (2 states: up, down) x site f_0 (4 Fock states)
        Sp = np.array([[0.0, 1.0], [0.0, 0.0]])
        Sz = np.diag([0.5, -0.5])
        I2, I4 = np.eye(2), np.eye(len(n))
        up, dn = f0
        s_p = up.T @ dn                      # s_0^+ = f_up^+ f_dn
        s_z = 0.5 * (up.T @ up - dn.T @ dn)
        SdotS = (np.kron(Sz, s_z) + 0.5 * (np.kron(Sp, s_p.T) + np.kron(Sp.T, s_p)))
        Sz_imp = np.kron(Sz, I4)
        H = (A_corr * self.J) * SdotS + self.B * (
            Sz_imp + (np.kron(I2, s_z) if self.field == "uniform" else 0.0))
        fd = tuple(np.kron(I2, c.T) for c in f0)
        Q = np.tile(n - 1, 2)
        twoSz = np.concatenate([two_sz_f + 1, two_sz_f - 1])
        Splus = np.kron(Sp, I4) + np.kron(I2, s_p)
        return FirstShell(H, fd, Q, twoSz, {"Sz_d": Sz_imp, "SdotS": SdotS}, (),
                          _if_symmetric(Splus, self.B))


class Bath(_Field):
    """No impurity: the bare Wilson chain (for impurity subtraction). Uniform field B."""

    name = "Bath"
    operator_names = ()

    def __init__(self, B=0.0, field="uniform"):
        self.B = validate.finite("B", B)
        self.field = validate.one_of("field", field, FIELDS)

    def first_shell(self, A_corr):
        (f0,), n, two_sz = fock.spinful(1)
        sz_0 = 0.5 * (f0[0].T @ f0[0] - f0[1].T @ f0[1])
        H = (self.B if self.field == "uniform" else 0.0) * sz_0
        H = H + 0.0 * np.eye(len(n))
        Splus = f0[0].T @ f0[1]
        return FirstShell(H, (f0[0].T.copy(), f0[1].T.copy()), n - 1, two_sz, {}, (),
                          _if_symmetric(Splus, self.B))


def bath_of(model):
    """The bare chain that is subtracted to obtain impurity contributions."""
    field_B = model.B if model.field == "uniform" else 0.0
    return Bath(B=field_B, field="uniform")
