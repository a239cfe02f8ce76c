"""``vmag train``: tiny runs end to end (API and CLI), the loss falls on a fixed batch, an
interrupted run resumes to the same weights, the lightweight proxy stage, strict configs."""

from __future__ import annotations

import dataclasses
import doctest
import json
import os
import re
import signal
from pathlib import Path

import pytest
import torch

from tests.cli_run import run
from vmag.errors import VmagError
from vmag.learned import train as train_mod
from vmag.learned import zoo
from vmag.learned.complexity import count_parameters
from vmag.learned.lightweight import Lightweight
from vmag.learned.magnet import Magnet
from vmag.learned.train import (
    Interrupted,
    Monitor,
    OptimizerConfig,
    TrainConfig,
    load_config,
    parse_config,
    train,
    train_step,
    validate,
)
from vmag.synth.motion import MotionConfig, MotionDataset, write_shards
from vmag.training.config import Table, read

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.toml"


def tiny(model: str = "magnet", extra: str = "", **kwargs):
    return parse_config(TINY.read_text() + extra, model=model, source="tiny.toml", **kwargs)


def records(out: Path, event: str) -> list[dict]:
    lines = (out / "log.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["event"] == event]


def leftovers(out: Path) -> list[str]:
    """Temporary files of the atomic writes (named ``.<stem>-...``)."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The tiny magnet run of 4 iterations, uninterrupted."""
    out = tmp_path_factory.mktemp("straight")
    return train(tiny(), out, device="cpu"), out


def test_tiny_run_writes_log_checkpoint_weights_card_and_plot(straight):
    result, out = straight
    train_lines = records(out, "train")
    assert [r["iteration"] for r in train_lines] == [1, 2, 3, 4]
    for r in train_lines:
        assert {"l1", "texture_ab", "texture_cy", "shape_bc", "total", "lr", "elapsed"} <= set(r)
        assert r["total"] > 0 and r["lr"] > 0
    # warm-up over 1 iteration, then half a cosine from 1e-3 to 0 over 4
    assert [r["lr"] for r in train_lines] == pytest.approx([5e-4, 8.5355e-4, 5e-4, 1.4645e-4], 1e-4)
    val = records(out, "validation")
    assert [r["iteration"] for r in val] == [2, 4]
    assert all(0 < r["ssim"] < 1 and 0 < r["l1"] < 1 for r in val)

    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["iteration"] == 4 and ckpt["stage"] == "main"

    net, meta = zoo.load_weights(out / "magnet.pt")
    assert isinstance(net, Magnet) and net.channels == 4
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, ckpt["modules"]["model"][k], rtol=0, atol=0)
    assert meta["iterations"] == 4 and meta["samples_seen"] == 8 and meta["batch_size"] == 2
    assert meta["validation"]["ssim"] == pytest.approx(val[-1]["ssim"])
    assert meta["validation"]["l1"] == pytest.approx(val[-1]["l1"])
    assert meta["data"]["n"] == 8 and meta["data"]["motion"]["size"] == 32
    assert meta["hardware"]["torch"] == torch.__version__ and meta["hardware"]["device"] == "cpu"
    assert meta["config"] == TINY.read_text() and meta["wall_s"] > 0
    assert [s["stage"] for s in meta["stages"]] == ["main"]
    assert result.meta == meta

    card = (out / "model-card.md").read_text()
    assert f"Parameters: {count_parameters(net):,}" in card
    assert f"**{val[-1]['ssim']:.4f}**" in card and "Samples seen: 8" in card
    assert "ECCV 2018" in card and "Adam, lr 0.001" in card
    assert (out / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert leftovers(out) == []


class StopAt(Monitor):
    """Sends this process a Ctrl-C (SIGINT) after iteration ``at`` of ``stage``."""

    def __init__(self, at: int, stage: str = "main") -> None:
        self.at, self.stage_name = at, stage

    def step(self, name, done, total, loss):
        if (name, done) == (self.stage_name, self.at):
            os.kill(os.getpid(), signal.SIGINT)


def test_interrupt_checkpoints_and_resume_gives_the_same_weights(straight, tmp_path):
    _, ref = straight
    with pytest.raises(Interrupted) as e:
        train(tiny(), tmp_path, device="cpu", monitor=StopAt(2))
    assert (e.value.stage, e.value.iteration) == ("main", 2)
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["iteration"] == 2
    assert not (tmp_path / "magnet.pt").exists() and leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    train(tiny(), tmp_path, device="cpu")
    a, _ = zoo.load_weights(ref / "magnet.pt")
    b, meta = zoo.load_weights(tmp_path / "magnet.pt")
    for k, v in a.state_dict().items():
        torch.testing.assert_close(b.state_dict()[k], v, rtol=1e-5, atol=1e-6)
    got, want = records(tmp_path, "train"), records(ref, "train")
    assert [r["iteration"] for r in got] == [1, 2, 3, 4]
    assert [r["total"] for r in got] == pytest.approx([r["total"] for r in want], rel=1e-5)
    assert meta["samples_seen"] == 8

    # a checkpoint of another config is refused; without resume the run starts over
    other = parse_config(TINY.read_text().replace("lr = 1e-3", "lr = 2e-3"), model="magnet")
    with pytest.raises(VmagError, match=r"another config .*optimizer"):
        train(other, tmp_path, device="cpu")
    train(other, tmp_path, resume=False, device="cpu")
    assert len(records(tmp_path, "train")) == 4
    assert records(tmp_path, "train")[0]["lr"] == pytest.approx(1e-3)


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss():
    data = MotionDataset(2, MotionConfig(size=32, objects=(1, 3)), seed=5)
    batch = torch.utils.data.default_collate([data[0], data[1]])
    for make in (lambda: Magnet(channels=8), lambda: Lightweight(channels=4)):
        torch.manual_seed(0)
        net = make()
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        losses = [float(train_step(net, optimizer, batch)["total"]) for _ in range(20)]
        # measured: the last three average 0.47 (magnet) and 0.46 (lightweight) of the first
        assert sum(losses[-3:]) / 3 < 0.75 * losses[0], (type(net).__name__, losses)


def test_lightweight_two_stages_via_the_cli(capsys, tmp_path):
    config = tmp_path / "tiny-proxy.toml"
    config.write_text(TINY.read_text() + "\n[proxy]\niterations = 2\n")
    out = tmp_path / "run"
    # interrupted in the main stage, then resumed by the CLI: the proxy comes from proxy.pt
    with pytest.raises(Interrupted):
        cfg = load_config(config, model="lightweight", iterations=3)
        train(cfg, out, device="cpu", monitor=StopAt(1, "main"))
    assert (out / "proxy.pt").is_file() and not (out / "lightweight.pt").exists()
    code, _, err = run(
        capsys,
        "train",
        "lightweight",
        "--config",
        config,
        "--out",
        out,
        "--device",
        "cpu",
        "--iterations",
        "3",
    )
    assert code == 0, err
    proxy_lines = [r for r in records(out, "train") if r["stage"] == "proxy"]
    main_lines = [r for r in records(out, "train") if r["stage"] == "main"]
    assert [r["iteration"] for r in proxy_lines] == [1, 2]
    assert [r["iteration"] for r in main_lines] == [1, 2, 3]
    assert all("proxy" not in r for r in proxy_lines)
    assert all(r["proxy"] > 0 for r in main_lines)  # L_M: noisy vs the proxy's clean features
    proxy, proxy_meta = zoo.load_weights(out / "proxy.pt")
    assert isinstance(proxy, Lightweight) and proxy_meta["inputs"] == "noise-free"
    assert proxy_meta["data"]["motion"]["noise"] is False
    assert proxy_meta["wall_s"] > 0 and 0 < proxy_meta["validation"]["ssim"] <= 1
    net, meta = zoo.load_weights(out / "lightweight.pt")
    assert isinstance(net, Lightweight) and net.channels == 4
    assert [(s["stage"], s["iterations"]) for s in meta["stages"]] == [("proxy", 2), ("main", 3)]
    assert meta["samples_seen"] == (2 + 3) * 2
    assert all(0 < s["validation"]["ssim"] < 1 for s in meta["stages"])
    assert "| proxy | noise-free | 2 |" in (out / "model-card.md").read_text()
    assert (out / "loss.png").is_file() and leftovers(out) == []
    assert "trained lightweight: 10 samples" in err and "resuming main at iteration 1" in err


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ("", "\n[proxy]\niterations = 2\n", "proxy applies to the lightweight models"),
        ("batch = 3\n", "", "unknown key 'batch'"),
    ],
)
def test_cli_bad_config_exits_2_with_one_line(capsys, tmp_path, before, after, message):
    config = tmp_path / "bad.toml"
    config.write_text(before + TINY.read_text() + after)
    code, _, err = run(capsys, "train", "magnet", "--config", config, "--out", tmp_path / "o")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("vmag: error:") and message in err
    assert not (tmp_path / "o").exists()


