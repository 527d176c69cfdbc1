"""Proposal: projected gradient ascent on the surrogates, and Gaussian exploration.

Design
------
A network proposes by *climbing its own surrogate* from starting points it did not choose:
its siblings' best points, the best evaluated points, and a few random points (the seed:
"exploit each of the networks to execute gradient ascents from the current local
maximums of its network siblings").

* **Input gradients by autograd.** gorann estimated each partial derivative by a central
  finite difference (two forward passes per coordinate), kept only its *sign* with a dead
  zone, and moved every coordinate by the same fixed step. Here one backward pass gives
  the exact gradient of every member at every starting point at once: the input tensor
  has shape ``(s, S, d)`` and member m's output depends only on ``x[m]``, so the gradient
  of the summed output is each member's own input gradient.
* **Steps sized by trust.** Each member has a step count ``n_steps`` and a *trust radius*
  ``radius`` (a fraction of each side of the unit cube); the optimizer changes both
  multiplicatively by monitored success (:mod:`surge.optimizer._core`). A step moves
  ``step = 2 * radius / n_steps`` along the normalized gradient, so a member can cross its
  trust box in ``n_steps`` steps; a step that lowers the member's own prediction is undone
  and that point's step is halved (backtracking), so the walk never gets worse by the
  member's own judgment. The endpoint is the best point visited.
* **Projection.** After every step the point is clipped to its trust box around its start,
  intersected with the unit cube: every proposal is inside the bounds by construction.
* **Gaussian exploration** around given centres, clipped into the cube: the seed's local
  search around siblings' best points, and the incumbent's trust-region samples.

Shapes: starts ``(s, S, d)``, radii and steps ``(s,)``; results ``(s, S, d)`` points and
``(s, S)`` predictions, all in the unit cube.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve
from scipy.special import ndtr
from torch import Tensor

from surge.optimizer.ensemble import BatchedEnsemble

__all__ = ["ascend", "gaussian_around", "input_gradient", "local_gp_step"]

_BACKTRACK = 0.5
_GRAD_FLOOR = 1e-12


def input_gradient(model: BatchedEnsemble, x: Tensor) -> tuple[Tensor, Tensor]:
    """Predictions and their gradients with respect to the inputs.

    Args:
        model: the ensemble (s members).
        x: unit-cube points, shape ``(s, n, d)``.

    Returns:
        ``(pred, grad)``: predictions ``(s, n)`` and input gradients ``(s, n, d)``
        (target units per unit of the unit cube).
    """
    xg = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        pred = model(xg)
        (grad,) = torch.autograd.grad(pred.sum(), xg)
    return pred.detach(), grad


def ascend(
    model: BatchedEnsemble,
    starts: Tensor,
    radius: Tensor,
    n_steps: Tensor,
) -> tuple[Tensor, Tensor]:
    """Projected, backtracking, normalized-gradient ascent of every member.

    Args:
        model: the ensemble (s members); its parameters are not changed.
        starts: starting points in the unit cube, shape ``(s, S, d)``.
        radius: trust radius (half side of the box around each start, in unit-cube
            units), shape ``(s, S)`` (per member and start) or ``(s,)`` (per member).
        n_steps: per-member number of steps (integers >= 0), shape ``(s,)``.

    Returns:
        ``(best_x, best_pred)``: for each member and start, the best point visited
        ``(s, S, d)`` and the member's prediction there ``(s, S)``.
    """
    s, n_start, _ = starts.shape
    rad = (radius.view(s, 1) if radius.dim() == 1 else radius).expand(s, n_start)
    lo = (starts - rad.unsqueeze(-1)).clamp(min=0.0)
    hi = (starts + rad.unsqueeze(-1)).clamp(max=1.0)
    step = 2.0 * rad / n_steps.clamp(min=1).to(rad.dtype).view(s, 1)
    x = starts.clone()
    pred, grad = input_gradient(model, x)
    best_x, best_pred = x.clone(), pred.clone()
    total = int(n_steps.max().item()) if n_steps.numel() else 0
    for t in range(total):
        moving = (n_steps > t).view(s, 1)
        norm = grad.norm(dim=-1, keepdim=True).clamp(min=_GRAD_FLOOR)
        cand = x + step.unsqueeze(-1) * grad / norm
        cand = torch.minimum(torch.maximum(cand, lo), hi)
        cpred, cgrad = input_gradient(model, cand)
        better = (cpred > pred) & moving
        x = torch.where(better.unsqueeze(-1), cand, x)
        pred = torch.where(better, cpred, pred)
        grad = torch.where(better.unsqueeze(-1), cgrad, grad)
        step = torch.where(better | ~moving, step, step * _BACKTRACK)
        improved = pred > best_pred
        best_x = torch.where(improved.unsqueeze(-1), x, best_x)
        best_pred = torch.where(improved, pred, best_pred)
    return best_x, best_pred


def gaussian_around(
    centres: NDArray[np.float64],
    sigma: NDArray[np.float64] | float,
    n: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Gaussian samples around centres, clipped into the unit cube.

    Args:
        centres: unit-cube points, shape ``(c, d)``.
        sigma: standard deviation per centre, shape ``(c,)``, or one float (unit-cube units).
        n: samples per centre.
        rng: the generator to draw from.

    Returns:
        Samples of shape ``(c, n, d)``.
    """
    c, d = centres.shape
    sig = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (c,)).reshape(c, 1, 1)
    noise = rng.standard_normal((c, n, d))
    return np.asarray(np.clip(centres[:, None, :] + sig * noise, 0.0, 1.0), dtype=np.float64)


