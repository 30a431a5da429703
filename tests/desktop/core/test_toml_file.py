"""The vigia.toml writer: what it writes reads back identical (hypothesis), tables kept,
unsupported values refused, atomic replace."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.core import toml_file
from desktop.core.errors import ConfigError

keys = st.text(min_size=1, max_size=20)
scalars = (
    st.text(max_size=40)
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
)
values = scalars | st.lists(st.text(max_size=10), max_size=4)


@given(st.dictionaries(keys, values, max_size=8), st.dictionaries(keys, values, max_size=5))
def test_round_trip(top: dict[str, object], table: dict[str, object]) -> None:
    data = {k: v for k, v in top.items() if k != "vigia"}
    data["vigia"] = table
    assert tomllib.loads(toml_file.dumps(data)) == data


def test_layout_and_refusals(tmp_path: Path) -> None:
    text = toml_file.dumps({"port": 8002, "vigia": {"backup_dir": Path("/b"), "x y": "é\n"}})
    assert text.splitlines()[1:] == [
        "port = 8002",
        "",
        "[vigia]",
        'backup_dir = "/b"',
        '"x y" = "é\\n"',
    ]
    with pytest.raises(ConfigError, match="nested table"):
        toml_file.dumps({"vigia": {"deep": {"x": 1}}})
    with pytest.raises(ConfigError, match="cannot write a NoneType"):
        toml_file.dumps({"a": None})


def test_write_read_and_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "home" / "vigia.toml"
    assert toml_file.read(path) == {}
    toml_file.write(path, {"port": 1})
    assert toml_file.read(path) == {"port": 1}
    assert [p.name for p in path.parent.iterdir()] == ["vigia.toml"]
    path.write_text("port = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        toml_file.read(path)
