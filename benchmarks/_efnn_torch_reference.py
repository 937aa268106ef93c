"""PyTorch reference for benchmarks/efnn_speed.py: the same EFNNs trained by PyTorch eager.

Not part of rglib and not a dependency: it needs only numpy and torch, and runs in any
interpreter that has them (``python benchmarks/efnn_speed.py --torch-python PATH`` calls it).
It exists to state the speed goal of the network kit ("as fast as PyTorch on one CPU
thread") with a measurement on the same machine, in the same run. The models follow
rglib.efnn.models (same layers, widths and parameter counts); inputs are random
configurations of the benchmark's shapes (throughput does not depend on their values).

Prints one JSON line: configurations per second for each case.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)


def mlp(n_in, w):
    return nn.Sequential(nn.Linear(n_in, w), nn.Tanh(), nn.Linear(w, w))


class EFNN_FC(nn.Module):
    def __init__(self, L, w, n):
        super().__init__()
        self.f1 = mlp(L, w)
        self.Q = nn.ModuleList([mlp(L, w) for _ in range(n)])
        self.f = nn.ModuleList([mlp(w, w) for _ in range(n - 1)])

    def forward(self, S0):
        S = self.Q[0](S0) * self.f1(S0)
        for Q, f in zip(self.Q[1:], self.f):
            S = Q(S0) * f(S)
        return S.sum(-1)


def conv(c_in, c_out, k, bias=True):
    return nn.Conv2d(c_in, c_out, k, padding=k // 2, padding_mode="circular", bias=bias)


class Bilinear(nn.Module):
    def __init__(self, C, k):
        super().__init__()
        self.W0, self.W1 = conv(1, C, k, bias=False), conv(1, C, k, bias=False)

    def forward(self, S):
        B, _, N, M = S.shape
        x = S.reshape(B * 3, 1, N, M)
        return (self.W0(x) * self.W1(x)).reshape(B, 3, -1, N, M).sum(1)


def h(c_in, C, k):
    return nn.Sequential(conv(c_in, C, k), nn.Tanh(), conv(C, C, k))


class EFNN_Conv(nn.Module):
    def __init__(self, C, n, k):
        super().__init__()
        self.phi = Bilinear(C, k)
        self.T = nn.ModuleList([Bilinear(C, k) for _ in range(n)])
        self.F1 = h(C, C, k)
        self.g = nn.ModuleList([h(C, C, k) for _ in range(n)])
        self.f = nn.ModuleList([h(C, C, k) for _ in range(n - 1)])
        self.out = conv(C, 1, k)

    def forward(self, S0):
        S = self.F1(self.phi(S0)) * self.g[0](self.T[0](S0))
        for f, g, T in zip(self.f, self.g[1:], self.T[1:]):
            S = f(S) * g(T(S0))
        return self.out(S).sum((1, 2, 3))


def throughput(model, X, y, batch, dtype):
    model = model.to(dtype)
    X, y = torch.tensor(X, dtype=dtype), torch.tensor(y, dtype=dtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch():
        perm = torch.randperm(len(X))
        for i in range(0, len(X), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = ((model(X[idx]) - y[idx]) ** 2).mean()
            loss.backward()
            opt.step()
    epoch()
    t0 = time.perf_counter()
    epoch()
    return len(X) / (time.perf_counter() - t0)


def forward_seconds(model, N, reps=20):
    model = model.to(torch.float64)
    S = torch.tensor(np.random.default_rng(1).standard_normal((1, 3, N, N)))
    with torch.no_grad():
        model(S)
        t0 = time.perf_counter()
        for _ in range(reps):
            model(S)
    return (time.perf_counter() - t0) / reps


def main():
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X_fc, y_fc = rng.integers(0, 2, (16000, 15)).astype(float), rng.standard_normal(16000)
    X_cv, y_cv = rng.standard_normal((3000, 3, 10, 10)), rng.standard_normal(3000)
    out = {"torch": torch.__version__}
    for dtype, name in ((torch.float64, "float64"), (torch.float32, "float32")):
        out[f"fc_{name}"] = throughput(EFNN_FC(15, 60, 2), X_fc, y_fc, 500, dtype)
        out[f"conv_{name}"] = throughput(EFNN_Conv(3, 2, k), X_cv, y_cv, 100, dtype)
    out["forward_N40_s"] = forward_seconds(EFNN_Conv(3, 2, k), 40)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
