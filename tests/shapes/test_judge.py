"""The independent judge: another architecture, another seed, the same data (dreamlib/shapes/judge.py, lesson 10)."""

import torch

import dreamlib as dl
from dreamlib import shapes
from dreamlib.shapes.judge import JudgeNet, SeeWhole


def test_judge_is_another_network_that_knows_the_classes():
    judge = shapes.judge(device="cpu")
    model = dl.load_model("shapes", device="cpu")
    assert isinstance(judge.net, JudgeNet) and judge.categories == list(shapes.CLASSES)
    assert not any(p.requires_grad for p in judge.parameters())
    kinds = lambda m: {type(x) for x in m.modules()}  # noqa: E731
    assert torch.nn.GroupNorm in kinds(judge.net) and torch.nn.BatchNorm2d not in kinds(judge.net)
    assert torch.nn.BatchNorm2d in kinds(model.net)
    assert shapes.accuracy(judge, n=600, seed=777) >= 0.9
    # it sees a picture at any size whole, at its training size
    images, labels = shapes.make_batch(64, torch.Generator().manual_seed(5))
    big = torch.nn.functional.interpolate(images, scale_factor=2, mode="nearest")
    assert (shapes.verdicts(judge, big) == labels).float().mean() >= 0.85
    assert SeeWhole(48)(big).shape[-2:] == (48, 48)


def test_verdicts_are_top_1_on_the_cpu_without_gradients():
    judge = shapes.judge(device="cpu")
    images = torch.rand(3, 3, 48, 48, requires_grad=True)
    got = shapes.verdicts(judge, images)
    assert got.shape == (3,) and got.dtype == torch.int64 and not got.requires_grad
    assert torch.equal(got, judge(images).argmax(1))


def test_judge_weights_come_from_the_training_script_with_its_own_seed():
    from dreamlib.shapes.judge import JUDGE_SEED

    script = dl.shapes.net.__file__.rsplit("/dreamlib/", 1)[0] + "/scripts/train_shapes.py"
    text = open(script, encoding="utf-8").read()
    assert '"judge.pth": dict(JUDGE_RECIPE, seed=JUDGE_SEED, architecture=JudgeNet)' in text and JUDGE_SEED != 0


def test_the_judge_recognises_the_dreamers_class_dreams_and_renders(run_as):
    """Issue 20's transfer test: pictures the shipped dreamer makes of each class carry the class to another network.

    Plain pixel dreams from a grey picture (``dl.dream`` with ``class_logit``) and Fourier renders
    (``dl.render(param="fft")``), one per class, 64 px; the judge recognises at least 9 of 10 of each.
    """
    model, judge = run_as(dl.load_model("shapes", device="cpu")), shapes.judge(device="cpu")
    targets = torch.arange(len(shapes.CLASSES))
    grey = torch.full((1, 3, 64, 64), 0.5)
    dreams = torch.cat(
        [dl.dream(model, grey, objective=dl.class_logit(k), **shapes.CLASS_DREAM, progress=False) for k in targets]
    )
    renders = dl.render(model, dl.class_logit(targets.tolist()), batch=len(targets), size=64, seed=0, progress=False)
    for pictures in (dreams, renders):
        assert (shapes.verdicts(judge, pictures) == targets).sum() >= 9, shapes.verdicts(judge, pictures)
    # the judge is no pushover: it does not see the classes in grey noise
    noise = 0.5 + 0.1 * torch.randn(len(targets), 3, 64, 64, generator=torch.Generator().manual_seed(0))
    assert (shapes.verdicts(judge, noise.clamp(0, 1)) == targets).sum() <= 2
