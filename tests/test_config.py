"""release.toml loading and every configuration error's message."""

from __future__ import annotations

from pathlib import Path

import pytest

from microe_release.config import demo_config, load_config
from microe_release.errors import ConfigError
from microe_release.labels import normalize_label


def test_load_config_documented_shape(multi_source_config: Path) -> None:
    config = load_config(multi_source_config)
    assert (config.name, config.version, config.image_size, config.seed) == ("microe", "1.0.0", 48, 1234)
    assert config.split_names == ("train", "test")
    assert [s.format for s in config.sources] == ["fer2013-csv", "image-folder", "ferplus", "labelled-csv", "filename-pattern"]
    assert config.sources[1].path == multi_source_config.parent / "CK+48"
    assert config.sources[3].options["csv"] == "data/legend.csv"
    assert config.config_hash.startswith("sha256:")


def test_config_hash_ignores_comments(multi_source_config: Path) -> None:
    before = load_config(multi_source_config).config_hash
    multi_source_config.write_text("# a comment\n" + multi_source_config.read_text())
    assert load_config(multi_source_config).config_hash == before


@pytest.mark.parametrize(("old", "new", "match"), [
    ('format = "ferplus"', 'format = "fer-plus"', r"source\[2\] \('ferplus'\)\.format .*unknown source format 'fer-plus'; valid formats: fer2013-csv, ferplus"),
    ('splits = { train = 0.8, test = 0.2 }', 'splits = { train = 0.8, test = 0.3 }', r"summing to 1, got 1\.1"),
    ('splits = { train = 0.8, test = 0.2 }', 'splits = { train = 0.8, dev = 0.2 }', r"must name 'train' and 'test'"),
    ('version = "1.0.0"', 'version = "one"', r"release.version 'one' .* is not a semantic version"),
    ('image_size = 48', 'image_size = "48"', r"release.image_size in .* must be a whole number, got '48' \(str\)"),
    ('csv = "data/legend.csv"', 'csv = "data/legend.csv"\ncolumn = "x"', r"source\[3\] \('faces'\) .* unknown key 'column' for format 'labelled-csv'"),
    ('AN = "angry"', 'AN = "furious"', r"maps 'AN' to 'furious' .* not a class"),
    ("pattern = '^(?P<subject>", "pattern = '^((?P<subject>", r"pattern .* is not a valid regular expression"),
    ('name = "ckplus"', 'name = "fer2013"', r"source names must be unique.*'fer2013'"),
])
def test_load_config_errors_say_where_and_how(multi_source_config: Path, old: str, new: str, match: str) -> None:
    text = multi_source_config.read_text()
    assert old in text
    multi_source_config.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=match):
        load_config(multi_source_config)


def test_load_config_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file '.*nope.toml' does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[release\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text('[release]\nname = "x"\nversion = "1.0.0"\n')
    with pytest.raises(ConfigError, match=r"names no \[\[source\]\]"):
        load_config(empty)


def test_load_config_missing_required_format_key(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[release]\nname = "x"\nversion = "1.0.0"\n[[source]]\nname = "j"\nformat = "filename-pattern"\npath = "j"\n')
    with pytest.raises(ConfigError, match=r"source\[0\] \('j'\) .* needs 'pattern' for format 'filename-pattern'"):
        load_config(path)


def test_demo_config_uses_package_metadata() -> None:
    config = demo_config(count=10)
    assert config.name == "microe" and config.sources[0].format == "synthetic"


@pytest.mark.parametrize(("raw", "expected"), [
    ("HAPPINESS", "happy"), ("anger", "angry"), ("Sadness", "sad"), ("surprise", "surprised"),
    ("disgusted", "disgust"), ("fearful", "fear"), ("contempt", "contempt"), ("neutral", "neutral"),
    (" calm ", "neutral"), ("bored", None),
])
def test_normalize_label_synonyms(raw: str, expected: str | None) -> None:
    assert normalize_label(raw) == expected
