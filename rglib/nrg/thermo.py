r"""Thermodynamics of one NRG shell, from its spectrum (the conventional formulas).

Shell N is evaluated at T_N = s_N / beta_bar with its full spectrum (Bulla, Costi &
Pruschke, RMP 80, 395 (2008), Sec. III.A.1). With rescaled energies e_i (relative to
the shell ground state) and p_i = exp(-beta_bar e_i) / Z:

* free energy  F = E0 - T ln Z                   (physical units)
* entropy      S = beta_bar <e> + ln Z
* heat capacity C = beta_bar^2 (<e^2> - <e>^2)
* T chi        = <S_z^2> - <S_z>^2              (total S_z, g mu_B = 1)
* charge       <Q>, and <O> for every recorded impurity operator.

Impurity contributions (minus the bare chain), even/odd and z-averaging live in
:mod:`rglib.nrg.impurity`.
"""
import autograd.numpy as anp
import numpy as np

from .. import validate
from ..autodiff import logsumexp, plain

QUANTITIES = ("T", "F", "S", "C", "Tchi", "Sz", "Q")


def _check(shell):
    if getattr(shell, "symmetry", None) not in ("QSz", "QS"):
        raise ValueError(f"shell must be an rglib.nrg Shell with its symmetry ('QSz' or 'QS'), got {type(shell).__name__}")


def shell_thermo(shell, operators=()):
    """Thermodynamic quantities of one shell at T_N = scale / beta_bar (dict), for shells of
    either symmetry: in (Q, S) blocks every entry is a multiplet of 2S + 1 states, weighted
    accordingly, and T chi = sum_p p (2S + 1) S(S + 1) / 3 (p per state)."""
    _check(shell)
    if shell.symmetry == "QS":
        return _shell_thermo_qs(shell, operators)
    beta_bar = shell.beta_bar
    es = [shell.energies[q] for q in shell.energies]
    e = anp.concatenate(es)
    two_sz = np.concatenate([np.full(len(shell.energies[q]), q[1]) for q in shell.energies])
    Qn = np.concatenate([np.full(len(shell.energies[q]), q[0]) for q in shell.energies])
    w = anp.exp(-beta_bar * e)
    Z = anp.sum(w)
    p = w / Z
    em = anp.sum(p * e)
    T = shell.T
    sz = two_sz / 2.0
    out = {
        "T": T,
        "F": shell.E0 - T * anp.log(Z),
        "S": beta_bar * em + anp.log(Z),
        "C": beta_bar ** 2 * (anp.sum(p * e * e) - em ** 2),
        "Tchi": anp.sum(p * sz * sz) - anp.sum(p * sz) ** 2,
        "Sz": anp.sum(p * sz),
        "Q": anp.sum(p * Qn),
    }
    for name in operators:
        if name not in shell.ops:
            raise ValueError(f"operators: {name!r} was not recorded in this run (run it with "
                             f"operators=({name!r},))")
        out[name] = shell.ops[name]                  # <O> at T_N, recorded by the run
    return out


def _shell_thermo_qs(shell, operators):
    """(Q, S) blocks: q = (Q, 2S), one energy per multiplet."""
    if operators:
        raise ValueError(f"operators: {tuple(operators)} cannot be read from a (Q, S)-mode shell (its run records no "
                         "impurity operators): run in (Q, 2Sz) blocks, mode='QSz'")
    bb = shell.beta_bar
    e = anp.concatenate([shell.energies[q] for q in shell.energies])
    g = np.concatenate([np.full(len(shell.energies[q]), q[1] + 1.0) for q in shell.energies])
    ss = np.concatenate([np.full(len(shell.energies[q]), q[1] * (q[1] + 2) / 4.0) for q in shell.energies])
    Qn = np.concatenate([np.full(len(shell.energies[q]), float(q[0])) for q in shell.energies])
    lw = np.log(g) - bb * e
    lZ = logsumexp(lw)
    p = anp.exp(lw - lZ)                            # weight of the whole multiplet
    em = anp.sum(p * e)
    return {"T": shell.T, "F": shell.E0 - shell.T * lZ, "S": bb * em + lZ,
            "C": bb ** 2 * (anp.sum(p * e * e) - em ** 2), "Tchi": anp.sum(p * ss) / 3.0,
            "Sz": 0.0, "Q": anp.sum(p * Qn)}


def free_energy(shell, T=None):
    """F = E0 - T ln sum_i g_i exp(-E_i / T) of one shell at temperature T (default T_N), g_i
    the multiplicity of entry i (2S + 1 in (Q, S) blocks, 1 in (Q, 2Sz) blocks).

    Differentiable (autograd) in the model parameters *and* in T, so that
    S = -dF/dT and C = -T d^2F/dT^2 reproduce the conventional formulas exactly.
    """
    _check(shell)
    e = anp.concatenate([shell.energies[q] for q in shell.energies]) * shell.scale
    T = shell.T if T is None else validate.positive("T", T)
    if shell.symmetry == "QS":
        g = np.concatenate([np.full(len(shell.energies[q]), q[1] + 1.0) for q in shell.energies])
        return shell.E0 - T * logsumexp(np.log(g) - e / T)
    return shell.E0 - T * logsumexp(-e / T)


def thermodynamics(shells, operators=()):
    """Arrays over shells of :data:`QUANTITIES` (plain NumPy floats)."""
    rows = [shell_thermo(s, operators) for s in shells]
    keys = list(rows[0])
    return {k: np.array([float(plain(r[k])) for r in rows]) for k in keys}
