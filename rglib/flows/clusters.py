r"""Teacher and student clusters of the machine-learning RG (Hou & You 2023).

The decorated square lattice (one spin on every bond; Lieb) has
:math:`\tanh K_{\rm eff} = \tanh^2 K` for the square lattice of its vertices, so its
critical coupling per decorated bond is :math:`K_c = \tfrac12\,{\rm arccosh}(1+\sqrt2)
= 0.7642854597` (:data:`K_C_DECORATED`). One RG step (scale factor :math:`b=\sqrt2`):

* **teacher**: one plaquette of the fine lattice, a ring of 4 vertex ("green", visible)
  and 4 bond ("blue", hidden) sites, couplings J on its 8 bonds;
* **student**: a star, one hidden centre ("red", a vertex of the coarse lattice, which
  is rotated by 45 degrees) joined to the same 4 green sites, couplings J'.

The student's couplings J' = R(J) are chosen so that its marginal on the green spins
matches the teacher's (the KL divergence, :mod:`rglib.flows.kl`); the map J -> J' is the
RG flow.

**Representations.** Every site carries d Ising spins labelled by irreducible
representations of the point group: ``"A1"`` (d = 1, one coupling: plain Ising) and
``"A1E"`` (d = 3: a scalar A and a doublet E = (E1, E2), five couplings). A bond from a
"src" spin vector x (the bond/midpoint site) to a "tgt" spin vector z (the vertex site)
in lattice direction d = 0..3 contributes :math:`x^T J^{(d)} z` to the log-weight, with
:math:`J^{(d)} = R^d J^{(0)} R^{dT}`, R the 90-degree rotation (1 on A, [[0,-1],[1,0]]
on E), and :math:`J^{(0)}` reflection-symmetric: the free couplings are
(A,A), (A,E1), (E1,A), (E1,E1), (E2,E2) (in this order). The physical line is
J = (K, 0, 0, 0, 0). Flipping every E spin maps (A,E1), (E1,A) to their negatives: the
two signs are equivalent branches (:func:`canonical`).

Units: K per decorated bond, weight exp(+K s s'); Hou & You's code uses J = 2K.

Everything is exact enumeration of the visible marginals: 2^(4d) = 16 (A1) or 4096
(A1E) green configurations, the hidden spins summed in closed form
(:math:`\sum_{x=\pm1} e^{x h} = 2\cosh h` per hidden spin).
"""
import autograd.numpy as anp
import numpy as np

from .. import validate

K_C_DECORATED = 0.5 * float(np.arccosh(1 + np.sqrt(2)))     # 0.7642854597404991
B_SCALE = float(np.sqrt(2))                                   # scale factor of one RG step

#: spins per site and couplings of each representation
REPRESENTATIONS = {"A1": (1, 1), "A1E": (3, 5)}
COUPLING_NAMES = {"A1": ("K",), "A1E": ("AA", "AE1", "E1A", "E1E1", "E2E2")}

# geometry: green corners 0..3 at (0,0),(2,0),(2,2),(0,2); blue midpoint b joins greens
# b and b+1; direction index (tgt -> src) of each teacher bond, in the fine frame
TEACHER_BONDS = [(0, 0, 0), (0, 1, 2), (1, 1, 1), (1, 2, 3), (2, 2, 2), (2, 3, 0), (3, 3, 3),
                 (3, 0, 1)]          # (blue b, green g, direction d)
# the student's centre joins green g in direction STAR_DIRS[g] of the coarse frame
# (rotated +45 degrees: red->green (1,1) is +x', (-1,1) is +y')
STAR_DIRS = (2, 3, 0, 1)


def check_representation(rep):
    return validate.one_of("representation", rep, tuple(REPRESENTATIONS))


def n_couplings(rep):
    return REPRESENTATIONS[check_representation(rep)][1]


def physical(K, rep="A1"):
    """The couplings of the plain Ising model with K per bond in representation ``rep``."""
    K = float(validate.finite("K", K))
    return np.array([K] + [0.0] * (n_couplings(rep) - 1))