def test_cli_missing_config_and_bad_type(capsys, tmp_path):
    code, _, err = run(capsys, "train", "magnet", "--config", tmp_path / "none.toml")
    assert code == 2 and "none.toml not found" in err and err.count("\n") == 1
    config = tmp_path / "bad.toml"
    config.write_text(TINY.read_text().replace("batch_size = 2", 'batch_size = "two"'))
    code, _, err = run(capsys, "train", "magnet", "--config", config)
    assert code == 2 and err.count("\n") == 1
    assert "bad.toml: batch_size must be an integer >= 1, got 'two'" in err


def test_cli_interrupt_exits_130_naming_the_checkpoint(capsys, monkeypatch, tmp_path):
    def interrupted(config, out, **kwargs):
        raise Interrupted(Path(out) / "checkpoint.pt", "main", 3)

    monkeypatch.setattr("vmag.cli.train.train", interrupted)
    code, _, err = run(capsys, "train", "magnet", "--config", TINY, "--out", tmp_path)
    assert code == 130
    assert "interrupted at main iteration 3" in err and "checkpoint.pt" in err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[data]", "[data]\nfoo = 1"), "unknown key 'data.foo'"),
        (("size = 32", "size = 34"), "data.size must be a multiple of 4 for magnet"),
        (("size = 32", "size = 16"), "size must be an integer >= 32"),
        (("objects = [1, 3]", "objects = 3"), "data.objects must be two integers"),
        (("size = 32", "size = 32\nnoise = 1"), "data.noise must be true or false"),
        (("channels = 4", "channels = 3"), "arch: channels must be an even int"),
        (("channels = 4", "width = 4"), "arch:"),
        (('schedule = "cosine"', 'schedule = "cosine"\ngamma = 0.5'), "optimizer.gamma does not"),
        (('schedule = "cosine"', 'schedule = "linear"'), "optimizer.schedule must be one of"),
        (('schedule = "cosine"', 'schedule = "step"'), "optimizer.step_size is missing"),
        (("lr = 1e-3", "lr = -1"), "optimizer.lr must be a number > 0"),
        (("lr = 1e-3", "lr = 1e-3\nbetas = [0.9]"), "optimizer.betas must be two numbers"),
        (("seed = 1\n", "seed = 0\n"), "validation.seed must differ"),
        (("n = 8", 'n = 8\nshards = "x"'), "give exactly one of data.n"),
        (("iterations = 4", "iterations = 0"), "iterations must be an integer >= 1"),
        (("iterations = 4", "iterations = [4"), "invalid TOML"),
        (("seed = 0\n", 'model = "lightweight"\nseed = 0\n'), "is a config for lightweight"),
    ],
)
def test_parse_config_rejects_bad_configs_naming_the_key(edit, message):
    old, new = edit
    text = TINY.read_text()
    assert old in text
    with pytest.raises(VmagError, match=re.escape(message)):
        parse_config(text.replace(old, new, 1), model="magnet", source="tiny.toml")


