"""Generating an instance's configuration from the deployment profiles."""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.instance import default_settings
from belspo.pleiades.cli.instance import main
from belspo.pleiades.cli.instance import ProfileTemplate
from belspo.pleiades.cli.instance import render_profile
from belspo.pleiades.cli.instance import settings_from_environment
from pathlib import Path
from Zope2.Startup.options import ZopeWSGIOptions

import configparser
import os
import pytest


PROFILE_SETTINGS = {
    "development": {},
    "production": {"dsn": "dbname=pleiades host=127.0.0.1 user=$postgres"},
    "backup": {},
}


def load_zope_conf(path: Path):
    """Parse a zope.conf with Zope's own schema, as Zope does at start-up."""
    return ZopeWSGIOptions(configfile=str(path))().configroot


class TestProfiles:
    @pytest.fixture(autouse=True)
    def _setup(self, repository, tmp_path):
        self.profiles = repository / "profiles"
        self.instance = tmp_path / "instance"

    def render(self, profile: str, **extra) -> dict:
        settings = default_settings(self.instance)
        settings.update(PROFILE_SETTINGS[profile], **extra)
        return render_profile(self.profiles / profile, self.instance, settings)

    @pytest.mark.parametrize("profile", sorted(PROFILE_SETTINGS))
    def test_zope_conf_is_valid_for_zope(self, profile):
        self.render(profile)
        config = load_zope_conf(self.instance / "etc" / "zope.conf")
        database = config.databases[0]
        assert database.name == "main"
        assert database.config.storage.config.shared_blob_dir is True
        assert config.instancehome == str(self.instance)

    @pytest.mark.parametrize("profile", sorted(PROFILE_SETTINGS))
    def test_zope_ini_serves_the_port(self, profile):
        self.render(profile, port="8091")
        ini = configparser.ConfigParser(interpolation=None)
        ini.read(self.instance / "etc" / "zope.ini")
        assert ini["server:main"]["port"] == "8091"
        assert ini["server:main"]["host"] == "127.0.0.1"
        assert ini["app:zope"]["use"] == "egg:Zope#main"

    def test_development_keeps_everything_under_var(self):
        self.render("development")
        conf = (self.instance / "etc" / "zope.conf").read_text()
        assert "data-dir $INSTANCE/var/sqlite" in conf
        assert f"blob-dir {self.instance}/var/blobstorage" in conf
        assert (self.instance / "var" / "log").is_dir()

    def test_dsn_kept_literal_for_zconfig(self):
        self.render("production")
        config = load_zope_conf(self.instance / "etc" / "zope.conf")
        adapter = config.databases[0].config.storage.config.adapter
        assert adapter.config.dsn == PROFILE_SETTINGS["production"]["dsn"]

    def test_backup_volume_must_exist(self, tmp_path):
        with pytest.raises(CommandError, match="PLEIADES_BACKUP_DIR=.*does not exist"):
            self.render("backup", backup_dir=str(tmp_path / "not-mounted"))
        self.render("backup", backup_dir=str(tmp_path))
        conf = (self.instance / "etc" / "zope.conf").read_text()
        assert f"data-dir {tmp_path}/sqlite" in conf

    def test_production_without_dsn_says_what_to_set(self):
        settings = default_settings(self.instance)
        with pytest.raises(CommandError, match="PLEIADES_DSN.*export PLEIADES_DSN="):
            render_profile(self.profiles / "production", self.instance, settings)

    def test_unknown_profile_lists_the_known_ones(self):
        with pytest.raises(
            CommandError, match="backup, backup-postgresql, development, production"
        ):
            render_profile(self.profiles / "staging", self.instance, {})

    def test_rendering_twice_keeps_the_files(self):
        self.render("development")
        conf = self.instance / "etc" / "zope.conf"
        before = conf.stat().st_mtime_ns
        self.render("development")
        assert conf.stat().st_mtime_ns == before


def test_template_leaves_zconfig_and_paste_syntax_alone():
    text = "%define X @{instance}\nvalue $X %(here)s mail@@example.org @x"
    rendered = ProfileTemplate(text).substitute({"instance": "/i"})
    assert rendered == "%define X /i\nvalue $X %(here)s mail@example.org @x"


def test_environment_settings():
    environ = {"PLEIADES_DSN": "dbname=x", "PLEIADES_PORT": "", "HOME": "/root"}
    assert settings_from_environment(environ) == {"dsn": "dbname=x"}


def test_command_line(repository, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PLEIADES_DSN", raising=False)
    args = ["--profiles-dir", str(repository / "profiles"), "--instance", str(tmp_path)]
    assert main([*args, "--set", "port=9000"]) == 0
    assert "port = 9000" in (tmp_path / "etc" / "zope.ini").read_text()
    assert main([*args, "--profile", "production"]) == 2
    assert "PLEIADES_DSN" in capsys.readouterr().err
    assert os.stat(tmp_path / "etc" / "zope.conf").st_size > 0
