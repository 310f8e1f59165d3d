"""Chapter "Clustering with an associative memory": runs, figures and the widget (serves book/systems/clustering.py)."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as w
import numpy as np
import torch
from threadpoolctl import threadpool_limits

from ... import tiers
from ...models import clustering as cl
from ...tasks import clustering as data
from ...viz import gallery, style
from ...viz.widgets import figure_widget, slider

CHAPTER = "systems/clustering"
#: The paper's headline: ClAM improves the silhouette over k-means "by up to 60 %".
PAPER_GAIN = 0.60
NAMES = {"iris": "iris", "breast_cancer": "breast cancer", "wine": "wine", "digits": "digits"}
#: The no-mask runs (beta 1.1, Adam lr 0.01) and the 2-D picture (the configuration the CI grid selects most often).
NOMASK = {"beta": 1.1, "lr": 1e-2}
PLANAR = {"beta": 1.1, "lr": 1e-1, "fill": "max"}


def sizes(tier: str | None = None) -> dict:
    """CI tier: iris and wine, a 2 x 2 x 2 sub-grid, 30 epochs; paper tier: the four data sets, the full 36-config grid, 200 epochs."""
    if tiers.current(tier) == "paper":
        return {"datasets": data.DATASETS, "grid": dict(cl.GRID), "seeds": (0, 1, 2, 3, 4), "epochs": 200,
                "nomask_epochs": 200, "n_init": 1000, "restarts": 36}
    return {"datasets": ("iris", "wine"), "grid": {"beta": (1.1, 1.9), "lr": (1e-2, 1e-1), "fill": ("max", "min")},
            "seeds": (0, 1, 2), "epochs": 30, "nomask_epochs": 50, "n_init": 1000, "restarts": 36}


def grid_size(size: dict) -> int:
    return int(np.prod([len(v) for v in size["grid"].values()]))


def study(name: str, tier: str | None = None) -> dict:
    """Everything the table needs for one data set: k-means baselines, the grid (masked), the no-mask runs.

    Returns a dict: "kmeans" (n_init restarts, lowest objective), "best36" (the best silhouette of
    ``restarts`` single restarts), "grid" (the masked Grid), "selected" [(Clustering, silhouette)]
    per seed (best silhouette among the configurations with all k clusters used), "unrestricted"
    [(Clustering, silhouette)] per seed (best silhouette over every configuration), "nomask"
    [Clustering] per seed (beta 1.1, lr 0.01, no mask), plus X, y, k. Computed once per (data set, tier).
    """
    return _study(name, tiers.current(tier))


@lru_cache(maxsize=None)
def _study(name: str, tier: str) -> dict:
    size = sizes(tier)
    X, y, k = data.load(name)
    with tiers.threads(1):
        km = cl.kmeans(X, k, n_init=size["n_init"])
        best36, s36 = cl.select(X, cl.kmeans_restarts(X, k, restarts=size["restarts"]))
        grid = cl.fit_grid(X, k, betas=size["grid"]["beta"], lrs=size["grid"]["lr"], fills=size["grid"]["fill"],
                           seeds=size["seeds"], epochs=size["epochs"])
        nomask = cl.fit_grid(X, k, betas=[NOMASK["beta"]], lrs=[NOMASK["lr"]], fills=["mean"], seeds=size["seeds"],
                             mask=False, epochs=size["nomask_epochs"])
    selected, unrestricted = [], []
    for s in range(len(size["seeds"])):
        candidates = [grid.get(s, c) for c in range(len(grid.configs))]
        selected.append(cl.select(X, candidates))
        scores = [cl.silhouette(X, c.labels) for c in candidates]
        unrestricted.append((candidates[int(np.argmax(scores))], max(scores)))
    return {"X": X, "y": y, "k": k, "kmeans": km, "kmeans_silhouette": cl.silhouette(X, km.labels), "best36": best36,
            "best36_silhouette": s36, "grid": grid, "selected": selected, "unrestricted": unrestricted,
            "nomask": [nomask.get(s, 0) for s in range(len(size["seeds"]))]} | _nomask_best(X, nomask)


def _nomask_best(X, nomask) -> dict:
    # k-means keeps the restart with the lowest objective; so does the no-mask row (never the silhouette).
    runs = [nomask.get(s, 0) for s in range(nomask.labels.shape[0])]
    objectives = [cl.kmeans_objective(X, c.prototypes).item() for c in runs]
    return {"nomask_best": runs[int(np.argmin(objectives))], "nomask_objectives": objectives}


def loss_selected(name: str, tier: str | None = None) -> list[float]:
    """Per seed: the silhouette of the configuration (all k clusters used) with the lowest final training loss."""
    r = study(name, tier)
    grid, X = r["grid"], r["X"]
    out = []
    for s in range(grid.labels.shape[0]):
        candidates = [c for c in range(len(grid.configs)) if grid.get(s, c).used() == r["k"]]
        best = min(candidates, key=lambda c: grid.losses[s, c, -1].item())
        out.append(cl.silhouette(X, grid.labels[s, best]))
    return out


def outlier_split(X, m: int = 2) -> torch.Tensor:
    """Labels of a 2-cluster "solution" that puts the m points farthest from the mean in a cluster of their own."""
    labels = torch.zeros(X.shape[0], dtype=torch.long)
    labels[X.norm(dim=1).argsort(descending=True)[:m]] = 1
    return labels


def table(tier: str | None = None) -> list[dict]:
    """One row per data set of the tier: silhouettes of both k-means baselines, masked ClAM (per seed), ClAM without the mask."""
    rows = []
    for name in sizes(tier)["datasets"]:
        r = study(name, tier)
        X = r["X"]
        masked = np.array([s for _, s in r["selected"]])
        nomask = np.array([cl.silhouette(X, c.labels) for c in r["nomask"]])
        rows.append({"dataset": name, "kmeans": r["kmeans_silhouette"], "best36": r["best36_silhouette"],
                     "masked": masked, "nomask": nomask, "nomask_best": cl.silhouette(X, r["nomask_best"].labels),
                     "gain": masked.max() / r["kmeans_silhouette"] - 1})
    return rows


def format_table(rows: list[dict]) -> str:
    """The silhouette table as text: one line per data set."""
    head = ("data set", "k-means n_init 1000", "best of 36 restarts", "ClAM masked, per seed", "best seed / k-means",
            "ClAM no mask (lowest-objective seed; all)")
    lines = [" | ".join(head)]
    for r in rows:
        lines.append(" | ".join((
            f"{NAMES[r['dataset']]:>{len(head[0])}}", f"{r['kmeans']:>{len(head[1])}.3f}", f"{r['best36']:>{len(head[2])}.3f}",
            ", ".join(f"{v:.3f}" for v in r["masked"]).rjust(len(head[3])), f"{100 * r['gain']:+{len(head[4]) - 1}.1f}%",
            f"{r['nomask_best']:.3f}; " + ", ".join(f"{v:.3f}" for v in r["nomask"]))))
    return "\n".join(lines)


# ---------------------------------------------------------------- the relaxation: beta -> infinity


def hardening(X, P, betas, alpha: float = 0.1, steps: int = 10) -> dict:
    """For each beta: mean max soft assignment, fraction of points whose dynamics end nearest their start prototype,
    and the ratio (no-mask loss) / ((1 - (1 - alpha)^T)^2 k-means objective), which tends to 1."""
    out = {"beta": np.asarray(betas, dtype=float), "confidence": [], "ratio": []}
    objective = cl.kmeans_objective(X, P).item() * cl.identity_factor(alpha, steps)
    for beta in out["beta"]:
        out["confidence"].append(cl.soft_assignments(X, P, beta).max(-1).values.mean().item())
        out["ratio"].append(cl.completion_loss(X, P, beta, alpha=alpha, steps=steps).item() / objective)
    return {k: np.asarray(v) for k, v in out.items()}


def draw_hardening(curves: dict):
    fig, axes = style.figure(ncols=2, width=8.4, height=3.3)
    ax = axes[0, 0]
    ax.plot(curves["beta"], curves["confidence"], "o-", markersize=3)
    ax.set_xscale("log")
    ax.set_xlabel("inverse temperature β")
    ax.set_ylabel("mean of $\\max_\\mu s_\\mu(x)$")
    ax.set_title("soft assignment → hard assignment")
    ax.set_ylim(0.3, 1.02)
    ax = axes[0, 1]
    ax.plot(curves["beta"], np.abs(curves["ratio"] - 1), "o-", markersize=3, color=style.PALETTE[1])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("inverse temperature β")
    ax.set_ylabel("|loss / ((1-(1-α)$^T$)$^2$ k-means objective) − 1|")
    ax.set_title("no-mask loss → scaled k-means objective")
    return fig


@lru_cache(maxsize=None)
def hardening_runs():
    """The curves on standardised iris, with the k-means (n_init 1000) prototypes."""
    r = study("iris")
    return hardening(r["X"], r["kmeans"].prototypes, np.geomspace(0.1, 1000, 17))


@gallery.register(
    "clustering-hardening",
    chapter=CHAPTER,
    alt="Left: the mean largest soft assignment of the iris points to the k-means prototypes rises from about 0.4 at "
    "beta 0.1 to 1 at beta 1000. Right, log-log: the relative gap between the no-mask completion loss and the scaled "
    "k-means objective falls from order one to below one in a million as beta grows.",
)
def hardening_figure():
    return draw_hardening(hardening_runs())


# ---------------------------------------------------------------- prototypes and basins in 2-D


@lru_cache(maxsize=None)
def _planar_data():
    return data.two_dimensional()


@lru_cache(maxsize=None)
def _planar_masked(epochs: int = 30, seed: int = 0):
    """Masked ClAM on the 2-D data: the CI sub-grid, one seed, selected as in the table."""
    X, _, k = _planar_data()
    grid = sizes("ci")["grid"]
    with tiers.threads(1):
        runs = cl.fit_grid(X, k, betas=grid["beta"], lrs=grid["lr"], fills=grid["fill"], seeds=[seed], epochs=epochs)
        return cl.select(X, [runs.get(0, c) for c in range(len(runs.configs))])[0]


@lru_cache(maxsize=None)
def _planar_kmeans():
    X, _, k = _planar_data()
    with tiers.threads(1), threadpool_limits(1):  # scikit-learn's OpenMP threads only spin on 150 points (10 times the CPU)
        return cl.kmeans(X, k, n_init=100)


@lru_cache(maxsize=None)
def planar_runs(epochs: int = 30, seed: int = 0) -> dict:
    """Masked ClAM (the CI sub-grid, one seed, selected as in the table) and k-means on the two petal features of iris."""
    X, y, k = _planar_data()
    return {"X": X, "y": y, "k": k, "masked": _planar_masked(epochs, seed), "kmeans": _planar_kmeans()}


def _planar_model(model: str):
    """The widget's prototypes of ``model`` (a key of WIDGET_MODELS), without fitting the other model."""
    return _planar_masked() if WIDGET_MODELS[model] == "masked" else _planar_kmeans()