def test_parse_config_proxy_weights_and_relative_paths(tmp_path):
    with pytest.raises(VmagError, match=r"proxy weights file .*missing.pt not found"):
        parse_config('proxy = "missing.pt"\n' + TINY.read_text(), model="lightweight")
    text = 'proxy = "w/proxy.pt"\n' + TINY.read_text()
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "proxy.pt").write_bytes(b"")
    config = parse_config(text, model="lightweight", base=tmp_path)
    assert config.proxy.weights == tmp_path / "w" / "proxy.pt" and config.stages() == [("main", 4)]


def test_training_from_shards(tmp_path):
    write_shards(tmp_path / "shards", 4, MotionConfig(size=32, objects=(1, 3)), seed=7)
    text = TINY.read_text().replace("n = 8", 'shards = "shards"').replace("seed = 0\nsize = 32", "")
    text = text.replace("objects = [1, 3]\n", "").replace("iterations = 4", "iterations = 2")
    config = parse_config(text, model="magnet", base=tmp_path)
    assert config.data.shards == tmp_path / "shards" and config.data.seed == 7
    result = train(config, tmp_path / "run", device="cpu")
    data = result.meta["data"]
    assert data["shards"] == str(tmp_path / "shards") and data["n"] == 4 and data["seed"] == 7
    assert data["motion"]["size"] == 32 and result.meta["samples_seen"] == 4
    with pytest.raises(VmagError, match=r"data\.size cannot be set with data\.shards"):
        parse_config(text.replace("[data]", "[data]\nsize = 32"), model="magnet", base=tmp_path)


