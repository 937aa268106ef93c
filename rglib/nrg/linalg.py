"""Symmetric eigensolver used by the NRG (a differentiable primitive in notebook 03)."""
import autograd.numpy as anp


def eigh(H):
    """Eigenvalues (ascending) and eigenvectors of a real symmetric matrix."""
    return anp.linalg.eigh(H)