def _window(X, pad: float = 0.5):
    lo, hi = X.min(0).values - pad, X.max(0).values + pad
    return lo.tolist(), hi.tolist()


def _soft_image(P, beta: float, lo, hi, n: int = 100):
    gx, gy = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    grid = torch.as_tensor(np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2))
    s = cl.soft_assignments(grid, P, beta)
    return s.max(-1).values.reshape(n, n).numpy(), s.argmax(-1).reshape(n, n).numpy()


def draw_basins(runs: dict, beta: float = PLANAR["beta"], trajectories: int = 12):
    """Two panels: ClAM (masked) and k-means prototypes over the soft-assignment confidence at ``beta``,
    with the basins (nearest prototype), the points coloured by cluster and a few trajectories of the dynamics."""
    from matplotlib.colors import ListedColormap

    X = runs["X"]
    lo, hi = _window(X)
    fig, axes = style.figure(ncols=2, width=9.0, height=3.9, sharex=True, sharey=True)
    colours = ListedColormap(style.PALETTE[:runs["k"]])
    images = []
    for ax, (title, model) in zip(axes[0], (("ClAM, masked completion", runs["masked"]), ("k-means (n_init 100)", runs["kmeans"]))):
        P = model.prototypes
        confidence, basin = _soft_image(P, beta, lo, hi)
        image = ax.imshow(confidence, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), cmap="Greys", vmin=1 / runs["k"], vmax=1,
                          aspect="auto", alpha=0.55)
        ax.contour(np.linspace(lo[0], hi[0], basin.shape[1]), np.linspace(lo[1], hi[1], basin.shape[0]), basin,
                   levels=np.arange(runs["k"]) + 0.5, colors="#333333", linewidths=0.8)
        ax.scatter(X[:, 0], X[:, 1], c=model.labels.numpy(), cmap=colours, vmin=-0.5, vmax=runs["k"] - 0.5, s=9, alpha=0.8, linewidths=0)
        starts = X[torch.linspace(0, X.shape[0] - 1, trajectories).long()]
        path = [starts]
        for _ in range(30):
            path.append(cl.dynamics(path[-1], P, beta, steps=1))
        path = torch.stack(path).numpy()
        for i in range(trajectories):
            ax.plot(path[:, i, 0], path[:, i, 1], color="#222222", linewidth=0.7, alpha=0.8)
        ax.plot(P[:, 0], P[:, 1], "*", color="white", markeredgecolor="black", markersize=14, label="prototypes $\\rho_\\mu$")
        ax.set_title(f"{title}: silhouette {cl.silhouette(X, model.labels):.3f}", fontsize=9)
        ax.set_xlabel("petal length (standardised)")
        images.append(image)
    axes[0, 0].set_ylabel("petal width (standardised)")
    axes[0, 0].legend(loc="upper left", fontsize=7)
    bar = fig.colorbar(images[-1], ax=axes[0].tolist(), label=f"$\\max_\\mu s_\\mu(v)$ at β = {beta:g}")
    fig.beta_text = fig.suptitle(f"β = {beta:g}: lines, 30 steps of the dynamics; grey lines, basin boundaries", fontsize=9)
    fig.clam_images, fig.clam_bar = images, bar
    return fig


