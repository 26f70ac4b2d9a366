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
   the treatment arm) is computed by Gauss-Hermite quadrature over the arm that spreads less
   on the side the quantile depends on, and inverted by Halley steps kept inside a bracket.
   Where the other arm's distribution function meets an end of its support with a sharp kink
   inside the range, the rule is restricted to the window where the integrand is not
   constant.

Quadrature over a posterior uses the 48-point Gauss-Hermite rule in normal scores (without
the fourteen outermost nodes, whose weights are below 1e-15). Where every shape parameter is at
least :data:`MAP_MIN_SHAPE`, the nodes come from a Cornish-Fisher map of the logit (Beta) or
the logarithm (Gamma) of the posterior, with the density ratio of that change of variables
in the weights (:class:`_NormalMap`); elsewhere they are the posterior's exact quantiles.

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
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import TypeVar, cast

import numpy as np
from scipy import special

from rekrut.stats._chunks import by_chunks
from rekrut.stats._result import FloatArray

CF_TOLERANCE = 2e-4
"""Largest accepted error estimate of the Cornish-Fisher quantile, in standard deviations."""

CF_MIN_SHAPE = 20.0
"""Smallest shape parameter (Beta a and b, Gamma shape) for which the series is used."""

_Z, _W = np.polynomial.hermite_e.hermegauss(48)
_W /= np.sqrt(2.0 * np.pi)  # Gauss-Hermite rule for E[g(Z)], Z ~ N(0, 1)
# the fourteen outermost nodes carry weights below 1e-15: for the integrands here, bounded by
# one, they change no sum by more than 1e-14, and leaving them out saves 29 % of the work
_Z, _W = _Z[_W > 1e-15], _W[_W > 1e-15]
_MAX_STEPS = 100
_STEP_TOLERANCE = 3e-3
"""Within this fraction of the posterior spread of the root (to first order), one Halley step
ends the search: its error is of order δ³, about 3e-8 of the spread (2e-8 of the interval's
width in the tests)."""
_SHARP_TOLERANCE = 1e-4
"""The same where the integrand has a sharp kink and derivatives vary on a shorter scale
(starting from the root of the fixed rule, one step nearly always suffices)."""


# --------------------------------------------------------------------------- families


@dataclass(frozen=True, slots=True)
class BetaPost:
    a: FloatArray
    b: FloatArray

    def mean(self) -> FloatArray:
        return self.a / (self.a + self.b)

    def sample(self, rng: np.random.Generator, cells: slice, n: int) -> FloatArray:
        a, b = self.a.ravel()[cells, None], self.b.ravel()[cells, None]
        return rng.beta(a, b, size=(a.shape[0], n))

    def central_moments(self) -> list[FloatArray]:
        m = self.mean()
        return _stein_moments(m * (1.0 - m), 1.0 - 2.0 * m, lambda k: self.a + self.b + k)

    def log_cumulants(self) -> list[FloatArray]:
        """Cumulants 1 to 6 of log X: ψ⁽ⁿ⁻¹⁾(a) - ψ⁽ⁿ⁻¹⁾(a + b)."""
        a, s = _psi_table(self.a), _psi_table(self.a + self.b)
        return [a[n] - s[n] for n in range(6)]

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

    def dlog_pdf(self, x: FloatArray) -> FloatArray:
        """d/dx log f(x) inside the support."""
        return np.asarray((self.a - 1.0) / x - (self.b - 1.0) / (1.0 - x))

    def ppf(self, u: FloatArray) -> FloatArray:
        return _far_tail(special.betaincinv(self.a, self.b, u), u, self.a, self.b)

    def isf(self, u: FloatArray) -> FloatArray:
        return 1.0 - _far_tail(1.0 - special.betainccinv(self.a, self.b, u), u, self.b, self.a)


