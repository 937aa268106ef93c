r"""Training a learned RG flow: couplings from (annealed) HMC, a KL or CD loss, Adam.

One training step (Shen & Kao, after Hou & You):

1. **couplings**: a batch of teacher couplings J. During ``warmup`` steps they are drawn
   from a broad prior (A coupling half-normal, other couplings normal); afterwards from
   persistent HMC chains with potential :math:`U(J) = \beta\,\|f_\theta(J)\| + \mu\|J\|`
   (norms not squared; the small :math:`\mu` term confines chains where the flow is flat),
   which concentrates them where the flow is slow, i.e. near fixed points.
   :math:`\beta` is annealed linearly from ``beta0`` to ``beta1`` ("annealed HMC"); a
   fraction ``prior_fraction`` of every batch still comes from the prior, so the whole
   physical line stays covered;
2. **forward pass**: :math:`J' = J + f_\theta(J)` (or :math:`J - \nabla C_\theta`);
3. **error**: the exact forward KL (:func:`rglib.flows.kl.divergence`) or its CD-k
   surrogate on teacher Gibbs samples (:mod:`rglib.flows.sampling`);
4. **backward pass**: Adam with an exponentially decaying learning rate; with the exact
   loss optionally followed by ``polish`` L-BFGS iterations on a fixed coupling set
   (the stochastic steps alone leave the fixed point ~3e-3 off; the deterministic
   refinement brings it below 1e-3).

Everything is seeded: one ``numpy.random.Generator`` from ``seed`` feeds the prior, the
HMC and the Gibbs sampler, so a model is reproducible bit for bit.
"""
import time
import warnings
from dataclasses import asdict, dataclass

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from autograd.misc import flatten
from scipy.optimize import minimize

from .. import nn, validate
from ..mcmc.hmc import hmc
from ..progress import progress as progress_bar
from . import clusters, kl, network, sampling

LOSSES = ("cd", "exact")
SAMPLERS = ("hmc", "prior")


@dataclass
class Config:
    """Settings of one training run (defaults: the 1-coupling CD model of notebook 08)."""
    rep: str = "A1"
    kind: str = "direct"                  # "direct" (talk) or "monotone" (Hou & You)
    loss: str = "cd"                      # "cd" or "exact" (forward KL)
    hidden: tuple = (16, 16)
    steps: int = 300
    lr0: float = 1e-2
    lr1: float = 1e-3
    batch: int = 64                       # teacher couplings per step
    chains: int = 16                      # teacher Gibbs chains per coupling (CD)
    gibbs_steps: int = 20                 # teacher sweeps from a random start (CD)
    cd_k: int = 1                         # student sweeps (CD-k)
    sampler: str = "hmc"                  # "hmc" or "prior" (couplings from the prior only)
    warmup: int = 50                      # steps with couplings from the prior
    prior_fraction: float = 0.25          # share of every batch from the prior after warmup
    prior_scale: float = 0.6              # scale of the prior (K units)
    hmc_transitions: int = 4              # HMC sampling steps per training step
    hmc_leapfrog: int = 8                 # HMC solve (leapfrog) steps per transition
    hmc_dt: float = 0.05
    beta0: float = 10.0                   # annealing of the HMC potential beta ||f|| + mu ||J||
    beta1: float = 50.0
    mu: float = 1.0                       # confines the chains (flat ||f|| far away)
    polish: int = 0                       # exact loss: L-BFGS iterations on a fixed coupling set
    seed: int = 0

    def check(self):
        clusters.check_representation(self.rep)
        validate.one_of("kind", self.kind, network.KINDS)
        validate.one_of("loss", self.loss, LOSSES)
        validate.one_of("sampler", self.sampler, SAMPLERS)
        self.hidden = tuple(validate.integers("hidden", self.hidden, minimum=1, maximum=256))
        self.steps = validate.integer("steps", self.steps, minimum=1, maximum=100_000)
        self.lr0 = float(validate.positive("lr0", self.lr0))
        self.lr1 = float(validate.positive("lr1", self.lr1))
        self.batch = validate.integer("batch", self.batch, minimum=2, maximum=4096)
        self.chains = validate.integer("chains", self.chains, minimum=1, maximum=100_000)
        if self.batch * self.chains > 2_000_000:
            raise ValueError(f"batch * chains = {self.batch * self.chains} teacher chains per step "
                             "is above the limit of 2e6 (memory)")
        self.gibbs_steps = validate.integer("gibbs_steps", self.gibbs_steps, minimum=1, maximum=10_000)
        self.cd_k = validate.integer("cd_k", self.cd_k, minimum=1, maximum=1000)
        self.warmup = validate.integer("warmup", self.warmup, minimum=0, maximum=100_000)
        if self.warmup > self.steps:
            warnings.warn(f"warmup = {self.warmup} is more than steps = {self.steps}: every step draws "
                          f"its couplings from the prior (warmup used: {self.steps})", UserWarning,
                          stacklevel=3)
            self.warmup = self.steps
        self.prior_fraction = float(validate.in_range("prior_fraction", self.prior_fraction, 0, 1))
        self.prior_scale = float(validate.positive("prior_scale", self.prior_scale))
        self.hmc_transitions = validate.integer("hmc_transitions", self.hmc_transitions, minimum=1,
                                                maximum=1000)
        self.hmc_leapfrog = validate.integer("hmc_leapfrog", self.hmc_leapfrog, minimum=1, maximum=1000)
        self.hmc_dt = float(validate.in_range("hmc_dt", self.hmc_dt, 1e-4, 1.0))     # hmc's dt_range
        self.beta0 = float(validate.positive("beta0", self.beta0))
        self.beta1 = float(validate.positive("beta1", self.beta1))
        self.mu = float(validate.nonnegative("mu", self.mu))
        self.polish = validate.integer("polish", self.polish, minimum=0, maximum=100_000)
        if self.polish and self.loss != "exact":
            raise ValueError("polish: the L-BFGS refinement needs loss='exact' (CD is stochastic)")
        self.seed = validate.seed("seed", self.seed)
        return self


