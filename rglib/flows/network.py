r"""The learned RG map J -> J', in the two forms compared by Shen & Kao.

* **direct flow** (the talk): :math:`J' = J + f_\theta(J)`, :math:`f_\theta:\mathbb R^n\to
  \mathbb R^n` an MLP;
* **monotone** (Hou & You): :math:`J' = J - \nabla_J C_\theta(J)`, :math:`C_\theta:
  \mathbb R^n\to\mathbb R` an MLP with smooth activations, :math:`C_\theta(0)` subtracted
  (a gradient flow of an RG monotone; its Jacobian :math:`1 - \partial^2 C` is symmetric).

For one coupling the two function classes coincide (every 1-D map is a gradient); for
n > 1 the direct flow is more expressive and needs no double back-propagation.
"""
import autograd.numpy as anp
import numpy as np
from autograd import elementwise_grad, jacobian

from .. import nn, validate

KINDS = ("direct", "monotone")


def init(rng, n, kind="direct", hidden=(16, 16)):
    """Parameters of a flow on n couplings: an MLP n -> hidden -> n (direct) or -> 1
    (monotone); the last layer is scaled down so that the initial map is close to J."""
    validate.one_of("kind", kind, KINDS)
    hidden = validate.integers("hidden", hidden, minimum=1, maximum=1024, min_length=1)
    n = validate.integer("n", n, minimum=1)
    params = nn.init_mlp(rng, [n] + hidden + [n if kind == "direct" else 1])
    params[-1] = {k: 0.1 * v for k, v in params[-1].items()}
    return params


def monotone(params, J):
    """C_theta(J) - C_theta(0) for couplings J (..., n): shape (...)."""
    return nn.mlp(params, J)[..., 0] - nn.mlp(params, anp.zeros(J.shape[-1]))[0]


def rg_map(params, J, kind="direct"):
    """J' for couplings J of shape (batch, n)."""
    if kind == "direct":
        return J + nn.mlp(params, J)
    return J - elementwise_grad(lambda x: anp.sum(monotone(params, x)))(J)


def flow(params, J, kind="direct"):
    """f(J) = J' - J."""
    return rg_map(params, J, kind) - J


def jacobian_at(params, J, kind="direct"):
    """dJ'/dJ (n, n) at one coupling vector J (n,)."""
    J = np.asarray(J, dtype=float)
    return jacobian(lambda x: rg_map(params, x[None, :], kind)[0])(J)
