"""The model zoo: every learned network by name, and its weights, handled in one place.

A *model* is an architecture with its constructor arguments (:data:`MODELS`). Trained
weights are one ``.pt`` file, a :func:`torch.save` of a dict of plain types::

    {"format": "vmag-weights/1", "name": model name, "arch": architecture name,
     "config": constructor kwargs, "state_dict": tensors, "meta": free JSON-like dict
     (iterations, data, hardware, wall time, validation scores, ...)}

loaded with ``torch.load(weights_only=True)``, so a weights file cannot run code. The
weights that ship with vmag live in the package, ``vmag/learned/weights/<name>.pt``.

>>> import tempfile
>>> from pathlib import Path
>>> from vmag.learned.zoo import build_model, load_weights, save_weights
>>> net = build_model("lightweight")
>>> with tempfile.TemporaryDirectory() as tmp:
...     save_weights(net, Path(tmp) / "lw.pt", "lightweight", {"iterations": 0})
...     loaded, meta = load_weights(Path(tmp) / "lw.pt")
>>> meta, type(loaded).__name__, loaded.training
({'iterations': 0}, 'Lightweight', False)
"""

from __future__ import annotations

import importlib
import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from vmag.errors import VmagError
from vmag.io.atomic import atomic_write
from vmag.learned.net import MotionNet
from vmag.registry import Registry

#: Value of the "format" key of a weights file.
FORMAT = "vmag-weights/1"

#: Model name -> (architecture name, constructor keyword arguments).
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "magnet": ("magnet", {}),
    "lightweight": ("lightweight", {"channels": 8}),
    "lightweight-base": ("lightweight", {"channels": 24}),
}

#: The network classes, by their ``arch``; each module registers its own, and is imported
#: on the first look-up.
ARCHITECTURES: Registry[type[MotionNet]] = Registry(
    "architecture", ("vmag.learned.magnet", "vmag.learned.lightweight"), key="arch"
)

N = TypeVar("N", bound=type[MotionNet])

_KEYS = ("format", "name", "arch", "config", "state_dict", "meta")


def register_architecture(cls: N) -> N:
    """Class decorator: let :data:`MODELS` and :func:`load_weights` build networks of
    ``cls`` by its ``arch``."""
    return ARCHITECTURES.register(cls)


def list_models() -> list[str]:
    """The model names :func:`create_model` and :func:`build_model` accept.

    >>> list_models()
    ['magnet', 'lightweight', 'lightweight-base']
    """
    return list(MODELS)


def _check_name(name: str) -> None:
    if name not in MODELS:
        raise VmagError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def model_class(name: str) -> type[MotionNet]:
    """The architecture class of model ``name`` (its module imported now).

    >>> model_class("magnet").multiple
    4
    """
    _check_name(name)
    return ARCHITECTURES.get(MODELS[name][0])


def architecture_class(arch: str) -> type[MotionNet]:
    """The network class registered as ``arch``."""
    return ARCHITECTURES.get(arch)


def build_model(name: str, **overrides: Any) -> MotionNet:
    """A new, untrained network of model ``name`` (for training); ``overrides`` replace
    constructor arguments of :data:`MODELS`.

    >>> build_model("lightweight-base").channels
    24
    """
    _check_name(name)
    arch, kwargs = MODELS[name]
    return ARCHITECTURES.get(arch)(**{**kwargs, **overrides})


def _weights_dir() -> Traversable:
    """The folder of the shipped weights, inside the installed package."""
    return importlib.resources.files("vmag.learned").joinpath("weights")


def shipped_weights(name: str) -> Path | None:
    """The weights file shipped with vmag for model ``name``; None while none ships."""
    _check_name(name)
    res = _weights_dir().joinpath(f"{name}.pt")
    return Path(str(res)) if res.is_file() else None