class Identity(Magnet):
    """Returns the current frame: validation against y == b must be perfect."""

    def forward(self, ref, cur, amp):
        return cur


def test_validate_scores_ssim_and_l1_on_01_images():
    gen = torch.Generator().manual_seed(3)
    b = torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1
    batch = {"a": b, "b": b, "y": b, "amp": torch.full((2,), 5.0)}
    assert validate(Identity(channels=2), [batch]) == pytest.approx({"ssim": 1.0, "l1": 0.0})
    # against flat grey: no structure in common (SSIM ~ C2 / (var + C2) ~ 0.01), L1 on [0, 1]
    gray = validate(Identity(channels=2), [batch | {"y": torch.zeros_like(b)}])
    assert gray["l1"] == pytest.approx(float(b.abs().mean()) / 2, rel=1e-5)
    assert 0 < gray["ssim"] < 0.05


def test_every_generator_field_reads_from_toml_by_its_type():
    for f in dataclasses.fields(MotionConfig):
        toml = list(f.default) if isinstance(f.default, tuple) else f.default
        got = read(MotionConfig, Table({f.name: toml}, "data.", "t.toml"))
        assert getattr(got, f.name) == f.default, f.name


def test_learning_rate_schedules():
    step = OptimizerConfig(lr=1.0, schedule="step", step_size=10, gamma=0.5)
    assert [step.lr_at(i, 100) for i in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    warm = OptimizerConfig(lr=1.0, warmup=3)
    assert [warm.lr_at(i, 100) for i in (0, 1, 2, 3)] == [0.25, 0.5, 0.75, 1.0]


def test_docstring_examples():
    result = doctest.testmod(train_mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0


@pytest.mark.parametrize("fine_tune", [False, True])
def test_proxy_fine_tune_starts_the_main_stage_from_the_proxy(tmp_path, monkeypatch, fine_tune):
    first: dict[str, torch.Tensor] = {}
    real_step = train_mod.train_step

    def spy(net, optimizer, batch):
        if net._proxy and not first:  # the main stage's first step, before it updates
            first.update({k: v.clone() for k, v in net.state_dict().items()})
        return real_step(net, optimizer, batch)

    monkeypatch.setattr(train_mod, "train_step", spy)
    extra = f"\n[proxy]\niterations = 2\nfine_tune = {str(fine_tune).lower()}\n"
    train(tiny("lightweight", extra), tmp_path, device="cpu")
    proxy, _ = zoo.load_weights(tmp_path / "proxy.pt")
    same = all(torch.equal(first[k], v) for k, v in proxy.state_dict().items())
    assert same is fine_tune


def test_proxy_fine_tune_must_be_a_boolean():
    with pytest.raises(VmagError, match="fine_tune"):
        tiny("lightweight", '\n[proxy]\niterations = 2\nfine_tune = "yes"\n')


def with_init(weights) -> TrainConfig:
    """The tiny magnet config starting from ``weights`` (a top-level key: first in the file)."""
    return parse_config(f'init = "{weights}"\n' + TINY.read_text(), model="magnet")


def test_init_starts_the_first_stage_from_given_weights(tmp_path, monkeypatch):
    first_run = tmp_path / "a"
    train(tiny(), first_run, device="cpu")
    weights = first_run / "magnet.pt"
    seen: list[dict[str, torch.Tensor]] = []
    real_step = train_mod.train_step

    def spy(net, optimizer, batch):
        if not seen:
            seen.append({k: v.clone() for k, v in net.state_dict().items()})
        return real_step(net, optimizer, batch)

    monkeypatch.setattr(train_mod, "train_step", spy)
    result = train(with_init(weights), tmp_path / "b", device="cpu")
    assert "Started from the weights `magnet.pt`" in result.card.read_text()
    start, _ = zoo.load_weights(weights)
    assert all(torch.equal(seen[0][k], v) for k, v in start.state_dict().items())


def test_init_must_exist_and_fit(tmp_path):
    with pytest.raises(VmagError, match=r"init weights file .*nope\.pt not found"):
        with_init("nope.pt")
    train(tiny("lightweight"), tmp_path / "lw", device="cpu")
    config = with_init(tmp_path / "lw" / "lightweight.pt")
    with pytest.raises(VmagError, match="do not fit magnet"):
        train(config, tmp_path / "m", device="cpu")


@pytest.mark.parametrize(
    "path", sorted(TINY.parent.rglob("*.toml")), ids=lambda p: str(p.relative_to(TINY.parent))
)
def test_every_config_in_the_repository_parses(path, tmp_path):
    """Each recipe stays valid; init and proxy files (an earlier run's weights) are stood
    in for."""
    text = path.read_text()
    base = tmp_path / "configs" / path.parent.relative_to(TINY.parent)  # same depth
    base.mkdir(parents=True)
    for earlier in re.findall(r'^(?:init|proxy) = "([^"]+)"', text, re.M):
        (base / earlier).parent.mkdir(parents=True, exist_ok=True)
        (base / earlier).write_bytes(b"")
    named = re.search(r'^model = "([^"]+)"', text, re.M)
    config = parse_config(text, model=None if named else "lightweight", base=base)
    assert config.iterations >= 1 and config.data.motion.size % 4 == 0


def test_freeze_holds_the_named_parts_fixed_in_the_main_stage(tmp_path):
    """A two-stage run with the manipulator and decoder frozen: the main stage starts from
    the proxy, changes the encoder and leaves the frozen parts exactly as the proxy had them."""
    frozen = ("manipulator", "decoder_low", "decoder_high")
    extra = "\n[proxy]\niterations = 2\nfine_tune = true\n"
    config = parse_config(
        "freeze = " + json.dumps(list(frozen)) + "\n" + TINY.read_text() + extra,
        model="lightweight",
    )
    assert config.freeze == frozen
    result = train(config, tmp_path, device="cpu")
    assert "Held fixed in the main stage: manipulator, decoder_low, decoder_high" in (
        result.card.read_text()
    )
    proxy, _ = zoo.load_weights(tmp_path / "proxy.pt")
    net, _ = zoo.load_weights(tmp_path / "lightweight.pt")
    for name, child in net.named_children():
        same = all(
            torch.equal(p, q)
            for p, q in zip(child.parameters(), getattr(proxy, name).parameters(), strict=True)
        )
        assert same is (name in frozen), name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"encoder"', "freeze must be a list of part names"),
        ('["decoder"]', "lightweight has no part 'decoder' (parts: encoder, appearance"),
        (
            '["encoder", "appearance", "to_image", "manipulator", "decoder_low", "decoder_high"]',
            "nothing would train",
        ),
    ],
)
def test_freeze_must_name_some_parts_of_the_network(value, message):
    with pytest.raises(VmagError, match=re.escape(message)):
        parse_config(f"freeze = {value}\n" + TINY.read_text(), model="lightweight")


