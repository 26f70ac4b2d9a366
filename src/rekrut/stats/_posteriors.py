"""Posterior families and exact quantiles of a difference or a ratio of two independent posteriors.

The credible interval of :math:`\\theta_t - \\theta_c` (and of :math:`\\theta_t / \\theta_c` for
proportions) needs quantiles of a difference of two independent Beta, Gamma or inverse-Gamma
variables, which have no closed form. They are computed without sampling, in two steps.

1. **Cornish-Fisher.** Each family's central moments follow from a Stein recurrence
   (below), so the cumulants of the difference up to the sixth are exact; for the log-ratio of
   two Beta variables they are polygamma functions. The Cornish-Fisher series [1]_ turns them
   into quantiles, to the terms of order :math:`n^{-2}`. The size of that last group of terms
   estimates the error of the series; where it is below :data:`CF_TOLERANCE` posterior
   standard deviations and every shape parameter is at least :data:`CF_MIN_SHAPE`, the series
   is the answer.
2. **Numerical inversion** everywhere else (few events, strongly skewed posteriors, moments that
   do not exist): the distribution function
   :math:`P(\\theta_t - \\theta_c \\le d) = E[F_t(\\theta_c + d)]` (or the same expectation over
   the treatment arm) is computed with a 48-point Gauss-Hermite rule in normal scores of the
   arm that spreads less on the side the quantile depends on, and inverted by Newton steps kept
   inside a bracket. Where the other arm's distribution function meets an end of its support
   with a sharp kink inside the range, the rule is restricted to the window where the
   integrand is not constant.

The Stein recurrence: a density with :math:`(s f)' = (\\alpha - \\beta x) f` for a polynomial
:math:`s` of degree at most two gives, for :math:`g = (x - m)^k`,
:math:`\\beta\\,\\mu_{k+1} = k\\,E[(x - m)^{k-1} s(x)]`. For Beta(a, b), :math:`s = x(1 - x)`;
for Gamma(a, rate r), :math:`s = x`; for the inverse of a Gamma variable, :math:`s = x^2`.

References
----------
.. [1] Abramowitz, M. and Stegun, I. A. (1964). Handbook of Mathematical Functions,
   formula 26.2.51.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

import numpy as np
from scipy import special

from rekrut.stats._result import FloatArray

CF_TOLERANCE = 2e-4
"""Largest accepted error estimate of the Cornish-Fisher quantile, in standard deviations."""

CF_MIN_SHAPE = 20.0
"""Smallest shape parameter (Beta a and b, Gamma shape) for which the series is used."""

_Z, _WEIGHTS = np.polynomial.hermite_e.hermegauss(48)
_W = _WEIGHTS / np.sqrt(2.0 * np.pi)  # Gauss-Hermite rule for E[g(Z)], Z ~ N(0, 1)
_MAX_STEPS = 100


# --------------------------------------------------------------------------- families


@dataclass(frozen=True, slots=True)
class BetaPost:
    a: FloatArray
    b: FloatArray

    def mean(self) -> FloatArray:
        return self.a / (self.a + self.b)

    def var(self) -> FloatArray:
        s = self.a + self.b
        return self.a * self.b / (s * s * (s + 1.0))

    def sample(self, rng: np.random.Generator, cells: slice, n: int) -> FloatArray:
        a, b = self.a.ravel()[cells, None], self.b.ravel()[cells, None]
        return rng.beta(a, b, size=(a.shape[0], n))

    def central_moments(self) -> list[FloatArray]:
        m = self.mean()
        return _stein_moments(m * (1.0 - m), 1.0 - 2.0 * m, lambda k: self.a + self.b + k)

    def log_cumulants(self) -> list[FloatArray]:
        """Cumulants 1 to 6 of log X: ψ⁽ⁿ⁻¹⁾(a) - ψ⁽ⁿ⁻¹⁾(a + b)."""
        s = self.a + self.b
        first = special.digamma(self.a) - special.digamma(s)
        return [first] + [
            special.polygamma(n, self.a) - special.polygamma(n, s) for n in range(1, 6)
        ]

    def cdf(self, x: FloatArray) -> FloatArray:
        return np.asarray(special.betainc(self.a, self.b, np.clip(x, 0.0, 1.0)))

    def sf(self, x: FloatArray) -> FloatArray:
        # I_{1-x}(b, a) = 1 - I_x(a, b): as accurate as betaincc and ten times faster
        return np.asarray(special.betainc(self.b, self.a, 1.0 - np.clip(x, 0.0, 1.0)))

    def pdf(self, x: FloatArray) -> FloatArray:
        inside = (x > 0.0) & (x < 1.0)
        y = np.where(inside, x, 0.5)
        log = special.xlogy(self.a - 1.0, y) + special.xlog1py(self.b - 1.0, -y)
        return np.where(inside, np.exp(log - special.betaln(self.a, self.b)), 0.0)

    def ppf(self, u: FloatArray) -> FloatArray:
        return _far_tail(special.betaincinv(self.a, self.b, u), u, self.a, self.b)

    def isf(self, u: FloatArray) -> FloatArray:
        return 1.0 - _far_tail(1.0 - special.betainccinv(self.a, self.b, u), u, self.b, self.a)


def _far_tail(x: FloatArray, u: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Where scipy's inverse incomplete beta gives NaN (it does for a near 1 and u below about
    1e-17), the leading term of I_x(a, b) = x^a / (a B(a, b)) (1 + O(x)) near 0."""
    x = np.asarray(x, dtype=np.float64)
    failed = np.isnan(x) & (np.asarray(u) > 0) & (np.asarray(u) < 1e-10)
    if failed.any():
        with np.errstate(divide="ignore"):
            log_x = (np.log(u) + np.log(a) + special.betaln(a, b)) / a
        x = np.where(failed, np.exp(log_x), x)
    return x