def _psi_table(x: FloatArray) -> list[FloatArray]:
    """ψ(x) and ψ⁽ⁿ⁾(x) for n = 1 … 5, computed once per distinct value (counts repeat across
    cells, and the polygamma functions cost more than everything else in the series)."""
    distinct, where = np.unique(np.asarray(x, dtype=np.float64), return_inverse=True)
    values = [special.digamma(distinct)] + [special.polygamma(n, distinct) for n in range(1, 6)]
    return [np.asarray(v[where], dtype=np.float64).reshape(np.shape(x)) for v in values]


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
        # Y_num / Y_den = (r_den / r_num) W / (1 - W), W ~ Beta(a_num, a_den). One inverse
        # per cell, of the side that is below 1/2 on average (W where a_num <= a_den); the
        # other side is its complement, computed directly where the complement loses digits
        a, b = np.broadcast_arrays(np.asarray(num.a, dtype=np.float64), den.a)
        low = a <= b
        direct = np.where(low, special.betaincinv(a, b, q), special.betaincinv(b, a, 1.0 - q))
        w, one_minus_w = np.where(low, direct, 1.0 - direct), np.where(low, 1.0 - direct, direct)
        lost = direct > 1.0 - 1e-6
        if lost.any():
            w[lost & ~low] = special.betaincinv(a[lost & ~low], b[lost & ~low], q)
            one_minus_w[lost & low] = special.betaincinv(b[lost & low], a[lost & low], 1.0 - q)
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

    def dlog_pdf(self, x: FloatArray) -> FloatArray:
        """d/dx log f(x) inside the support."""
        if self.inverse:  # f ∝ x^(-a-1) exp(-r/x)
            return np.asarray((self.r / x - self.a - 1.0) / x)
        return np.asarray((self.a - 1.0) / x - self.r)

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


MAP_MIN_SHAPE = 5.0
"""Smallest shape parameter for which quadrature nodes come from the Cornish-Fisher map of
:class:`_NormalMap` rather than from exact quantiles."""

_RECURRENCE_MAX = 1e6
"""Largest a + b for which the size-biased distribution function comes from the recurrence."""

_LOG_W = np.log(_W) + 0.5 * _Z * _Z  # log of the Gauss-Hermite weight times e^{z²/2}


_MARKS = np.array([-2.0, 0.0, 2.0])
"""Normal scores of the quantiles that describe each posterior's spread on either side."""