def test_loss_table_reweighs_terms_and_the_card_says_so(tmp_path):
    config = tiny("lightweight", "\n[loss]\nedge = 3\n")
    assert config.loss == {"edge": 3.0}
    result = train(config, tmp_path, device="cpu")
    assert "edge 3 (paper 1)" in result.card.read_text()
    assert "l1 10, " in result.card.read_text()
    last = records(tmp_path, "train")[-1]
    weights = {**Lightweight.LOSS_WEIGHTS, "edge": 3.0}
    total = sum(weights[k] * last[k] for k in weights if k in last)
    assert last["total"] == pytest.approx(total, rel=1e-5)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("\n[loss]\nsmooth = 1\n", "loss: lightweight has no loss term 'smooth'"),
        ("\n[loss]\nedge = -1\n", "loss: loss weight edge must be a number >= 0"),
    ],
)
def test_loss_table_must_name_the_model_s_terms(table, message):
    with pytest.raises(VmagError, match=re.escape(message)):
        tiny("lightweight", table)


def test_a_checkpoint_from_before_freeze_and_loss_keys_still_resumes(tmp_path):
    config = tiny()
    with pytest.raises(Interrupted):
        train(config, tmp_path, device="cpu", monitor=StopAt(2))
    path = tmp_path / "checkpoint.pt"
    ckpt = torch.load(path, weights_only=True)
    for key in ("freeze", "loss"):
        del ckpt["config"][key]
    torch.save(ckpt, path)
    result = train(config, tmp_path, device="cpu")
    assert result.meta["iterations"] == 4
    with pytest.raises(Interrupted):
        train(config, tmp_path / "b", device="cpu", monitor=StopAt(2))
    with pytest.raises(VmagError, match=r"another config \(loss differ"):
        train(tiny(extra="\n[loss]\nl1 = 2\n"), tmp_path / "b", device="cpu")


