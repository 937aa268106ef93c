"""Effective field neural networks (Part III): Liu et al., arXiv:2502.17665.

Reading order: ``data`` (the three data sets, regenerated from the authors' recipes,
with the exact diagonalization of the double-exchange model) -> ``models`` (EFNN, DNN,
ResNet, DenseNet; fully connected and convolutional) -> ``training`` (scaled targets,
Adam, metrics, the trivial predictor) -> ``effective`` (a least-squares effective spin
model).
"""
