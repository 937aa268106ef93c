r"""Exact references for the NRG.

* :func:`free_fermion_F`: U = 0 (or the bare chain) is a quadratic problem. The free
  energy of the *same finite Wilson chain* as NRG shell N follows from the
  eigenvalues eps_k of its single-particle hopping matrix:
  F = -2 T sum_k ln(1 + exp(-eps_k/T)) (two spins) - with the same constant
  convention as the NRG (energies measured from zero).
* :func:`single_particle_matrix`: that matrix (impurity level eps_d + B-free, chain hoppings).
* :func:`free_fermion_thermo`: entropy, heat capacity and T chi of the same.
* :func:`dense_anderson`: the Fock-space Hamiltonian of impurity + short chain (ED).
* :func:`resonant_level_thermo`: the U = 0 impurity in the wide-band continuum.
* Haldane's Kondo temperature of the symmetric SIAM.
"""
import numpy as np
from scipy.integrate import quad

from .. import validate
from . import chain, fock


def single_particle_matrix(Lam, N, eps_d=None, Gamma=0.0, A_correction=None):
    """Hopping matrix of [d,] f_0..f_N in physical units (D = 1), Wilson scheme, z = 1."""
    Lam = validate.greater("Lam", Lam, 1.0)
    N = validate.integer("N", N, minimum=0)
    eps = chain.hoppings(Lam, N) if N > 0 else np.zeros(0)
    n = N + 1
    off = list(eps)
    diag = [0.0] * n
    if eps_d is not None:
        A = chain.coupling_factor(Lam, "wilson", A_correction)
        off = [np.sqrt(2 * Gamma / np.pi * A)] + off
        diag = [eps_d] + diag
    return np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)


def free_fermion_F(h, T):
    """Grand free energy at mu = 0 of spinful fermions with one-body matrix h.

    F = sum_k [min(eps_k, 0)*2 - 2 T ln(1 + exp(-|eps_k|/T))]  (numerically stable).
    """
    T = float(validate.positive("T", T))
    e = np.linalg.eigvalsh(h)
    return float(np.sum(2 * np.minimum(e, 0.0) - 2 * T * np.log1p(np.exp(-np.abs(e) / T))))


def free_fermion_thermo(h, T):
    """Entropy, heat capacity and T*chi (spin) of spinful free fermions at mu = 0."""
    e = np.linalg.eigvalsh(h)
    x = e / T
    f = 0.5 * (1 - np.tanh(x / 2))                  # Fermi function, stable
    fm = np.clip(f, 1e-300, 1)
    gm = np.clip(1 - f, 1e-300, 1)
    S = -2 * np.sum(f * np.log(fm) + (1 - f) * np.log(gm))
    C = 2 * np.sum(x * x * f * (1 - f))
    Tchi = 2 * 0.25 * np.sum(f * (1 - f))           # each spin: <S_z^2> from 1/2 (n_up - n_dn)
    return {"S": S, "C": C, "Tchi": Tchi}


def T_K_haldane(U, Gamma):
    r"""Haldane's T_K = sqrt(U Gamma / 2) exp(-pi U/(8 Gamma) + pi Gamma/(2U)) (symmetric SIAM)."""
    U = float(validate.positive("U", U))
    Gamma = float(validate.positive("Gamma", Gamma))
    return np.sqrt(U * Gamma / 2) * np.exp(-np.pi * U / (8 * Gamma) + np.pi * Gamma / (2 * U))


def dense_anderson(eps_d, U, Gamma, Lam, N, B=0.0, field="impurity", A_correction=None,
                   hoppings=None):
    """Dense Fock-space Hamiltonian of impurity + f_0..f_N (exact diagonalization reference).

    Independent of the NRG iteration: Jordan-Wigner operators of all 2(N+2) modes.
    ``hoppings``: physical chain hoppings eps_0..eps_{N-1} (default: Wilson's closed
    form). Returns (H, Q, 2Sz) in physical units. Keep N <= 4 (dimension 4^(N+2)).
    """
    N = validate.integer("N", N, minimum=0, maximum=4)
    c, n, two_sz = fock.spinful(N + 2)
    d, f = c[0], c[1:]
    eps = chain.hoppings(Lam, N) if hoppings is None else np.asarray(hoppings, dtype=float)
    if len(eps) != N:
        raise ValueError(f"hoppings must hold N = {N} values, got {len(eps)}")
    V = np.sqrt(2 * Gamma / np.pi * chain.coupling_factor(Lam, "wilson", A_correction))
    nd = [d[s].T @ d[s] for s in (0, 1)]
    H = eps_d * (nd[0] + nd[1]) + U * nd[0] @ nd[1] + B * 0.5 * (nd[0] - nd[1])
    for s in (0, 1):
        H = H + V * (d[s].T @ f[0][s] + f[0][s].T @ d[s])
        for k in range(N):
            H = H + eps[k] * (f[k][s].T @ f[k + 1][s] + f[k + 1][s].T @ f[k][s])
    if field == "uniform":
        for k in range(N + 1):
            H = H + B * 0.5 * (f[k][0].T @ f[k][0] - f[k][1].T @ f[k][1])
    return H, n - (N + 2), two_sz


def resonant_level_thermo(eps_d, Gamma, T):
    r"""Exact impurity thermodynamics of the U = 0 resonant level (wide flat band).

    The impurity changes the density of states by
    Delta rho(e) = (1/pi) Gamma / ((e - eps_d)^2 + Gamma^2) per spin, so
    S_imp = 2 int de Delta rho(e) s(e/T), with s(x) the entropy of one fermion level,
    and T chi_imp = (T/2) int de Delta rho(e) (-df/de). Valid for T, |eps_d|, Gamma << D.
    """
    eps_d = float(validate.finite("eps_d", eps_d))
    Gamma = float(validate.positive("Gamma", Gamma))
    T = float(validate.positive("T", T))

    def drho(e):
        return Gamma / np.pi / ((e - eps_d) ** 2 + Gamma ** 2)

    def s(x):
        x = abs(x)
        return np.log1p(np.exp(-x)) + x / (np.exp(x) + 1.0)

    def mdf(x):     # -df/dx
        return 0.25 / np.cosh(x / 2) ** 2

    lim = 60.0
    pts = sorted({-lim, 0.0, eps_d / T, lim})
    pts = [p for p in pts if -lim <= p <= lim]
    S = 2 * sum(quad(lambda x: drho(x * T) * T * s(x), a, b, limit=200)[0]
                for a, b in zip(pts[:-1], pts[1:]))
    Tchi = 0.5 * sum(quad(lambda x: drho(x * T) * T * mdf(x), a, b, limit=200)[0]
                     for a, b in zip(pts[:-1], pts[1:]))
    return {"S": S, "Tchi": Tchi}