def test_cli_blend_writes_the_weight_space_mix_and_its_parents(capsys, straight, tmp_path):
    other = parse_config(TINY.read_text().replace("seed = 0\n", "seed = 5\n", 1), model="magnet")
    train(other, tmp_path / "b", device="cpu")
    a, b, out = straight[1] / "magnet.pt", tmp_path / "b" / "magnet.pt", tmp_path / "mix.pt"
    code, _, err = run(capsys, "blend", a, b, "--share", "0.25", "-o", out)
    assert code == 0, err
    net_a, net_b = zoo.load_weights(a)[0], zoo.load_weights(b)[0]
    mix, meta = zoo.load_weights(out)
    for name, p in mix.state_dict().items():
        expected = 0.25 * net_a.state_dict()[name] + 0.75 * net_b.state_dict()[name]
        torch.testing.assert_close(p, expected)
    assert meta["model"] == "magnet" and meta["blend"]["share"] == 0.25
    assert meta["blend"]["a"]["iterations"] == 4 and meta["blend"]["b"]["file"] == "magnet.pt"
    lw = tmp_path / "lw"
    train(tiny("lightweight"), lw, device="cpu")
    for args, message in [
        ((a, b, "--share", "1.5", "-o", tmp_path / "x.pt"), "share must be a number in [0, 1]"),
        ((a, b, "--share", "0.5", "-o", b), "is one of the inputs"),
        ((a, lw / "lightweight.pt", "--share", "0.5", "-o", tmp_path / "x.pt"), "one model"),
    ]:
        code, _, err = run(capsys, "blend", *args)
        assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "x.pt").exists()


def test_cli_widen_then_train_the_wider_model_from_it(capsys, tmp_path):
    lw = tmp_path / "lw"
    train(tiny("lightweight"), lw, device="cpu")
    out = tmp_path / "wide.pt"
    code, _, err = run(
        capsys, "widen", lw / "lightweight.pt", "--model", "lightweight-base", "-o", out
    )
    assert code == 0, err
    small, _ = zoo.load_weights(lw / "lightweight.pt")
    big, meta = zoo.load_weights(out)
    x, y = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(big(x, y, 6.0), small(x, y, 6.0), atol=2e-6, rtol=1e-5)
    assert big.channels == 24 and meta["model"] == "lightweight-base"
    assert meta["widened"]["from"]["file"] == "lightweight.pt"
    assert meta["widened"]["from"]["iterations"] == 4
    text = f'init = "{out}"\n' + TINY.read_text().replace("channels = 4", "channels = 24")
    config = parse_config(text, model="lightweight-base", source="tiny.toml")
    result = train(config, tmp_path / "base", device="cpu")
    assert result.meta["init"] == "wide.pt" and result.meta["iterations"] == 4
    for args, message in [
        ((lw / "lightweight.pt", "--model", "magnet", "-o", tmp_path / "x.pt"), "cannot widen"),
        (
            (lw / "lightweight.pt", "--model", "big", "-o", tmp_path / "x.pt"),
            "model must be one of",
        ),
        ((out, "--model", "lightweight-base", "-o", out), "is the input"),
    ]:
        code, _, err = run(capsys, "widen", *args)
        assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "x.pt").exists()