def _quadratic_features(dx: NDArray[np.float64], full: bool) -> NDArray[np.float64]:
    m, d = dx.shape
    cols = [np.ones((m, 1)), dx, 0.5 * dx * dx]
    if full:
        iu, ju = np.triu_indices(d, k=1)
        cols.append(dx[:, iu] * dx[:, ju])
    return np.concatenate(cols, axis=1)


def quadratic_trust_step(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    centre: NDArray[np.float64],
    sigma: float,
    *,
    n: int,
    rng: np.random.Generator,
    n_candidates: int = 512,
) -> NDArray[np.float64] | None:
    """The best points of a local quadratic model inside the trust box around ``centre``.

    The model is fitted by ridge least squares to the told points nearest the centre
    (a full quadratic when there are enough of them, else a diagonal one); candidates are
    drawn uniformly in the box ``centre +- sigma`` (clipped to the unit cube) and along
    the model's Newton direction, and the n with the highest model value are returned.
    This is the local polish that resolves scales below the networks' accuracy.

    Args:
        x: told unit points, shape ``(N, d)``.
        y: their values (maximized), shape ``(N,)``.
        centre: the trust-region centre, shape ``(d,)``.
        sigma: half side of the trust box, unit-cube units.
        n: number of points to return.
        rng: the generator to draw from.
        n_candidates: candidates scored by the model.

    Returns:
        Points of shape ``(n, d)``, or ``None`` when too few points are told.
    """
    d = centre.shape[0]
    p_diag = 1 + 2 * d
    p_full = p_diag + d * (d - 1) // 2
    if x.shape[0] < p_diag + 2:
        return None
    dist = np.sqrt(((x - centre) ** 2).sum(axis=1))
    full = x.shape[0] >= 2 * p_full
    m = min(x.shape[0], 2 * (p_full if full else p_diag))
    near = np.argsort(dist, kind="stable")[:m]
    scale = max(float(dist[near].max()), 1e-12)
    dx = (x[near] - centre) / scale
    feats = _quadratic_features(dx, full)
    yn = y[near]
    ys = float(yn.std()) or 1.0
    target = (yn - yn.mean()) / ys
    ridge = 1e-6 * np.eye(feats.shape[1])
    coef = np.linalg.solve(feats.T @ feats + ridge, feats.T @ target)
    lo = np.clip(centre - sigma, 0.0, 1.0)
    hi = np.clip(centre + sigma, 0.0, 1.0)
    cands = lo + (hi - lo) * rng.random((n_candidates, d))
    # Newton direction of the diagonal part, scaled into the box, as extra candidates.
    g = coef[1 : 1 + d]
    h = coef[1 + d : 1 + 2 * d]
    newton = np.where(h < 0, -g / np.minimum(h, -1e-12), np.sign(g) * sigma / scale)
    steps = np.linspace(0.1, 1.0, 10)[:, None] * newton[None, :] * scale
    cands = np.concatenate([cands, np.clip(centre + steps, lo, hi)], axis=0)
    pred = _quadratic_features((cands - centre) / scale, full) @ coef
    order = np.argsort(-pred, kind="stable")[:n]
    return np.asarray(cands[order], dtype=np.float64)