@dataclass(frozen=True, slots=True)
class GammaPost:
    """θ = Y (``inverse=False``) or θ = 1/Y (``inverse=True``) with Y ~ Gamma(shape a, rate r)."""

    a: FloatArray
    r: FloatArray
    inverse: bool

    def mean(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.r / (self.a - 1.0) if self.inverse else self.a / self.r

    def size_biased(self) -> GammaPost:
        # y Gamma(y; a, r) ∝ Gamma(y; a + 1, r); for θ = 1/Y the size-biased law has shape a - 1
        return GammaPost(self.a - 1.0 if self.inverse else self.a + 1.0, self.r, self.inverse)

    def greater(self, other: GammaPost) -> FloatArray:
        if self.inverse:
            return gamma_greater(other.a, other.r, self.a, self.r)
        return gamma_greater(self.a, self.r, other.a, other.r)

    def sample(self, rng: np.random.Generator, cells: slice, n: int) -> FloatArray:
        a, r = self.a.ravel()[cells, None], self.r.ravel()[cells, None]
        y = rng.standard_gamma(a, size=(a.shape[0], n))
        with np.errstate(divide="ignore", invalid="ignore"):
            return r / y if self.inverse else y / r

    def central_moments(self) -> list[FloatArray]:
        m = self.mean()
        if self.inverse:  # moment k + 1 exists while a > k + 1
            return _stein_moments(m * m, 2.0 * m, lambda k: self.a - 1.0 - k)
        return _stein_moments(m, np.ones_like(m), lambda k: self.r)

    def ratio_quantile(self, other: GammaPost, q: float) -> FloatArray:
        """Quantile of θ_self / θ_other, exact through the beta distribution."""
        num, den = (other, self) if self.inverse else (self, other)
        # Y_num / Y_den = (r_den / r_num) W / (1 - W), W ~ Beta(a_num, a_den)
        w = special.betaincinv(num.a, den.a, q)
        one_minus_w = special.betaincinv(den.a, num.a, 1.0 - q)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((den.r / num.r) * w / one_minus_w, dtype=np.float64)

    # θ = Y / r' with Y ~ Gamma(a, 1): the scaled argument of the standard gamma functions
    def _arg(self, x: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = self.r / x if self.inverse else self.r * x
        return np.where(x > 0.0, y, np.inf if self.inverse else 0.0)

    def cdf(self, x: FloatArray) -> FloatArray:
        y = self._arg(x)
        value = special.gammaincc(self.a, y) if self.inverse else special.gammainc(self.a, y)
        return np.where(x > 0.0, value, 0.0)

    def sf(self, x: FloatArray) -> FloatArray:
        y = self._arg(x)
        value = special.gammainc(self.a, y) if self.inverse else special.gammaincc(self.a, y)
        return np.where(x > 0.0, value, 1.0)

    def pdf(self, x: FloatArray) -> FloatArray:
        positive = x > 0.0
        xs = np.where(positive, x, 1.0)
        y = self._arg(xs)
        log = special.xlogy(self.a - 1.0, y) - y - special.gammaln(self.a)
        jacobian = np.log(self.r / (xs * xs)) if self.inverse else np.log(self.r)
        return np.where(positive, np.exp(log + jacobian), 0.0)

    def ppf(self, u: FloatArray) -> FloatArray:
        if self.inverse:
            return np.asarray(self.r / special.gammainccinv(self.a, u))
        return np.asarray(special.gammaincinv(self.a, u) / self.r)

    def isf(self, u: FloatArray) -> FloatArray:
        if self.inverse:
            return np.asarray(self.r / special.gammaincinv(self.a, u))
        return np.asarray(special.gammainccinv(self.a, u) / self.r)


Post = TypeVar("Post", bound="BetaPost | GammaPost")


def gamma_greater(a_x: FloatArray, r_x: FloatArray, a_y: FloatArray, r_y: FloatArray) -> FloatArray:
    """P(X > Y) for independent X ~ Gamma(a_x, r_x), Y ~ Gamma(a_y, r_y) (rates)."""
    # r_x X / (r_x X + r_y Y) ~ Beta(a_x, a_y), and X > Y  <=>  it exceeds r_x / (r_x + r_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(special.betainc(a_y, a_x, r_y / (r_x + r_y)), dtype=np.float64)


def _beta_nodes(a: FloatArray, b: FloatArray) -> FloatArray:
    """Quantiles of Beta(a, b) at Φ(z) for the 48 Gauss-Hermite nodes, from the nearer tail."""
    lower = _Z < 0
    post = BetaPost(a[..., None], b[..., None])
    return np.concatenate(
        [post.ppf(special.ndtr(_Z[lower])), post.isf(special.ndtr(-_Z[~lower]))], axis=-1
    )


class NodeTable:
    """Quantiles of each cell's posterior at Φ(z) for the Gauss-Hermite nodes z, computed once
    per cell when first needed (they are the costly part of every quadrature here)."""

    def __init__(self, post: BetaPost | GammaPost) -> None:
        self.post = _map(post, np.ravel)
        self._table = np.empty((np.size(self.post.a), _Z.size))
        self._have = np.zeros(np.size(self.post.a), dtype=bool)

    def rows(self, index: np.ndarray) -> FloatArray:
        missing = np.unique(index[~self._have[index]])
        if missing.size:
            part = _map(self.post, lambda v: v[missing])
            if isinstance(part, BetaPost):
                self._table[missing] = _beta_nodes(part.a, part.b)
            else:
                column = _map(part, lambda v: v[:, None])
                u = np.broadcast_to(special.ndtr(_Z), (missing.size, _Z.size))
                self._table[missing] = _quantile(column, u, u[:, ::-1])
            self._have[missing] = True
        return np.asarray(self._table[index], dtype=np.float64)


def _over_narrow(
    control: BetaPost, treatment: BetaPost, tables: tuple[NodeTable, NodeTable] | None
) -> tuple[tuple[int, ...], np.ndarray, FloatArray, BetaPost]:
    """The flattened cells' shape, where the treatment is the narrower posterior N, the nodes
    of N (quantiles at Φ(z)), and the other posterior W as a column."""
    shape, c, t, _ = _flat(control, treatment)
    table_c, table_t = tables if tables is not None else (NodeTable(c), NodeTable(t))
    t_narrow = t.var() <= c.var()
    nodes = np.empty((t_narrow.size, _Z.size))
    nodes[t_narrow] = table_t.rows(np.flatnonzero(t_narrow))
    nodes[~t_narrow] = table_c.rows(np.flatnonzero(~t_narrow))
    wide = BetaPost(np.where(t_narrow, c.a, t.a)[:, None], np.where(t_narrow, c.b, t.b)[:, None])
    return shape, t_narrow, nodes, wide


def beta_greater(a_x: FloatArray, b_x: FloatArray, a_y: FloatArray, b_y: FloatArray) -> FloatArray:
    """P(X > Y) for independent Beta variables by quadrature in normal scores.

    P(Y < X) = E[F_Y(Q_X(Φ(Z)))] with Z standard normal. Taking X as the narrower posterior
    makes the integrand close to a normal CDF of Z, which a 48-point Gauss-Hermite rule
    integrates to about 1e-13 (checked against Evan Miller's closed form).
    """
    shape, x_narrow, nodes, wide = _over_narrow(BetaPost(a_y, b_y), BetaPost(a_x, b_x), None)
    wide_below = wide.cdf(nodes) @ _W  # P(wide < narrow)
    return np.asarray(np.where(x_narrow, wide_below, 1.0 - wide_below)).reshape(shape)


def beta_prob_and_loss(
    control: BetaPost,
    treatment: BetaPost,
    higher: bool,
    tables: tuple[NodeTable, NodeTable] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """P(θ_t > θ_c) and the expected loss of choosing the treatment, from one set of nodes.

    Both are expectations over the narrower posterior N of functions of the other, W: with
    ``x`` a node, :math:`E[(x - W)^+] = x F_W(x) - E[W] F_{W^+}(x)` and
    :math:`E[(W - x)^+] = E[W] S_{W^+}(x) - x S_W(x)`, where :math:`W^+` is the size-biased
    law Beta(a + 1, b). The loss is :math:`E[(θ_c - θ_t)^+]` if higher is better, else
    :math:`E[(θ_t - θ_c)^+]`. ``tables`` (control, treatment) share node quantiles with the
    interval computations; arms are flattened cells.
    """
    shape, t_narrow, nodes, wide = _over_narrow(control, treatment, tables)
    below = wide.cdf(nodes)  # F_W at the nodes
    below_plus = BetaPost(wide.a + 1.0, wide.b).cdf(nodes)  # F_{W+}
    mean_w = wide.mean()
    wide_below = below @ _W
    t_greater = np.where(t_narrow, wide_below, 1.0 - wide_below)
    # the narrow arm exceeds the other by (x - W)^+, falls short of it by (W - x)^+
    excess = (nodes * below - mean_w * below_plus) @ _W
    shortfall = (mean_w * (1.0 - below_plus) - nodes * (1.0 - below)) @ _W
    # higher is better: the loss is how far the control exceeds the treatment
    loss = np.where(t_narrow == higher, shortfall, excess)
    return (
        np.asarray(t_greater, dtype=np.float64).reshape(shape),
        np.asarray(np.maximum(loss, 0.0), dtype=np.float64).reshape(shape),
    )


def _stein_moments(
    c0: FloatArray, c1: FloatArray, den: Callable[[int], FloatArray | float]
) -> list[FloatArray]:
    """Central moments μ_0 … μ_6 from μ_{k+1} den(k) = k (c0 μ_{k-1} + c1 μ_k); NaN where
    den(k) <= 0 (the moment does not exist)."""
    moments = [np.ones_like(c0), np.zeros_like(c0)]
    for k in range(1, 6):
        d = np.asarray(den(k), dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            nxt = k * (c0 * moments[k - 1] + c1 * moments[k]) / d
        moments.append(np.where(d > 0.0, nxt, np.nan))
    return moments


def _cumulants(moments: list[FloatArray]) -> list[FloatArray]:
    """Cumulants κ_2 … κ_6 from central moments μ_0 … μ_6."""
    _, _, m2, m3, m4, m5, m6 = moments
    return [
        m2,
        m3,
        m4 - 3.0 * m2**2,
        m5 - 10.0 * m3 * m2,
        m6 - 15.0 * m4 * m2 - 10.0 * m3**2 + 30.0 * m2**3,
    ]


# --------------------------------------------------------------------------- Cornish-Fisher


def cornish_fisher(
    kappa: list[FloatArray], probs: tuple[float, ...]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Quantiles, in standard deviations from the mean, and their error estimates.

    ``kappa`` holds the cumulants κ_2 … κ_6. Returns ``(w, err, sd)``: arrays with a last axis
    over ``probs``, ``w`` the standardised quantile to the terms of order n⁻², ``err`` the size
    of those terms (the error estimate), ``sd`` = √κ_2.
    """
    k2, k3, k4, k5, k6 = (np.asarray(k, dtype=np.float64)[..., None] for k in kappa)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sd = np.sqrt(k2)
        g1, g2, g3, g4 = k3 / sd**3, k4 / k2**2, k5 / sd**5, k6 / k2**3
    z = special.ndtri(np.asarray(probs, dtype=np.float64))
    z2 = z * z
    h1 = (z2 - 1.0) / 6.0 * g1
    h2 = z * (z2 - 3.0) / 24.0 * g2 - z * (2.0 * z2 - 5.0) / 36.0 * g1**2
    h3 = (
        (z2 * z2 - 6.0 * z2 + 3.0) / 120.0 * g3
        - (z2 * z2 - 5.0 * z2 + 2.0) / 24.0 * g1 * g2
        + (12.0 * z2 * z2 - 53.0 * z2 + 17.0) / 324.0 * g1**3
    )
    h4 = z * (
        (z2 * z2 - 10.0 * z2 + 15.0) / 720.0 * g4
        - (2.0 * z2 * z2 - 17.0 * z2 + 21.0) / 180.0 * g1 * g3
        - (3.0 * z2 * z2 - 24.0 * z2 + 29.0) / 384.0 * g2**2
        + (14.0 * z2 * z2 - 103.0 * z2 + 107.0) / 288.0 * g1**2 * g2
        - (252.0 * z2 * z2 - 1688.0 * z2 + 1511.0) / 7776.0 * g1**4
    )
    w = z + h1 + h2 + h3 + h4
    return w, np.abs(h4), np.broadcast_to(sd, w.shape)


def _accepted(err: FloatArray, w: FloatArray, shapes: FloatArray) -> np.ndarray:
    # The error estimate alone trusts the series for near-normal differences of skewed arms;
    # every shape parameter must also be large (on grids of random pairs the largest error of
    # accepted quantiles was about 1e-4 of the interval's width; see the tests).
    ok = np.isfinite(w) & (err <= CF_TOLERANCE) & (shapes[..., None] >= CF_MIN_SHAPE)
    # quantiles must keep their order (a series far outside its range can fold over)
    return np.asarray(ok.all(axis=-1) & (np.diff(w, axis=-1) > 0).all(axis=-1))


# --------------------------------------------------------------------------- exact inversion
#
# F(x) = P(θ_t - θ_c <= x) (or P(log(θ_t / θ_c) <= x)) is an expectation over one arm, N, of a
# distribution function of the other, W: with N = control, F = E[F_W(y)] for y = c + x (or
# c e^x); with N = treatment, F = E[S_W(y)] for y = t - x (or t e^-x). Where y leaves W's
# support the integrand is constant, so the expectation is taken over the part of N's
# support where it is not ("the window"), in normal scores of N restricted to the window.


def _map(post: Post, fn: Callable[[FloatArray], FloatArray]) -> Post:
    """The posterior with ``fn`` applied to each parameter array."""
    if isinstance(post, BetaPost):
        return cast(Post, BetaPost(fn(post.a), fn(post.b)))
    return cast(Post, GammaPost(fn(post.a), fn(post.r), post.inverse))


def _where(mask: np.ndarray, x: Post, y: Post) -> Post:
    """Per cell, the parameters of ``x`` where ``mask`` holds, else those of ``y``."""
    a = np.where(mask, x.a, y.a)
    if isinstance(x, BetaPost) and isinstance(y, BetaPost):
        return cast(Post, BetaPost(a, np.where(mask, x.b, y.b)))
    gx, gy = cast(GammaPost, x), cast(GammaPost, y)
    return cast(Post, GammaPost(a, np.where(mask, gx.r, gy.r), gx.inverse))


def _params(post: BetaPost | GammaPost) -> FloatArray:
    return np.stack([post.a, post.b] if isinstance(post, BetaPost) else [post.a, post.r])


def _support(post: BetaPost | GammaPost) -> tuple[float, float]:
    return (0.0, 1.0) if isinstance(post, BetaPost) else (0.0, np.inf)


def _quantile(post: Post, p: FloatArray, s: FloatArray) -> FloatArray:
    """Quantile at lower-tail probability ``p`` (= 1 - ``s``), from the nearer tail."""
    lower = p <= 0.5
    full = _map(post, lambda v: np.broadcast_to(v, p.shape))
    out = np.empty(p.shape)
    out[lower] = _map(full, lambda v: v[lower]).ppf(p[lower])
    out[~lower] = _map(full, lambda v: v[~lower]).isf(s[~lower])
    return out


_SMOOTH_CONTACT = 5.0
"""W's distribution function meets an end of its support like y^k; from this order on, the
kink where y leaves the support is smooth enough for the fixed nodes (checked in the tests)."""


def _contacts(post: BetaPost | GammaPost) -> tuple[FloatArray, FloatArray]:
    """The order k with which the distribution function meets each end of the support."""
    inf = np.full(np.shape(post.a), np.inf)
    if isinstance(post, BetaPost):
        return post.a, post.b
    return (inf, inf) if post.inverse else (post.a, inf)  # exp(-r/y) meets 0 smoothly


@dataclass(frozen=True)
class _Problem:
    """F(x) for a set of cells, integrating over arm N (the control where ``over_c``).

    With ``windowed`` false the nodes are fixed quantiles of N, exact wherever the integrand
    is smooth; with it true they are recomputed for each x inside the window, which is exact
    at a sharp kink too but costs a quantile function per node.
    """

    narrow: BetaPost | GammaPost  # N, shape (cells, 1)
    wide: BetaPost | GammaPost  # W, shape (cells, 1)
    over_c: np.ndarray  # bool (cells,)
    log_ratio: bool
    fixed: FloatArray  # (cells, nodes): quantiles of N at Φ(z)
    windowed: bool

    def kink(self, x: FloatArray) -> FloatArray:
        """Per cell, the smallest contact order of an end of W's support that cuts N's support
        at ``x`` where N has mass (over 1e-12) beyond the cut; infinite if none does."""
        sign = np.where(self.over_c, 1.0, -1.0)
        narrow = _map(self.narrow, np.ravel)
        n_lo, n_hi = _support(narrow)
        lowest = np.full(x.shape, np.inf)
        ends = zip(_support(self.wide), _contacts(self.wide), (True, False), strict=True)
        for end, contact, lower_end in ends:
            with np.errstate(over="ignore", invalid="ignore"):
                cut = end * np.exp(-sign * x) if self.log_ratio else end - sign * x
            inside = (cut > n_lo) & (cut < n_hi)
            where = np.where(inside, cut, 0.5 if isinstance(narrow, BetaPost) else 1.0)
            # y leaves W's support below its lower end where N is below the cut, and above
            # its upper end where N is above the cut
            beyond = narrow.cdf(where) if lower_end else narrow.sf(where)
            relevant = inside & (beyond > 1e-12)
            lowest = np.where(relevant, np.minimum(lowest, np.ravel(contact)), lowest)
        return lowest

    def rows(self, index: np.ndarray) -> _Problem:
        return _Problem(
            _map(self.narrow, lambda v: v[index]),
            _map(self.wide, lambda v: v[index]),
            self.over_c[index],
            self.log_ratio,
            self.fixed[index],
            self.windowed,
        )

    def _sign(self) -> FloatArray:
        return np.where(self.over_c, 1.0, -1.0)[:, None]

    def _windowed(self, xs: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Nodes in normal scores of N restricted to the window, the mass of N where the
        integrand is 1, and the mass of the window."""
        sign = self._sign()
        lo, hi = _support(self.wide)
        with np.errstate(over="ignore"):  # the window of N where y = g(n) is in W's support
            if self.log_ratio:
                factor = np.exp(-sign * xs)  # n = y * factor
                left, right = np.zeros_like(factor), hi * factor  # W's support starts at 0
            else:
                left, right = lo - sign * xs, hi - sign * xs
        n_lo, n_hi = _support(self.narrow)
        left, right = np.maximum(left, n_lo), np.minimum(right, n_hi)
        cdf_l, cdf_r = self.narrow.cdf(left), self.narrow.cdf(right)
        sf_l, sf_r = self.narrow.sf(left), self.narrow.sf(right)
        mass = np.where(cdf_r < 0.5, cdf_r - cdf_l, sf_l - sf_r)
        mass = np.where(right > left, np.maximum(mass, 0.0), 0.0)
        # over the control F_W rises with n: H = 1 right of the window; over the treatment
        # S_W falls with n: H = 1 left of the window
        base = np.where(self.over_c[:, None], sf_r, cdf_l)
        p = cdf_l + mass * special.ndtr(_Z)
        s = sf_r + mass * special.ndtr(-_Z)
        nodes = _quantile(self.narrow, p, s)
        nodes = np.where(mass > 0.0, nodes, 0.5 * (left + right))
        return nodes, base[:, 0], mass[:, 0]

    def evaluate(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """F and dF/dx at ``x`` (one value per cell)."""
        xs = x[:, None]
        if self.windowed:
            nodes, base, mass = self._windowed(xs)
        else:
            nodes, base, mass = self.fixed, np.zeros(x.shape), np.ones(x.shape)
        sign = self._sign()
        with np.errstate(over="ignore", invalid="ignore"):
            y = nodes * np.exp(sign * xs) if self.log_ratio else nodes + sign * xs
        full = _map(self.wide, lambda v: np.broadcast_to(v, y.shape))
        rising = np.broadcast_to(self.over_c[:, None], y.shape)
        h = np.empty(y.shape)
        h[rising] = _map(full, lambda v: v[rising]).cdf(y[rising])
        h[~rising] = _map(full, lambda v: v[~rising]).sf(y[~rising])
        with np.errstate(invalid="ignore", over="ignore"):  # 0 * inf far in a tail is 0
            density = self.wide.pdf(y) * (y if self.log_ratio else 1.0)
        density = np.where(np.isfinite(density), density, 0.0)
        return base + mass * (h @ _W), mass * (density @ _W)


def _invert(problem: _Problem, q: float, start: FloatArray, scale: FloatArray) -> FloatArray:
    """Solve F(x) = q per cell: Newton steps, bisection when a step leaves the bracket."""
    n = start.shape[0]
    x = start.copy()
    low, high = np.full(n, -np.inf), np.full(n, np.inf)
    if not problem.log_ratio and isinstance(problem.narrow, BetaPost):
        low, high = np.full(n, -1.0), np.full(n, 1.0)
        x = np.clip(x, -1.0 + 1e-12, 1.0 - 1e-12)
    todo, walk = np.arange(n), 2.0 * scale
    for _ in range(_MAX_STEPS):
        if todo.size == 0:
            break
        value, slope = problem.rows(todo).evaluate(x[todo])
        below = value < q
        low[todo] = np.where(below, x[todo], low[todo])
        high[todo] = np.where(below, high[todo], x[todo])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = x[todo] - (value - q) / slope
        # a Newton step longer than the walk (far out in a tail, where F is flat) is not taken
        inside = np.isfinite(newton) & (newton >= low[todo]) & (newton <= high[todo])
        inside &= np.abs(newton - x[todo]) <= walk[todo]
        lo_t, hi_t = low[todo], high[todo]
        finite = np.isfinite(lo_t) & np.isfinite(hi_t)
        # no usable Newton step: halve the bracket, or walk out of an open one
        fallback = np.where(
            finite,
            0.5 * (lo_t + hi_t),
            np.where(below, x[todo] + walk[todo], x[todo] - walk[todo]),
        )
        walk[todo] = np.where(inside | finite, walk[todo], 2.0 * walk[todo])
        nxt = np.where(inside, newton, fallback)
        # within 1e-10 of q, x is about 1e-9 sd from the root, and the Newton step taken from
        # there lands far closer still
        done = (inside & (np.abs(value - q) <= 1e-10)) | (
            np.abs(nxt - x[todo]) <= 1e-12 * scale[todo]
        )
        x[todo] = nxt
        todo = todo[~done]
    return x


def _spreads(post: Post, log: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The median, and how far the quantiles at Φ(-2) and Φ(2) lie below and above it."""
    u = np.full(np.shape(post.a), special.ndtr(-2.0))
    low, mid, high = post.ppf(u), post.ppf(np.full(u.shape, 0.5)), post.isf(u)
    if log:
        low, mid, high = np.log(low), np.log(mid), np.log(high)
    return mid, mid - low, high - mid


def _exact(
    control: Post,
    treatment: Post,
    probs: tuple[float, ...],
    start: FloatArray,
    log_ratio: bool,
    nodes: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """Quantiles of θ_t - θ_c (or log θ_t/θ_c) by inverting F; shape (cells, probs).

    For each tail, N is the arm that spreads less on the side that tail depends on (the
    lower tail of the difference on the control's upper side and the treatment's lower
    side), so the integrand changes slowly over N.
    """
    mid_c, down_c, up_c = _spreads(control, log_ratio)
    mid_t, down_t, up_t = _spreads(treatment, log_ratio)
    scale = np.hypot(down_c + up_c, down_t + up_t) / 4.0
    nodes_c, nodes_t = nodes
    out = []
    for j, q in enumerate(probs):
        guess = np.where(np.isfinite(start[:, j]), start[:, j], mid_t - mid_c)

        def problem(over_c: np.ndarray, windowed: bool = False) -> _Problem:
            return _Problem(
                _map(_where(over_c, control, treatment), lambda v: v[:, None]),
                _map(_where(over_c, treatment, control), lambda v: v[:, None]),
                over_c,
                log_ratio,
                np.where(over_c[:, None], nodes_c, nodes_t),
                windowed,
            )

        # the arm that spreads less on the side this tail depends on
        over_c = up_c <= down_t if q < 0.5 else down_c <= up_t
        fixed = problem(over_c)
        x = _invert(fixed, q, guess, scale)
        # where a sharp kink falls inside N at the root, finish inside the window
        sharp = np.flatnonzero(fixed.kink(x) < _SMOOTH_CONTACT)
        if sharp.size:
            windowed = problem(over_c, windowed=True).rows(sharp)
            x[sharp] = _invert(windowed, q, x[sharp], scale[sharp])
        out.append(x)
    return np.stack(out, axis=-1)


# --------------------------------------------------------------------------- public helpers


def _combine(
    series: tuple[FloatArray, FloatArray, FloatArray],
    centre: FloatArray,
    exact: Callable[[np.ndarray, FloatArray], FloatArray],
    usable: np.ndarray,
    shapes: FloatArray,
) -> FloatArray:
    """Cornish-Fisher quantiles where accepted, the exact ones for the other usable cells."""
    w, err, sd = series
    with np.errstate(invalid="ignore"):
        out = centre[:, None] + w * sd
    fallback = np.flatnonzero(usable & ~_accepted(err, w, shapes))
    if fallback.size:
        out[fallback] = exact(fallback, out[fallback])
    out[~usable] = np.nan
    return out


def _flat(control: Post, treatment: Post) -> tuple[tuple[int, ...], Post, Post, np.ndarray]:
    """Both arms broadcast to one shape and flattened, and where their parameters are finite."""
    shape = np.broadcast_shapes(np.shape(control.a), np.shape(treatment.a))
    c = _map(control, lambda v: np.broadcast_to(v, shape).ravel())
    t = _map(treatment, lambda v: np.broadcast_to(v, shape).ravel())
    usable = np.isfinite(_params(c)).all(axis=0) & np.isfinite(_params(t)).all(axis=0)
    return shape, c, t, np.asarray(usable, dtype=bool)


def difference_quantiles(
    control: Post,
    treatment: Post,
    probs: tuple[float, ...],
    tables: tuple[NodeTable, NodeTable] | None = None,
) -> FloatArray:
    """Quantiles of θ_t - θ_c at ``probs`` for every cell: shape (*cells, len(probs)).

    ``tables`` (control, treatment), built on the flattened cells, share node quantiles with
    other computations on the same posteriors.

    Examples
    --------
    The difference of two uniform variables is triangular: its 2.5 % quantile is
    :math:`\\sqrt{0.05} - 1`.

    >>> import numpy as np
    >>> uniform = BetaPost(np.array([1.0]), np.array([1.0]))
    >>> q = difference_quantiles(uniform, uniform, (0.025, 0.975))
    >>> [round(float(v), 6) for v in q[0]], round(float(np.sqrt(0.05)) - 1, 6)
    ([-0.776393, 0.776393], -0.776393)
    """
    return _quantiles(control, treatment, probs, tables, log_ratio=False)


def log_ratio_quantiles(
    control: BetaPost,
    treatment: BetaPost,
    probs: tuple[float, ...],
    tables: tuple[NodeTable, NodeTable] | None = None,
) -> FloatArray:
    """Quantiles of log(θ_t / θ_c) of two Beta posteriors: shape (*cells, len(probs)).

    Examples
    --------
    The median of the log-ratio of two identical posteriors is 0.

    >>> import numpy as np
    >>> arm = BetaPost(np.array([12.0]), np.array([30.0]))
    >>> abs(float(log_ratio_quantiles(arm, arm, (0.5,))[0, 0])) < 1e-9
    True
    """
    return _quantiles(control, treatment, probs, tables, log_ratio=True)


def _quantiles(
    control: Post,
    treatment: Post,
    probs: tuple[float, ...],
    tables: tuple[NodeTable, NodeTable] | None,
    log_ratio: bool,
) -> FloatArray:
    shape, c, t, usable = _flat(control, treatment)
    table_c, table_t = tables if tables is not None else (NodeTable(c), NodeTable(t))
    if isinstance(c, BetaPost) and isinstance(t, BetaPost) and log_ratio:
        lc, lt = c.log_cumulants(), t.log_cumulants()
        kappa = [lt[i] + (-1.0) ** (i + 1) * lc[i] for i in range(1, 6)]  # κ_n, n = i + 1
        centre = lt[0] - lc[0]
    else:
        kc, kt = _cumulants(c.central_moments()), _cumulants(t.central_moments())
        kappa = [kt[i] + (-1.0) ** i * kc[i] for i in range(5)]  # κ_n(T - C), n = i + 2
        with np.errstate(invalid="ignore"):
            centre = t.mean() - c.mean()

    def exact(index: np.ndarray, start: FloatArray) -> FloatArray:
        part_c, part_t = _map(c, lambda v: v[index]), _map(t, lambda v: v[index])
        nodes = (table_c.rows(index), table_t.rows(index))
        return _exact(part_c, part_t, probs, start, log_ratio, nodes)

    out = _combine(cornish_fisher(kappa, probs), centre, exact, usable, _shapes(c, t))
    return out.reshape(*shape, len(probs))


def _shapes(control: Post, treatment: Post) -> FloatArray:
    """The smallest shape parameter of the two arms, per cell."""
    if isinstance(control, BetaPost) and isinstance(treatment, BetaPost):
        smallest = np.minimum.reduce([control.a, control.b, treatment.a, treatment.b])
        return np.asarray(smallest, dtype=np.float64)
    return np.asarray(np.minimum(control.a, treatment.a), dtype=np.float64)