def _spreads(marks: FloatArray, log: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The median and how far the marks lie below and above it (of log θ if ``log``)."""
    low, mid, high = np.log(marks.T) if log else marks.T
    return mid, mid - low, high - mid


def _exact_quantiles(post: BetaPost | GammaPost, z: FloatArray) -> FloatArray:
    """Quantiles of each cell's posterior (rows) at Φ(z), from the nearer tail."""
    column = _map(post, lambda v: v[:, None])
    u = np.broadcast_to(special.ndtr(z), (np.size(post.a), z.size))
    return _quantile(column, u, np.broadcast_to(special.ndtr(-z), u.shape))


def _polygamma_series(x: FloatArray) -> list[FloatArray]:
    """The digamma function and its first three derivatives by their asymptotic series
    (Abramowitz and Stegun 6.3.18, 6.4.11), relative error below 1e-5 for x >= 5. They only
    place quadrature nodes (see :class:`_NormalMap`), where any close value serves and
    scipy's exact functions would cost more than the rest of the map."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = 1.0 / x
        u2 = u * u
        return [
            np.log(x) - u / 2.0 - u2 * (1.0 / 12.0 - u2 * (1.0 / 120.0 - u2 / 252.0)),
            u * (1.0 + u / 2.0 + u2 * (1.0 / 6.0 - u2 * (1.0 / 30.0 - u2 / 42.0))),
            -u2 * (1.0 + u + u2 * (0.5 - u2 * (1.0 / 6.0 - u2 / 6.0))),
            u2 * u * (2.0 + 3.0 * u + u2 * (2.0 - u2 * (1.0 - 4.0 / 3.0 * u2))),
        ]


@dataclass(frozen=True, slots=True)
class _NormalMap:
    """A map from normal scores z to each cell's posterior, close to its quantile function.

    θ is a monotone function of Y, a sum of logarithms of Gamma variables: Y = logit θ for
    Beta(a, b) (log G_a - log G_b) and Y = ±log θ for a Gamma or inverse-Gamma posterior. The
    cumulants of Y are polygamma functions, and the Cornish-Fisher expansion to the fourth
    cumulant maps z to y(z), close to Y's quantile at Φ(z). As a change of variables for
    E[g(θ)] the map is exact for any such y: the weight of node z_i is
    w_i f_Y(y(z_i)) y'(z_i) e^{z_i²/2}, so the map only needs to be close for the integrand to
    stay smooth. Cells are rows (column arrays).
    """

    post: BetaPost | GammaPost
    centre: FloatArray
    sd: FloatArray
    g1: FloatArray
    g2: FloatArray

    @classmethod
    def of(cls, post: BetaPost | GammaPost) -> _NormalMap:
        column = _map(post, lambda v: v[:, None])
        psi = _polygamma_series(column.a)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if isinstance(column, BetaPost):  # Y = log G_a - log G_b
                psi_b = _polygamma_series(column.b)
                k1, k2 = psi[0] - psi_b[0], psi[1] + psi_b[1]
                k3, k4 = psi[2] - psi_b[2], psi[3] + psi_b[3]
            else:  # Y = ±(log G_a - log r)
                sign = -1.0 if column.inverse else 1.0
                k1, k2 = sign * (psi[0] - np.log(column.r)), psi[1]
                k3, k4 = sign * psi[2], psi[3]
            sd = np.sqrt(k2)
            return cls(column, k1, sd, k3 / (sd * k2), k4 / (k2 * k2))

    def usable(self) -> np.ndarray:
        """Every shape at least :data:`MAP_MIN_SHAPE`, y' well away from zero at every node,
        and finite."""
        post = self.post
        smallest = np.minimum(post.a, post.b) if isinstance(post, BetaPost) else post.a
        # y'(z) / sd = A + B z + C z² is smallest at an end of the nodes' range or at its vertex
        edge = np.array([_Z[0], _Z[-1]])
        _, slope = self._scores(edge)
        g1, g2 = self.g1[:, 0], self.g2[:, 0]
        curve, tilt = g2 / 8.0 - g1 * g1 / 6.0, g1 / 3.0
        with np.errstate(divide="ignore", invalid="ignore"):
            vertex = np.clip(-tilt / (2.0 * curve), edge[0], edge[1])
        _, at_vertex = self._scores(vertex[:, None])
        lowest = np.minimum(slope.min(axis=-1), np.where(curve > 0.0, at_vertex[:, 0], np.inf))
        ok = (smallest[:, 0] >= MAP_MIN_SHAPE) & (lowest >= 0.2)
        return np.asarray(ok & np.isfinite(self.centre[:, 0] + self.sd[:, 0]))

    def _scores(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The standardised expansion w(z) and its derivative."""
        g1, g2, z2 = self.g1, self.g2, z * z
        with np.errstate(invalid="ignore", over="ignore"):
            w = z + g1 * (z2 - 1.0) / 6.0 + g2 * z * (z2 - 3.0) / 24.0
            w = w - g1 * g1 * z * (2.0 * z2 - 5.0) / 36.0
            slope = 1.0 + g1 * z / 3.0 + g2 * (z2 - 1.0) / 8.0 - g1 * g1 * (6.0 * z2 - 5.0) / 36.0
        return np.asarray(w), np.asarray(slope)

    def _theta(self, y: FloatArray) -> FloatArray:
        if isinstance(self.post, BetaPost):
            return np.asarray(special.expit(y))
        with np.errstate(over="ignore"):
            return np.asarray(np.exp(y))

    def at(self, z: FloatArray) -> FloatArray:
        """θ at the normal scores ``z``: (cells, len(z))."""
        w, _ = self._scores(z)
        return self._theta(self.centre + self.sd * w)

    def nodes(self) -> tuple[FloatArray, FloatArray]:
        """Nodes and weights (normalised to sum to one) at the Gauss-Hermite nodes."""
        w, slope = self._scores(_Z)
        step = self.sd * w  # y - centre
        y = self.centre + step
        post = self.post
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # log f_Y(y) - log f_Y(centre), written in the step so that it keeps its digits
            # when the shapes are in the millions; the weights are normalised
            if isinstance(post, BetaPost):
                # log f_Y = a y - (a + b) log(1 + e^y)
                p0 = special.expit(self.centre)
                log_f = post.a * step - (post.a + post.b) * np.log1p(p0 * np.expm1(step))
            else:
                # log f = a u - e^u in u = log G_a = ±y + log r
                sign = -1.0 if post.inverse else 1.0
                g0 = np.exp(sign * self.centre + np.log(post.r))
                log_f = post.a * sign * step - g0 * np.expm1(sign * step)
            log_w = log_f + np.log(slope) + _LOG_W
            weights = np.exp(log_w - log_w.max(axis=-1, keepdims=True))
            weights /= weights.sum(axis=-1, keepdims=True)
        return self._theta(y), weights


class NodeTable:
    """Quadrature nodes and weights of each cell's posterior, and its marks (quantiles at
    Φ(-2), Φ(0), Φ(2) that tell how far it spreads on either side of its median), computed
    once per distinct posterior when first needed (they are the costly part of every
    quadrature here, and cells with few events share their posteriors): the map of
    :class:`_NormalMap` where it is usable, else quantiles at Φ(z) with the Gauss-Hermite
    weights."""

    def __init__(self, post: BetaPost | GammaPost) -> None:
        flat = _map(post, np.ravel)
        first, second = _params(flat)
        # one row per distinct posterior (a pair of parameters as one complex number sorts
        # four times faster than rows of an array)
        distinct, key = np.unique(first + 1j * second, return_inverse=True)
        self._key = np.asarray(key, dtype=np.intp).ravel()
        self._distinct: BetaPost | GammaPost
        if isinstance(flat, BetaPost):
            self._distinct = BetaPost(distinct.real.copy(), distinct.imag.copy())
        else:
            self._distinct = GammaPost(distinct.real.copy(), distinct.imag.copy(), flat.inverse)
        size = len(distinct)
        self._nodes, self._weights = np.empty((2, size, _Z.size))
        self._marks = np.empty((size, 3))
        self._have = np.zeros(size, dtype=bool)  # nodes and weights
        self._marked = np.zeros(size, dtype=bool)  # marks, and whether mapped
        self._mapped = np.zeros(size, dtype=bool)

    def _mark(self, keys: np.ndarray) -> None:
        todo = np.unique(keys[~self._marked[keys]])
        if todo.size:
            part = _map(self._distinct, lambda v: v[todo])
            normal = _NormalMap.of(part)
            mapped = normal.usable()
            self._mapped[todo] = mapped
            marks = self._marks
            marks[todo[mapped]] = normal.at(_MARKS)[mapped]
            if not mapped.all():
                exact = _map(part, lambda v: v[~mapped])
                marks[todo[~mapped]] = _exact_quantiles(exact, _MARKS)
            self._marked[todo] = True

    def mapped(self, index: np.ndarray) -> np.ndarray:
        """Whether the cells ``index`` have mapped nodes (:class:`_NormalMap`)."""
        keys = self._key[index]
        self._mark(keys)
        return np.asarray(self._mapped[keys], dtype=bool)

    def marks(self, index: np.ndarray) -> FloatArray:
        """Quantiles at Φ(-2), Φ(0), Φ(2) of the cells ``index`` (approximate where mapped)."""
        keys = self._key[index]
        self._mark(keys)
        return np.asarray(self._marks[keys], dtype=np.float64)

    def rows(self, index: np.ndarray) -> tuple[FloatArray, FloatArray]:
        """The nodes and weights of the cells ``index``: two arrays (cells, nodes)."""
        keys = self._key[index]
        self._mark(keys)
        todo = np.unique(keys[~self._have[keys]])
        if todo.size:
            mapped = self._mapped[todo]
            if mapped.any():
                part = _map(self._distinct, lambda v: v[todo[mapped]])
                nodes, weights = _NormalMap.of(part).nodes()
                self._nodes[todo[mapped]], self._weights[todo[mapped]] = nodes, weights
            if not mapped.all():
                part = _map(self._distinct, lambda v: v[todo[~mapped]])
                self._nodes[todo[~mapped]] = _exact_quantiles(part, _Z)
                self._weights[todo[~mapped]] = _W
            self._have[todo] = True
        return self._nodes[keys], self._weights[keys]


def _nodes_of(
    first: NodeTable, second: NodeTable, use_first: np.ndarray, index: np.ndarray
) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights of the cells ``index``: from ``first`` where ``use_first``, else from
    ``second`` (only the tables' rows in use are computed)."""
    nodes, weights = np.empty((2, index.size, _Z.size))
    for table, rows in ((first, use_first), (second, ~use_first)):
        nodes[rows], weights[rows] = table.rows(index[rows])
    return nodes, weights


def _over_narrow(
    control: BetaPost, treatment: BetaPost, tables: tuple[NodeTable, NodeTable] | None
) -> tuple[tuple[int, ...], np.ndarray, FloatArray, FloatArray, BetaPost]:
    """The flattened cells' shape, where the treatment is the arm N integrated over, the
    nodes and weights of N, and the other posterior W as a column.

    The integrand is W's distribution function at N's nodes, which should change slowly in
    N's normal scores. A skewed posterior's quantile function bends sharply in normal scores,
    so N is the arm with mapped nodes where only one has them (in the logit scale, where
    both are close to normal, neither is much narrower than the other), and the arm with
    the larger smallest shape where neither has them. Otherwise N is the arm that spreads
    less on the side P(θ_t > θ_c) depends on: the lower side of the arm with the higher
    median, the upper side of the other.
    """
    shape, c, t, _ = _flat(control, treatment)
    table_c, table_t = tables if tables is not None else (NodeTable(c), NodeTable(t))
    every = np.arange(np.size(c.a))
    mid_c, down_c, up_c = _spreads(table_c.marks(every), log=False)
    mid_t, down_t, up_t = _spreads(table_t.marks(every), log=False)
    map_c, map_t = table_c.mapped(every), table_t.mapped(every)
    small_c, small_t = np.minimum(c.a, c.b), np.minimum(t.a, t.b)
    t_narrow = np.select(
        [map_c != map_t, ~map_c & ~map_t & (small_c != small_t)],
        [map_t, small_t > small_c],
        np.where(mid_t >= mid_c, down_t <= up_c, up_t <= down_c),
    )
    nodes, weights = _nodes_of(table_t, table_c, t_narrow, every)
    wide = BetaPost(np.where(t_narrow, c.a, t.a)[:, None], np.where(t_narrow, c.b, t.b)[:, None])
    return shape, t_narrow, nodes, weights, wide


def _expect(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Quadrature sums per cell (rows)."""
    return np.asarray(np.einsum("ij,ij->i", values, weights), dtype=np.float64)


def beta_greater(a_x: FloatArray, b_x: FloatArray, a_y: FloatArray, b_y: FloatArray) -> FloatArray:
    """P(X > Y) for independent Beta variables by quadrature over one of them.

    P(Y < X) = E[F_Y(X)] (or 1 - E[F_X(Y)]), over the arm chosen by :func:`_over_narrow`, so
    that the integrand changes slowly in its normal scores; within about 1e-11 of Evan
    Miller's closed form where every shape is at least 5 (see the tests).
    """
    shape, y, x, _ = _flat(BetaPost(a_y, b_y), BetaPost(a_x, b_x))

    def kernel(cells: slice) -> tuple[FloatArray]:
        _, x_narrow, nodes, weights, wide = _over_narrow(
            _map(y, itemgetter(cells)), _map(x, itemgetter(cells)), None
        )
        wide_below = _expect(wide.cdf(nodes), weights)  # P(wide < narrow)
        return (np.asarray(np.where(x_narrow, wide_below, 1.0 - wide_below)),)

    return by_chunks(kernel, int(np.prod(shape)))[0].reshape(shape)


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
    law Beta(a + 1, b), whose distribution function is
    :math:`I_x(a + 1, b) = I_x(a, b) - x^a (1 - x)^b / (a B(a, b))` (DLMF 8.17.20). The loss
    is :math:`E[(θ_c - θ_t)^+]` if higher is better, else :math:`E[(θ_t - θ_c)^+]`.
    ``tables`` (control, treatment) share nodes with the interval computations; arms are
    flattened cells.
    """
    shape, t_narrow, nodes, weights, wide = _over_narrow(control, treatment, tables)
    below = wide.cdf(nodes)  # F_W at the nodes
    with np.errstate(divide="ignore"):
        log_term = (
            special.xlogy(wide.a, nodes)
            + special.xlog1py(wide.b, -nodes)
            - np.log(wide.a)
            - special.betaln(wide.a, wide.b)
        )
    below_plus = np.maximum(below - np.exp(log_term), 0.0)  # F_{W+}
    # the logarithms of the recurrence's term lose digits as the shapes grow (1e-9 of the
    # loss's scale at a + b = 1e6): there, the distribution function itself
    huge = np.flatnonzero(wide.a[:, 0] + wide.b[:, 0] > _RECURRENCE_MAX)
    if huge.size:
        plus = BetaPost(wide.a[huge] + 1.0, wide.b[huge])
        below_plus[huge] = plus.cdf(nodes[huge])
    mean_w = wide.mean()
    wide_below = _expect(below, weights)
    t_greater = np.where(t_narrow, wide_below, 1.0 - wide_below)
    # the narrow arm exceeds the other by (x - W)^+, falls short of it by (W - x)^+
    excess = _expect(nodes * below - mean_w * below_plus, weights)
    shortfall = _expect(mean_w * (1.0 - below_plus) - nodes * (1.0 - below), weights)
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
    fixed: tuple[FloatArray, FloatArray]  # (cells, nodes): nodes and weights over N
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
            (self.fixed[0][index], self.fixed[1][index]),
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

    def evaluate(self, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """F, dF/dx and d²F/dx² at ``x`` (one value per cell).

        With y = n ± x (or n e^{±x}) and J = dy/dx up to sign (1, or y for the log-ratio),
        F' = E[f_W(y) J] and F'' = ±E[f_W'(y) J² + f_W(y) J [log-ratio]].
        """
        xs = x[:, None]
        if self.windowed:
            nodes, base, mass = self._windowed(xs)
            weights = np.broadcast_to(_W, nodes.shape)
        else:
            (nodes, weights), base, mass = self.fixed, np.zeros(x.shape), np.ones(x.shape)
        sign = self._sign()
        with np.errstate(over="ignore", invalid="ignore"):
            y = nodes * np.exp(sign * xs) if self.log_ratio else nodes + sign * xs
        # over the control the integrand is W's distribution function, else its survival
        h = np.empty(y.shape)
        for rows, survival in ((self.over_c, False), (~self.over_c, True)):
            if rows.any():
                part = _map(self.wide, itemgetter(rows))
                h[rows] = part.sf(y[rows]) if survival else part.cdf(y[rows])
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            jacobian = y if self.log_ratio else 1.0
            pdf = self.wide.pdf(y)
            density = pdf * jacobian
            bend = sign * (pdf * self.wide.dlog_pdf(y) * jacobian * jacobian)
            if self.log_ratio:
                bend = bend + sign * density
        # 0 * inf far in a tail, or at an end of the support, is 0
        density = np.where(np.isfinite(density), density, 0.0)
        bend = np.where(np.isfinite(bend), bend, 0.0)
        return (
            base + mass * _expect(h, weights),
            mass * _expect(density, weights),
            mass * _expect(bend, weights),
        )


def _invert(
    problem: _Problem, q: float, start: FloatArray, scale: FloatArray, tolerance: float
) -> FloatArray:
    """Solve F(x) = q per cell: Halley steps, bisection when a step leaves the bracket.

    Where the Newton distance to the root, δ = (F - q) / F', is below ``tolerance`` times
    the scale, the Halley step from there lands within about δ³ / scale² of the root and ends
    the search.
    """
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
        value, slope, bend = problem.rows(todo).evaluate(x[todo])
        below = value < q
        low[todo] = np.where(below, x[todo], low[todo])
        high[todo] = np.where(below, high[todo], x[todo])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = (value - q) / slope  # the distance to the root, to first order
            # Halley's correction where the curvature term is small; far from the root a
            # large curvature would shrink the step without bringing x closer
            tilt = 0.5 * newton * bend / slope
            halley = np.abs(tilt) <= 0.5
            step = x[todo] - np.where(halley, newton / (1.0 - tilt), newton)
            near = halley & (np.abs(newton) <= tolerance * scale[todo])
        # a step longer than the walk (far out in a tail, where F is flat) is not taken
        inside = np.isfinite(step) & (step >= low[todo]) & (step <= high[todo])
        inside &= np.abs(step - x[todo]) <= walk[todo]
        lo_t, hi_t = low[todo], high[todo]
        finite = np.isfinite(lo_t) & np.isfinite(hi_t)
        # no usable step: halve the bracket, or walk out of an open one
        fallback = np.where(
            finite,
            0.5 * (lo_t + hi_t),
            np.where(below, x[todo] + walk[todo], x[todo] - walk[todo]),
        )
        walk[todo] = np.where(inside | finite, walk[todo], 2.0 * walk[todo])
        nxt = np.where(inside, step, fallback)
        done = (inside & near) | (np.abs(nxt - x[todo]) <= 1e-12 * scale[todo])
        x[todo] = nxt
        todo = todo[~done]
    return x


def _exact(
    control: Post,
    treatment: Post,
    probs: tuple[float, ...],
    start: FloatArray,
    log_ratio: bool,
    tables: tuple[NodeTable, NodeTable],
    index: np.ndarray,
) -> FloatArray:
    """Quantiles of θ_t - θ_c (or log θ_t/θ_c) by inverting F; shape (cells, probs).

    ``control`` and ``treatment`` are the cells ``index`` of the tables' posteriors. For each
    tail, N is the arm that spreads less on the side that tail depends on (the lower tail of
    the difference on the control's upper side and the treatment's lower side), so the
    integrand changes slowly over N; only N's nodes are computed.
    """
    table_c, table_t = tables
    mid_c, down_c, up_c = _spreads(table_c.marks(index), log_ratio)
    mid_t, down_t, up_t = _spreads(table_t.marks(index), log_ratio)
    scale = np.hypot(down_c + up_c, down_t + up_t) / 4.0
    out = []
    for j, q in enumerate(probs):
        # where the series gives no usable start, a normal quantile with the spreads of the
        # sides this tail depends on (the marks lie two standard deviations out)
        side = np.hypot(down_t, up_c) if q < 0.5 else np.hypot(up_t, down_c)
        normal = mid_t - mid_c + special.ndtri(q) * side / 2.0
        usable = np.isfinite(start[:, j]) & (np.abs(start[:, j] - normal) <= 3.0 * side)
        guess = np.where(usable, start[:, j], normal)

        # the arm that spreads less on the side this tail depends on
        over_c = up_c <= down_t if q < 0.5 else down_c <= up_t
        nodes, weights = _nodes_of(table_c, table_t, over_c, index)
        fixed = _Problem(
            _map(_where(over_c, control, treatment), lambda v: v[:, None]),
            _map(_where(over_c, treatment, control), lambda v: v[:, None]),
            over_c,
            log_ratio,
            (nodes, weights),
            windowed=False,
        )
        x = _invert(fixed, q, guess, scale, _STEP_TOLERANCE)
        # where a sharp kink falls inside N at the root, finish inside the window
        sharp = np.flatnonzero(fixed.kink(x) < _SMOOTH_CONTACT)
        if sharp.size:
            windowed = replace(fixed, windowed=True).rows(sharp)
            x[sharp] = _invert(windowed, q, x[sharp], scale[sharp], _SHARP_TOLERANCE)
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
    """Quantiles by :func:`_chunk_quantiles`: over the given tables' cells at once, else
    chunk by chunk (:func:`rekrut.stats._chunks.by_chunks`), each with its own tables."""
    if tables is not None:
        return _chunk_quantiles(control, treatment, probs, tables, log_ratio)
    shape, c, t, _ = _flat(control, treatment)

    def kernel(cells: slice) -> tuple[FloatArray]:
        part_c, part_t = _map(c, itemgetter(cells)), _map(t, itemgetter(cells))
        own = (NodeTable(part_c), NodeTable(part_t))
        return (_chunk_quantiles(part_c, part_t, probs, own, log_ratio),)

    return by_chunks(kernel, int(np.prod(shape)))[0].reshape(*shape, len(probs))


def _chunk_quantiles(
    control: Post,
    treatment: Post,
    probs: tuple[float, ...],
    tables: tuple[NodeTable, NodeTable],
    log_ratio: bool,
) -> FloatArray:
    """Quantiles of every cell, with the tables built on the flattened cells."""
    shape, c, t, usable = _flat(control, treatment)
    table_c, table_t = tables
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
        return _exact(part_c, part_t, probs, start, log_ratio, (table_c, table_t), index)

    out = _combine(cornish_fisher(kappa, probs), centre, exact, usable, _shapes(c, t))
    return out.reshape(*shape, len(probs))


def _shapes(control: Post, treatment: Post) -> FloatArray:
    """The smallest shape parameter of the two arms, per cell."""
    if isinstance(control, BetaPost) and isinstance(treatment, BetaPost):
        smallest = np.minimum.reduce([control.a, control.b, treatment.a, treatment.b])
        return np.asarray(smallest, dtype=np.float64)
    return np.asarray(np.minimum(control.a, treatment.a), dtype=np.float64)


# --------------------------------------------------------------------------- two-arm comparison


def compare_exact(
    control: Post,
    treatment: Post,
    higher: bool,
    tails: tuple[float, float],
    intervals: bool,
) -> tuple[FloatArray, ...]:
    """The exact parts of a comparison of two arms, chunk by chunk over the cells.

    Parameters
    ----------
    control, treatment : BetaPost or GammaPost
        The arms' posteriors (one family), broadcast against each other.
    higher : bool
        Whether a higher value is better (the expected loss is the treatment's shortfall).
    tails : (float, float)
        Lower and upper tail probabilities of the credible intervals.
    intervals : bool
        Whether to compute the interval of the difference, and the lift interval of Beta
        arms (NaN otherwise; Gamma arms' lift quantiles are closed form and always given).

    Returns
    -------
    t_greater, loss, low, high, lift_low, lift_high : numpy.ndarray
        With the cells' broadcast shape: P(θ_t > θ_c), the expected loss of choosing the
        treatment (before clipping at 0), the interval of θ_t - θ_c and of θ_t / θ_c - 1.

    Notes
    -----
    Cells are processed :data:`rekrut.stats._chunks.CHUNK_CELLS` at a time, each chunk with
    node tables of its own posteriors, so a posterior shared by cells of several chunks has its
    nodes computed in each: every number is the same as over all cells at once, since each
    depends only on its own cell's parameters.

    Examples
    --------
    >>> arm = BetaPost(np.array([12.0, 3.0]), np.array([30.0, 8.0]))
    >>> parts = compare_exact(arm, arm, True, (0.025, 0.975), True)
    >>> [round(float(p), 6) for p in parts[0]]
    [0.5, 0.5]
    """
    shape, c, t, _ = _flat(control, treatment)

    def kernel(cells: slice) -> tuple[FloatArray, ...]:
        return _compare_chunk(
            _map(c, itemgetter(cells)), _map(t, itemgetter(cells)), higher, tails, intervals
        )

    return tuple(part.reshape(shape) for part in by_chunks(kernel, int(np.prod(shape))))


def _compare_chunk(
    control: Post,
    treatment: Post,
    higher: bool,
    tails: tuple[float, float],
    intervals: bool,
) -> tuple[FloatArray, ...]:
    """:func:`compare_exact` for flattened cells at once."""
    tables = (NodeTable(control), NodeTable(treatment))
    nan = np.full(np.shape(control.a), np.nan)
    lift_low, lift_high = nan, nan
    if isinstance(control, BetaPost) and isinstance(treatment, BetaPost):
        t_greater, loss = beta_prob_and_loss(control, treatment, higher=higher, tables=tables)
        if intervals:
            log_q = log_ratio_quantiles(control, treatment, tails, tables)
            lift_low, lift_high = np.expm1(log_q).T
    else:
        gamma_c, gamma_t = cast(GammaPost, control), cast(GammaPost, treatment)
        t_greater = gamma_t.greater(gamma_c)
        # E[max(θ_x - θ_y, 0)] = E[θ_x] P(θ_x⁺ > θ_y) - E[θ_y] P(θ_x > θ_y⁺), ⁺ = size-biased
        better, worse = (gamma_c, gamma_t) if higher else (gamma_t, gamma_c)
        loss = better.mean() * better.size_biased().greater(worse) - worse.mean() * better.greater(
            worse.size_biased()
        )
        # the ratio of two Gamma variables is a scaled beta-prime variable: exact lift quantiles
        lift_low, lift_high = (gamma_t.ratio_quantile(gamma_c, q) - 1.0 for q in tails)
    low, high = nan, nan
    if intervals:
        low, high = difference_quantiles(control, treatment, tails, tables).T
    return t_greater, loss, low, high, lift_low, lift_high