def rotation(rep):
    """The 90-degree rotation R acting on a site's spin flavours."""
    if check_representation(rep) == "A1":
        return np.ones((1, 1))
    return np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])


def coupling_matrices(J, rep):
    """J^(d), d = 0..3, from the coupling vector(s) J (shape (..., c)): (..., 4, d, d)."""
    rep = check_representation(rep)
    if rep == "A1":
        m = J[..., 0][..., None, None]
        return anp.stack([m, m, m, m], axis=-3)
    z = J[..., 0] * 0.0
    row0 = anp.stack([J[..., 0], J[..., 1], z], axis=-1)
    row1 = anp.stack([J[..., 2], J[..., 3], z], axis=-1)
    row2 = anp.stack([z, z, J[..., 4]], axis=-1)
    J0 = anp.stack([row0, row1, row2], axis=-2)
    R = rotation(rep)
    mats, Rd = [], np.eye(3)
    for _ in range(4):
        mats.append(anp.matmul(anp.matmul(Rd, J0), Rd.T))
        Rd = R @ Rd
    return anp.stack(mats, axis=-3)


def visible_states(rep):
    """All green configurations: int array (2^(4d), 4, d) of +-1."""
    d = REPRESENTATIONS[check_representation(rep)][0]
    n = 4 * d
    bits = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    return (2 * bits - 1).reshape(-1, 4, d).astype(float)


def _logcosh2(h):
    return anp.logaddexp(h, -h)           # log(2 cosh h), smooth, no overflow


def teacher_fields(J, g, rep):
    """Local fields on the 4 blue spins from the greens: (..., n_states, 4, d).

    h_b = sum over the two greens of blue b of J^(d) z_g (x^T J z: the src field)."""
    Jd = coupling_matrices(J, rep)                   # (..., 4 dirs, d, d)
    h = []
    for b in range(4):
        terms = [anp.einsum("...ij,sj->...si", Jd[..., d, :, :], g[:, gi, :])
                 for bb, gi, d in TEACHER_BONDS if bb == b]
        h.append(terms[0] + terms[1])
    return anp.stack(h, axis=-2)


def student_field(J, g, rep):
    """Field on the red centre's spins from the greens: (..., n_states, d).

    h = sum_g J^(d_g)^T x_g (the greens are src, the centre tgt)."""
    Jd = coupling_matrices(J, rep)
    terms = [anp.einsum("...ij,si->...sj", Jd[..., STAR_DIRS[gi], :, :], g[:, gi, :])
             for gi in range(4)]
    return terms[0] + terms[1] + terms[2] + terms[3]


def teacher_logweights(J, rep, g=None):
    """Unnormalized log p_T(green) for all green states (or the given ones): (..., n)."""
    g = visible_states(rep) if g is None else g
    return anp.sum(_logcosh2(teacher_fields(J, g, rep)), axis=(-2, -1))


def student_logweights(J, rep, g=None):
    """Unnormalized log p_S(green) for all green states (or the given ones): (..., n).
    Minus the student's free energy of the visible configuration (centre summed)."""
    g = visible_states(rep) if g is None else g
    return anp.sum(_logcosh2(student_field(J, g, rep)), axis=-1)


def log_normalize(lw):
    """log p from unnormalized log-weights over the last axis."""
    m = anp.max(lw, axis=-1, keepdims=True)
    return lw - (m + anp.log(anp.sum(anp.exp(lw - m), axis=-1, keepdims=True)))


def canonical(J, rep):
    """The E-flip branch with a non-negative (A,E1) coupling (A1: unchanged)."""
    J = np.array(J, dtype=float)
    if check_representation(rep) == "A1E":
        flip = J[..., 1] < 0
        J[..., 1] = np.where(flip, -J[..., 1], J[..., 1])
        J[..., 2] = np.where(flip, -J[..., 2], J[..., 2])
    return J