def local_gp_step(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    centre: NDArray[np.float64],
    sigma: float,
    *,
    rng: np.random.Generator,
    n_near: int = 30,
    n_candidates: int = 512,
    length_scales: tuple[float, ...] = (0.08, 0.12, 0.18, 0.27, 0.4),
) -> NDArray[np.float64] | None:
    """The point of best expected improvement of a local GP around ``centre``.

    A TuRBO-like step: a Gaussian process with an isotropic RBF kernel (unit prior
    variance, nugget 1e-4, length scale picked from ``length_scales`` by marginal
    likelihood) is fitted to the ``n_near`` told points nearest the centre (values
    standardized among them); Gaussian candidates of scale ``sigma`` around the centre
    are scored by expected improvement over the best of those points. Unlike the
    networks, trained on every point, the local model sees only the neighbourhood, so a
    climb far from the found basins follows the local slope instead of being pulled back
    to them. Its cost does not grow with the number of told points (one nearest-point
    query and ``len(length_scales)`` Cholesky factorizations of ``n_near x n_near``).

    Args:
        x: told unit points, shape ``(N, d)``.
        y: their values (maximized), shape ``(N,)``.
        centre: the climb's current point, shape ``(d,)``.
        sigma: candidate scale, unit-cube units.
        rng: the generator to draw from.
        n_near: points the GP is fitted to.
        n_candidates: candidates scored.
        length_scales: candidate kernel length scales, unit-cube units.

    Returns:
        The chosen unit point ``(d,)`` (inside the cube), or ``None`` with fewer than
        ``d + 2`` told points or no factorizable kernel.
    """
    d = centre.shape[0]
    if x.shape[0] < d + 2:
        return None
    near = np.argsort(((x - centre) ** 2).sum(axis=1), kind="stable")[:n_near]
    xn = x[near]
    yn = y[near]
    t = (yn - yn.mean()) / (float(yn.std()) or 1.0)
    gap2 = ((xn[:, None, :] - xn[None, :, :]) ** 2).sum(axis=-1)
    best: tuple[float, float, tuple[NDArray[np.float64], bool], NDArray[np.float64]] | None
    best = None
    for scale in length_scales:
        kern = np.exp(-0.5 * gap2 / scale**2) + 1e-4 * np.eye(xn.shape[0])
        try:
            chol = cho_factor(kern, lower=True)
        except np.linalg.LinAlgError:
            continue
        alpha = cho_solve(chol, t)
        loglik = -0.5 * float(t @ alpha) - float(np.log(np.diag(chol[0])).sum())
        if best is None or loglik > best[0]:
            best = (loglik, scale, chol, alpha)
    if best is None:
        return None
    _, scale, chol, alpha = best
    cands = gaussian_around(centre[None, :], sigma, n_candidates, rng)[0]
    k_star = np.exp(-0.5 * ((cands[:, None, :] - xn[None, :, :]) ** 2).sum(-1) / scale**2)
    mean = k_star @ alpha
    var = 1.0 - (k_star * cho_solve(chol, k_star.T).T).sum(axis=1)
    sd = np.sqrt(np.clip(var, 1e-12, None))
    z = (mean - float(t.max())) / sd
    ei = sd * (z * ndtr(z) + np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))
    return np.asarray(cands[int(np.argmax(ei))], dtype=np.float64)