@gallery.register(
    "clustering-basins",
    chapter=CHAPTER,
    alt="Two scatter plots of the iris flowers by standardised petal length and width, coloured by cluster, over a grey "
    "map of how confident the soft assignment is. Left, masked ClAM puts two of its three prototypes near the small "
    "setosa cloud at the lower left and the third between the clouds, so the large upper cloud is one cluster; right, "
    "the k-means centroids sit in the middle of the three species. Lines show points flowing to their prototype.",
)
def basins_figure():
    return draw_basins(planar_runs())


# ---------------------------------------------------------------- every configuration of the grid


def draw_grid(tier: str | None = None):
    """Silhouette of every (configuration, seed) of the masked grid per data set, against both k-means baselines."""
    names = sizes(tier)["datasets"]
    fig, axes = style.figure(ncols=len(names), width=3.0 * len(names) + 0.6, height=4.0)
    for ax, name in zip(axes[0], names):
        r = study(name, tier)
        X, grid = r["X"], r["grid"]
        S, C = grid.labels.shape[:2]
        for s in range(S):
            for c in range(C):
                model = grid.get(s, c)
                full = model.used() == r["k"]
                score = cl.silhouette(X, model.labels)
                ax.plot(c + 0.15 * (s - (S - 1) / 2), score, "o" if full else "x", color=style.PALETTE[s % 8],
                        markersize=4, markerfacecolor=style.PALETTE[s % 8] if full else "none")
        ax.axhline(r["kmeans_silhouette"], color="#333333", linestyle="--", linewidth=1, label="k-means, n_init 1000")
        ax.axhline(r["best36_silhouette"], color="#333333", linestyle=":", linewidth=1, label="best of 36 k-means restarts")
        ax.set_xticks(range(C))
        ax.set_xticklabels([f"{g['beta']:g}/{g['lr']:g}/{g['fill']}" for g in grid.configs], rotation=90, fontsize=6)
        ax.set_xlabel("configuration β / lr / fill")
        ax.set_title(NAMES[name], fontsize=9)
        low = min(r["kmeans_silhouette"], min(s for _, s in r["selected"])) - 0.12
        ax.set_ylim(low, max(r["best36_silhouette"], max(s for _, s in r["unrestricted"])) + 0.04)
    axes[0, 0].set_ylabel("silhouette")
    from matplotlib.lines import Line2D

    handles = [*axes[0, 0].get_legend_handles_labels()[0],
               Line2D([], [], marker="o", linestyle="", color="#555555", label="all k clusters used (colour: seed)"),
               Line2D([], [], marker="x", linestyle="", color="#555555", label="a dead prototype (fewer clusters)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7)
    return fig


@gallery.register(
    "clustering-grid",
    chapter=CHAPTER,
    alt="For each data set, the silhouette of every configuration and seed of masked ClAM as dots (crosses where a "
    "prototype is dead), with the two k-means baselines as horizontal lines. On iris the best dots lie above both "
    "lines and the highest crosses, two-cluster solutions, higher still; on wine every dot lies below the k-means lines.",
)
def grid_figure(tier: str = "ci"):
    return draw_grid(tier)


# ---------------------------------------------------------------- widget: beta on the 2-D data

WIDGET_MODELS = {"masked ClAM": "masked", "k-means": "kmeans"}


def _paths(P, beta: float, starts, steps: int = 30) -> np.ndarray:
    # (steps + 1, n, 2) states of (clam-dynamics) from ``starts``, one batched call per step
    beta_t = torch.tensor([beta], dtype=starts.dtype)
    path = [starts[None]]
    for _ in range(steps):
        path.append(cl._run(path[-1], P[None], beta_t, None, 0.1, 1))
    return torch.cat(path).numpy()


@lru_cache(maxsize=256)
def _beta_frame(model: str, beta: float):
    X = _planar_data()[0]
    P = _planar_model(model).prototypes
    lo, hi = _window(X)
    # (called inside the widget frame, which renders on one torch thread: these softmaxes are tiny)
    confidence, basin = _soft_image(P, beta, lo, hi, n=80)
    starts = X[torch.linspace(0, X.shape[0] - 1, 16).long()]
    return confidence, basin, _paths(P, beta, starts)


def draw_beta(model: str = "k-means", beta: float = PLANAR["beta"]):
    """One panel: the prototypes of ``model`` on the 2-D data, the confidence max_mu s_mu at ``beta``,
    the basins and 30 steps of the dynamics from 16 points."""
    from matplotlib.colors import ListedColormap

    X, y, k = _planar_data()
    lo, hi = _window(X)
    confidence, basin, path = _beta_frame(model, beta)
    fig, axes = style.figure(width=5.6, height=4.0)
    ax = axes[0, 0]
    fig.beta_image = ax.imshow(confidence, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), cmap="Greys", vmin=1 / k, vmax=1,
                               aspect="auto", alpha=0.55)
    ax.scatter(X[:, 0], X[:, 1], c=y.numpy(), cmap=ListedColormap(style.PALETTE[:k]), s=8, alpha=0.7, linewidths=0)
    fig.beta_paths = [ax.plot(path[:, i, 0], path[:, i, 1], color="#222222", linewidth=0.8)[0] for i in range(path.shape[1])]
    P = _planar_model(model).prototypes
    fig.beta_stars, = ax.plot(P[:, 0], P[:, 1], "*", color="white", markeredgecolor="black", markersize=14, label="prototypes")
    fig.beta_contour = ax.contour(np.linspace(lo[0], hi[0], 80), np.linspace(lo[1], hi[1], 80), basin, levels=np.arange(k) + 0.5,
                                  colors="#333333", linewidths=0.8)
    ax.set_xlabel("petal length (standardised)")
    ax.set_ylabel("petal width (standardised)")
    ax.legend(loc="upper left", fontsize=7)
    fig.colorbar(fig.beta_image, ax=ax, label="$\\max_\\mu s_\\mu(v)$")
    fig.beta_title = ax.set_title(f"{model}, β = {beta:.3g} (points coloured by species)", fontsize=9)
    return fig


def update_beta(fig, model: str = "k-means", beta: float = PLANAR["beta"]):
    """Fast path: new confidence image, paths, stars, basin lines and title, in place."""
    X, _, k = _planar_data()
    confidence, basin, path = _beta_frame(model, beta)
    fig.beta_image.set_data(confidence)
    for i, line in enumerate(fig.beta_paths):
        line.set_data(path[:, i, 0], path[:, i, 1])
    P = _planar_model(model).prototypes
    fig.beta_stars.set_data(P[:, 0].numpy(), P[:, 1].numpy())
    if getattr(fig, "beta_model", model) != model:  # the basins change only with the prototypes
        lo, hi = _window(X)
        fig.beta_contour.remove()
        fig.beta_contour = fig.axes[0].contour(np.linspace(lo[0], hi[0], 80), np.linspace(lo[1], hi[1], 80), basin,
                                               levels=np.arange(k) + 0.5, colors="#333333", linewidths=0.8)
    fig.beta_model = model
    fig.beta_title.set_text(f"{model}, β = {beta:.3g} (points coloured by species)")


@gallery.register_widget("clustering-beta", chapter=CHAPTER,
                         alt="A slider for beta over the 2-D iris data: the soft-assignment confidence sharpens and the paths of the dynamics straighten as beta grows.")
def widget(model: str = "k-means", beta: float = 1.0):
    """A menu for the prototypes (masked ClAM or k-means) and a log slider for beta."""
    # Both models are fitted now (about 1 s of the build for ClAM's grid): fitting ClAM when the menu first
    # picks it would make that one change take about 1 s instead of a redraw's 0.1 s.
    _planar_masked(), _planar_kmeans()
    controls = {"beta": slider(w.FloatLogSlider, "β", beta, base=10, min=-1, max=2, step=0.25),
                "model": w.Dropdown(options=list(WIDGET_MODELS), value=model, description="prototypes")}
    return figure_widget(draw_beta, controls, update=update_beta,
                         static={"beta": [0.1, 0.316, 1.0, 3.16, 10.0, 100.0], "model": list(WIDGET_MODELS)})