def create_model(name: str, weights: str | Path | None = None) -> MotionNet:
    """Trained network ``name`` in eval mode: from ``weights`` (a file written by
    :func:`save_weights`, e.g. by ``vmag train``), or the shipped weights when None.

    The file's architecture must be the model's; its constructor arguments are the file's
    (a ``lightweight`` trained with other channels loads as such).
    """
    _check_name(name)
    if weights is None:
        weights = shipped_weights(name)
        if weights is None:
            raise VmagError(
                f"no trained weights for {name} are shipped yet; pass weights=PATH "
                "(from vmag train)"
            )
    net, _ = load_weights(weights)
    expected = model_class(name).arch
    if net.arch != expected:
        raise VmagError(
            f"{weights} holds a {net.arch!r} network; model {name} needs {expected!r} weights"
        )
    return net


def _check_plain(value: Any, where: str) -> None:
    """Raise unless ``value`` is JSON-like: what ``torch.load(weights_only=True)`` reads back."""
    # exact types: subclasses (torch.__version__ is a str subclass, numpy floats are float
    # subclasses) are refused by torch.load(weights_only=True)
    if value is None or type(value) in (bool, int, float, str):
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise VmagError(f"{where}: keys must be strings, got {k!r}")
            _check_plain(v, f"{where}[{k!r}]")
        return
    raise VmagError(
        f"{where} must hold only None, bool, int, float, str, lists and dicts; "
        f"got {type(value).__name__} (convert it, e.g. with float())"
    )


def save_weights(
    net: MotionNet, path: str | Path, name: str, meta: dict[str, Any] | None = None
) -> None:
    """Write ``net``'s weights to ``path`` as model ``name``, atomically (temp file + rename).

    ``meta`` (JSON-like) records how the weights were made: iterations, data, hardware,
    wall time, validation scores...
    """
    if not isinstance(name, str) or not name:
        raise VmagError(f"name must be a non-empty string, got {name!r}")
    config = net.architecture_config()
    meta = {} if meta is None else meta
    _check_plain(config, "config")
    _check_plain(meta, "meta")
    payload = {
        "format": FORMAT,
        "name": name,
        "arch": net.arch,
        "config": config,
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "meta": meta,
    }
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def blend(a: MotionNet, b: MotionNet, share: float) -> MotionNet:
    """A weight-space ensemble of two trainings of one network: ``share * a + (1 - share) * b``
    parameter by parameter (Wortsman et al., "Robust fine-tuning of zero-shot models",
    CVPR 2022). Meaningful when ``b`` was fine-tuned from ``a`` (e.g. the noisy main stage
    from the noise-free proxy): the blend trades between what each learned.

    >>> from vmag.learned.lightweight import Lightweight
    >>> a, b = Lightweight(channels=2), Lightweight(channels=2)
    >>> mid = blend(a, b, 0.5)
    >>> torch.allclose(mid.to_image.bias, (a.to_image.bias + b.to_image.bias) / 2)
    True
    """
    if not (isinstance(share, int | float) and not isinstance(share, bool) and 0 <= share <= 1):
        raise VmagError(f"share must be a number in [0, 1], got {share!r}")
    if a.arch != b.arch or a.architecture_config() != b.architecture_config():
        raise VmagError(
            f"cannot blend a {a.arch} {a.architecture_config()} network with a {b.arch} "
            f"{b.architecture_config()} one: they must be the same network"
        )
    out = type(a)(**a.architecture_config())
    theirs = b.state_dict()
    out.load_state_dict(
        {
            k: (share * v + (1 - share) * theirs[k]) if v.is_floating_point() else v
            for k, v in a.state_dict().items()
        }
    )
    return out.eval()


