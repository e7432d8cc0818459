"""serialize, deserialize, register_serializable (Keras parity: test_keras_parity.py).

The tests of one family are in ``tests/schedules/test_<family>.py``; this module keeps
the shared tables and checks (``check_<test>``, run there on the family's cases) and the
tests that span families.
"""

import builtins
import importlib
import json
import pickle

import pytest

import lrkit

SCHEDULES = [
    lrkit.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    lrkit.PiecewiseConstantDecay([100, 200.5], [1, 0.5, 0.1]),
    lrkit.PolynomialDecay(0.1, 50, end_learning_rate=0.0, power=2, cycle=True),
    lrkit.InverseTimeDecay(0.1, 10, 0.5, name="itd"),
    lrkit.CosineDecay(0.0, 1000, alpha=0.1, warmup_target=1.0, warmup_steps=100),
    lrkit.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.01),
]


def check_round_trips(s):
    d = lrkit.serialize(s)
    assert d["module"] == "keras.optimizers.schedules"
    assert d["class_name"] == type(s).__name__
    assert d["registered_name"] is None
    text = json.dumps(d)
    back = lrkit.deserialize(json.loads(text))
    assert back == s and hash(back) == hash(s)
    assert back.get_config() == s.get_config()
    assert pickle.loads(pickle.dumps(s)) == s
    assert eval(repr(s), vars(lrkit)) == s
    assert type(s).from_config(s.get_config()) == s
    for step in (0, 7, 99, 100, 101, 1234):
        assert back(step) == s(step)


def test_equality_is_by_config():
    assert lrkit.CosineDecay(0.1, 100) == lrkit.CosineDecay(0.1, 100)
    assert lrkit.CosineDecay(0.1, 100) != lrkit.CosineDecay(0.1, 101)
    assert lrkit.CosineDecay(0.1, 100) != lrkit.CosineDecay(0.1, 100, name="other")
    assert lrkit.ExponentialDecay(0.1, 10, 0.5) != lrkit.InverseTimeDecay(0.1, 10, 0.5)
    assert len({lrkit.CosineDecay(0.1, 100), lrkit.CosineDecay(0.1, 100)}) == 1


def test_tf_keras_2_form_and_bare_name():
    old = {
        "class_name": "InverseTimeDecay",
        "config": {
            "initial_learning_rate": 0.5,
            "decay_steps": 4,
            "decay_rate": 1.0,
            "staircase": False,
            "name": None,
        },
    }
    s = lrkit.deserialize(old)
    assert s.name == "InverseTimeDecay"
    assert s(4) == 0.25
    with pytest.raises(ValueError, match=r"needs argument\(s\) \['initial_learning_rate'"):
        lrkit.deserialize("ExponentialDecay")


@pytest.mark.parametrize(
    ("bad", "exc", "words"),
    [
        ({"class_name": "NoSuchSchedule", "config": {}}, ValueError, "Unknown learning rate"),
        (
            {"module": "os", "class_name": "system", "config": {"command": "true"}},
            ValueError,
            "'system'",
        ),
        ({"module": "builtins", "class_name": "eval", "config": {}}, ValueError, "'eval'"),
        ({"config": {}}, ValueError, "needs a 'class_name'"),
        ({"class_name": 3, "config": {}}, TypeError, "class_name"),
        ({"class_name": "CosineDecay", "config": [1, 2]}, TypeError, "'config' must be a dict"),
        (
            {
                "class_name": "CosineDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "bogus": 1},
            },
            ValueError,
            "bogus",
        ),
        (
            {
                "class_name": "CosineDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 0},
            },
            ValueError,
            "decay_steps=0",
        ),
        ({"class_name": "CosineDecay", "config": {}, "extra": 1}, ValueError, "extra"),
        ("os.system", ValueError, "Unknown learning rate"),
        (["CosineDecay"], TypeError, "must be a dict"),
    ],
)
def test_bad_configs(bad, exc, words):
    with pytest.raises(exc, match=None) as info:
        lrkit.deserialize(bad)
    assert words in str(info.value)


def test_loading_never_imports(monkeypatch):
    calls = []
    real_import = builtins.__import__

    def spy(name, *args, **kwargs):
        calls.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", spy)
    monkeypatch.setattr(importlib, "import_module", lambda *a, **k: calls.append(a) or None)
    for module in ("lrkit_evil_module", "os", "subprocess"):
        with pytest.raises(ValueError):
            lrkit.deserialize({"module": module, "class_name": "run", "config": {}})
    lrkit.deserialize(
        {
            "module": "lrkit_evil_module",
            "class_name": "CosineDecay",
            "config": {"initial_learning_rate": 0.1, "decay_steps": 10},
        }
    )
    assert not [c for c in calls if "evil" in str(c) or c in ("os", "subprocess")]


def test_register_serializable_and_custom_objects():
    @lrkit.register_serializable(package="tests")
    class HalvingT(lrkit.LearningRateSchedule):
        def __init__(self, rate, every=100):
            self.rate = rate
            self.every = every

        def __call__(self, step):
            return self.rate / 2 ** (step // self.every)

        def get_config(self):
            return {"rate": self.rate, "every": self.every}

    h = HalvingT(0.8, every=10)
    d = lrkit.serialize(h)
    assert d == {
        "module": __name__,
        "class_name": "HalvingT",
        "config": {"rate": 0.8, "every": 10},
        "registered_name": "tests>HalvingT",
    }
    back = lrkit.deserialize(json.loads(json.dumps(d)))
    assert type(back) is HalvingT and back(25) == 0.2
    assert lrkit.deserialize({"class_name": "HalvingT", "config": {"rate": 1.0}})(100) == 0.5
    assert h == back  # equality by config works for user classes with get_config
    assert pickle.loads(pickle.dumps(lrkit.ExponentialDecay(0.1, 10, 0.5))) is not None

    class Local(lrkit.LearningRateSchedule):
        def __init__(self, x):
            self.x = x

        def __call__(self, step):
            return self.x

        def get_config(self):
            return {"x": self.x}

    with pytest.raises(ValueError, match="register_serializable"):
        lrkit.serialize(Local(1.0))
    got = lrkit.deserialize(
        {"class_name": "Local", "config": {"x": 2.0}}, custom_objects={"Local": Local}
    )
    assert got(5) == 2.0


def test_user_subclass_keras_style_without_config():
    class Mine(lrkit.LearningRateSchedule):
        def __init__(self, initial):
            self.initial = initial

        def __call__(self, step):
            return self.initial / (step + 1)

    m = Mine(1.0)
    m.initial = 2.0  # user classes stay as mutable as the user writes them
    assert m(1) == 1.0
    with pytest.raises(NotImplementedError, match="get_config"):
        m.get_config()
    assert m == m and m != Mine(2.0)
    assert "Mine object" in repr(m)
