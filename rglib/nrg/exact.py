r"""Exact references for the NRG.

* :func:`free_fermion_F`: U = 0 (or the bare chain) is a quadratic problem. The free
  energy of the *same finite Wilson chain* as NRG shell N follows from the
  eigenvalues eps_k of its single-particle hopping matrix:
  F = -2 T sum_k ln(1 + exp(-eps_k/T)) (two spins) - with the same constant
  convention as the NRG (energies measured from zero).
* :func:`single_particle_matrix`: that matrix (impurity level eps_d + B-free, chain hoppings).
* Haldane's Kondo temperature of the symmetric SIAM.
"""
import numpy as np

from .. import validate
from . import chain as _chain


def single_particle_matrix(Lam, N, eps_d=None, Gamma=0.0, A_correction=True):
    """Hopping matrix of [d,] f_0..f_N in physical units (D = 1), Wilson scheme, z = 1."""
    validate.greater("Lambda", Lam, 1.0)
    N = validate.integer("N", N, minimum=0)
    eps = _chain.hoppings(Lam, N) if N > 0 else np.zeros(0)
    n = N + 1
    off = list(eps)
    diag = [0.0] * n
    if eps_d is not None:
        A = _chain.A_Lambda(Lam) if A_correction else 1.0
        off = [np.sqrt(2 * Gamma / np.pi * A)] + off
        diag = [eps_d] + diag
    return np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)


def free_fermion_F(h, T):
    """Grand free energy at mu = 0 of spinful fermions with one-body matrix h.

    F = sum_k [min(eps_k, 0)*2 - 2 T ln(1 + exp(-|eps_k|/T))]  (numerically stable).
    """
    validate.positive("T", T)
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
    validate.positive("U", U)
    validate.positive("Gamma", Gamma)
    return np.sqrt(U * Gamma / 2) * np.exp(-np.pi * U / (8 * Gamma) + np.pi * Gamma / (2 * U))
