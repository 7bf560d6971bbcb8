"""The config file: ``sesame.toml`` in the working directory (or SESAME_CONFIG), below the
environment and the command line, above the defaults; a key that is no setting is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesame.settings import ConfigFileError, Settings

DEFAULT_MEMORY = Settings.model_fields["memory_limit"].default


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SESAME_CONFIG", "SESAME_MEMORY_LIMIT", "SESAME_BACKUPS_KEPT"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_file_the_defaults_hold() -> None:
    assert Settings().memory_limit == DEFAULT_MEMORY


def test_the_file_in_the_working_directory_sets_values(tmp_path: Path) -> None:
    (tmp_path / "sesame.toml").write_text('memory_limit = "3GB"\nbackups_kept = 5\n')
    settings = Settings()
    assert (settings.memory_limit, settings.backups_kept) == ("3GB", 5)


def test_the_environment_wins_over_the_file_and_options_over_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sesame.toml").write_text('memory_limit = "3GB"\nbackups_kept = 5\n')
    monkeypatch.setenv("SESAME_MEMORY_LIMIT", "5GB")
    settings = Settings()
    assert (settings.memory_limit, settings.backups_kept) == ("5GB", 5)
    assert Settings(memory_limit="7GB").memory_limit == "7GB"  # a command-line option


def test_sesame_config_names_a_file_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sesame.toml").write_text('memory_limit = "3GB"\n')
    elsewhere = tmp_path / "etc" / "night.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text('memory_limit = "6GB"\n')
    monkeypatch.setenv("SESAME_CONFIG", str(elsewhere))
    assert Settings().memory_limit == "6GB"
    monkeypatch.setenv("SESAME_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigFileError, match=r"missing\.toml: no such file"):
        Settings()


def test_a_key_that_is_no_setting_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "sesame.toml").write_text('memry_limit = "3GB"\n')
    with pytest.raises(ConfigFileError, match=r"sesame\.toml: 'memry_limit' is not a setting"):
        Settings()


def test_a_file_that_is_no_toml_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "sesame.toml").write_text("memory_limit = \n")
    with pytest.raises(ConfigFileError, match=r"sesame.toml: .*line 1"):
        Settings()


def test_a_bad_value_in_the_file_is_a_validation_error(tmp_path: Path) -> None:
    (tmp_path / "sesame.toml").write_text("backups_kept = -1\n")
    with pytest.raises(ValueError, match="backups_kept"):
        Settings()


def test_the_input_defaults_to_the_bundled_sample_only_where_it_exists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sesame import settings as settings_module

    assert Settings().input == settings_module.PROJECT_DIR / "sample_data"  # this clone has it
    # an installed wheel: the package's parent holds no sample_data/
    monkeypatch.setattr(settings_module, "BUNDLED_SAMPLE", tmp_path / "site-packages" / "sample")
    assert Settings().input == Path("exports")
    monkeypatch.setenv("SESAME_INPUT", str(tmp_path / "mine"))
    assert Settings().input == tmp_path / "mine"