def widen(net: MotionNet, name: str, *, seed: int = 0, spread: float = 0.1) -> MotionNet:
    """``net`` grown into the wider model ``name`` computing the same function (Net2WiderNet:
    Chen, Goodfellow & Shlens, "Net2Net", ICLR 2016): a head start for training the wider
    network from a trained narrower one of the same architecture.

    Every channel of ``net`` becomes ``k`` adjacent copies (``k`` = the ratio of widths):
    a layer's output channels are copied, and each weight on a copied input channel is
    split among its ``k`` copies in random shares that sum to exactly 1 (each ``1/k`` plus
    Gaussian noise of about ``spread/k``). The copies' activations stay equal, so the
    output is unchanged, while their unequal outgoing weights give them unequal gradients:
    training can tell them apart. Every widened parameter must belong to an ``nn.Conv2d``
    or ``nn.Linear`` (output channels on dimension 0, input channels on dimension 1).

    >>> from vmag.learned.lightweight import Lightweight
    >>> small = Lightweight(channels=8)
    >>> big = widen(small, "lightweight-base")
    >>> x, y = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    >>> big.channels, torch.allclose(big(x, y, 5.0), small(x, y, 5.0), atol=1e-5)
    (24, True)
    """
    _check_name(name)
    if not (isinstance(spread, int | float) and 0 <= spread < 1):
        raise VmagError(f"spread must be a number in [0, 1), got {spread!r}")
    cls = model_class(name)
    if net.arch != cls.arch:
        raise VmagError(f"cannot widen a {net.arch!r} network into {name} ({cls.arch!r})")
    fixed = MODELS[name][1]
    own = {k: v for k, v in net.architecture_config().items() if k not in fixed}
    big = build_model(name, **own)
    layers = {
        f"{mod_name}.{p}"
        for mod_name, mod in big.named_modules()
        if isinstance(mod, nn.Conv2d | nn.Linear)
        for p, _ in mod.named_parameters(recurse=False)
    }
    gen = torch.Generator().manual_seed(seed)
    small = net.state_dict()
    grown = {}
    for key, target in big.state_dict().items():
        t = small[key].detach().float()
        if t.shape == target.shape:
            grown[key] = t.clone()
            continue
        if (
            t.dim() != target.dim()
            or key not in layers
            or any(b % a for a, b in zip(t.shape, target.shape, strict=True))
        ):
            raise VmagError(
                f"cannot widen {key}: {tuple(t.shape)} does not divide {tuple(target.shape)}"
            )
        k_out = target.shape[0] // t.shape[0]
        t = t.repeat_interleave(k_out, dim=0)
        if t.dim() > 1 and (k := target.shape[1] // t.shape[1]) > 1:
            noise = torch.randn(t.shape[0], t.shape[1], k, *t.shape[2:], generator=gen)
            shares = (1 + spread * (noise - noise.mean(dim=2, keepdim=True))) / k
            t = (t.unsqueeze(2) * shares).flatten(1, 2)
        grown[key] = t
    big.load_state_dict(grown)
    return big.eval()


def load_weights(path: str | Path) -> tuple[MotionNet, dict[str, Any]]:
    """``(network in eval mode on the CPU, meta)`` from a file written by :func:`save_weights`.

    Anything else (another file, a damaged or foreign checkpoint) raises :class:`VmagError`.
    """
    path = Path(path)
    if not path.is_file():
        raise VmagError(f"weights file {path} not found")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise VmagError(f"{path} is not a vmag weights file: {reason}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        found = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise VmagError(
            f"{path} is not a vmag weights file (format {FORMAT} expected, got {found!r})"
        )
    missing = [k for k in _KEYS if k not in ckpt]
    if missing:
        raise VmagError(f"{path} is a damaged vmag weights file: no {', '.join(missing)}")
    if not isinstance(ckpt["config"], dict) or not isinstance(ckpt["state_dict"], dict):
        raise VmagError(f"{path} is a damaged vmag weights file: bad config or state_dict")
    if not isinstance(ckpt["meta"], dict):
        raise VmagError(f"{path} is a damaged vmag weights file: meta is not a dict")
    try:
        cls = architecture_class(ckpt["arch"])
    except VmagError as e:
        raise VmagError(f"{path}: {e}") from None
    try:
        net = cls(**ckpt["config"])
        net.load_state_dict(ckpt["state_dict"])
    except (TypeError, ValueError, RuntimeError) as e:
        reason = str(e).strip().splitlines()[0]
        raise VmagError(
            f"{path}: its weights do not fit a {ckpt['arch']} network ({reason})"
        ) from None
    return net.eval(), ckpt["meta"]
