"""A small neural-network kit on HIPS autograd, shared by Parts II and III.

Parameters are plain nested lists/dicts of NumPy arrays (autograd differentiates them
directly); models are pure functions ``f(params, x)``.

* :mod:`rglib.nn.layers`: dense layers and MLPs (Kaiming-uniform initialization as in
  PyTorch), activations, layer normalization, 2-D convolution with circular padding;
* :mod:`rglib.nn.optim`: Adam with learning-rate schedules and weight decay;
* :mod:`rglib.nn.train`: mini-batches and a training loop with a progress bar and a
  loss log;
* :mod:`rglib.nn.io`: save and load parameters as ``.npz``.

Every layer's gradient is checked with ``autograd.test_util.check_grads``
(``tests/test_nn.py``).
"""
from . import conv, io, layers, optim, train, tree  # noqa: F401
from .conv import conv2d, init_conv  # noqa: F401
from .io import load, save  # noqa: F401
from .layers import dense, init_dense, init_mlp, mlp, n_params  # noqa: F401
from .optim import Adam, exponential_schedule, step_schedule  # noqa: F401
from .train import fit, minibatches  # noqa: F401