def fold(J):
    """The A coupling made non-negative (teacher and student depend on it only through
    cosh for one coupling; the chains stay on the physical side)."""
    return anp.concatenate([anp.abs(J[:, :1]), J[:, 1:]], axis=1)


def prior(rng, n_samples, rep, scale):
    """Broad coupling samples: the A coupling |N(0, scale)| (the map is even in it for
    one coupling), the others N(0, scale / 2)."""
    c = clusters.n_couplings(rep)
    J = rng.normal(0.0, scale / 2, (n_samples, c))
    J[:, 0] = np.abs(rng.normal(0.0, scale, n_samples))
    return J


def train(config=None, progress=False, **overrides):
    """Train one flow; returns (params, log). ``overrides`` replace fields of ``config``.

    log: {"config": dict, "loss": per step, "acceptance": per HMC step, "dt": final HMC
    step size, "rejected_nonfinite": count, "seconds": wall time}.
    """
    if config is not None and not isinstance(config, Config):
        raise ValueError(f"config must be a rglib.flows.training.Config or None, got {config!r}")
    unknown = sorted(set(overrides) - set(Config.__dataclass_fields__))
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a setting of the training (settings: "
                         f"{', '.join(Config.__dataclass_fields__)})")
    cfg = Config(**{**(asdict(config) if config else {}), **overrides}).check()
    rng = np.random.default_rng(cfg.seed)
    c = clusters.n_couplings(cfg.rep)
    params = network.init(rng, c, cfg.kind, cfg.hidden)
    opt = nn.Adam(params, lr=nn.exponential_schedule(cfg.lr0, cfg.lr1, cfg.steps))
    q = prior(rng, cfg.batch, cfg.rep, cfg.prior_scale)       # persistent HMC chains
    dt = cfg.hmc_dt
    log = {"loss": [], "acceptance": [], "rejected_nonfinite": 0}
    t0 = time.perf_counter()

    def loss_exact(p, J):
        return anp.mean(kl.divergence(J, network.rg_map(p, J, cfg.kind), cfg.rep))

    def loss_cd(p, J, x0, xk):
        Jp = network.rg_map(p, J, cfg.kind)
        return sampling.cd_loss(anp.repeat(Jp, cfg.chains, axis=0), x0, xk, cfg.rep)

    vg = value_and_grad(loss_exact if cfg.loss == "exact" else loss_cd)
    steps = range(cfg.steps)
    if progress:
        steps = progress_bar(steps, desc=f"training {cfg.kind} {cfg.rep} ({cfg.loss})")
    for step in steps:
        if cfg.sampler == "prior" or step < cfg.warmup:
            J = prior(rng, cfg.batch, cfg.rep, cfg.prior_scale)
        else:
            beta = cfg.beta0 + (cfg.beta1 - cfg.beta0) * step / max(cfg.steps - 1, 1)
            U = lambda x, p=params, b=beta: (  # noqa: E731
                b * anp.sqrt(anp.sum(network.flow(p, fold(x), cfg.kind) ** 2, axis=-1) + 1e-12)
                + cfg.mu * anp.sqrt(anp.sum(x ** 2, axis=-1) + 1e-12))
            q, dt, st = hmc(U, q, rng, cfg.hmc_transitions, dt, cfg.hmc_leapfrog, adapt=True)
            q = np.asarray(fold(q))
            log["acceptance"].append(st["acceptance"])
            log["rejected_nonfinite"] += st["rejected_nonfinite"]
            n_prior = int(round(cfg.prior_fraction * cfg.batch))
            J = np.concatenate([q[: cfg.batch - n_prior], prior(rng, n_prior, cfg.rep, cfg.prior_scale)])
        if cfg.loss == "exact":
            val, g = vg(params, J)
        else:
            Jrep = np.repeat(J, cfg.chains, axis=0)
            x0 = sampling.teacher_samples(Jrep, cfg.rep, cfg.gibbs_steps, rng)
            Jp = np.repeat(np.asarray(network.rg_map(params, J, cfg.kind)), cfg.chains, axis=0)
            xk = sampling.student_gibbs(x0, Jp, cfg.rep, cfg.cd_k, rng)
            val, g = vg(params, J, x0, xk)
        if not np.isfinite(float(val)):
            raise FloatingPointError(f"the loss is {float(val)} at step {step}")
        params = opt.step(params, g)
        log["loss"].append(float(val))
    if cfg.polish:
        # deterministic refinement: L-BFGS on a fixed set of couplings (the last HMC chains
        # and a prior sample), with the exact gradient of the exact loss
        J_set = np.concatenate([fold(q) if cfg.sampler == "hmc" else q,
                                prior(rng, 4 * cfg.batch, cfg.rep, cfg.prior_scale)])
        flat, unflatten = flatten(params)
        obj = value_and_grad(lambda v: loss_exact(unflatten(v), J_set))
        res = minimize(lambda v: tuple(np.asarray(a, dtype=float) for a in obj(v)), flat, jac=True,
                       method="L-BFGS-B", options={"maxiter": cfg.polish, "gtol": 1e-12, "ftol": 1e-15})
        params = unflatten(res.x)
        log["polish_loss"] = float(res.fun)
    log.update(config=asdict(cfg), dt=dt, seconds=time.perf_counter() - t0)
    log["config"]["hidden"] = list(cfg.hidden)
    return params, log
