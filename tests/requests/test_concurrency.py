"""Two validators at the same moment cannot both spend the last unit of quota."""

from tests.instance import Instance

import pytest


pytestmark = pytest.mark.slow


def check(outcome: dict, mode: str) -> None:
    results = outcome["results"]
    assert all("error" not in r for r in results.values()), results
    # Both decided before either committed: one commit had to conflict.
    assert sum(r["conflicts"] for r in results.values()) >= 1, results
    assert outcome["rights_used"] == outcome["rights"] == 100
    categories = sorted(r.get("category", "refused") for r in results.values())
    if mode == "shown":
        # The retry's verdict is not the one shown: refused, left submitted.
        assert categories == ["refused", "within quota"], results
        assert sorted(outcome["states"].values()) == ["submitted", "validated"]
        refused = [r for r in results.values() if "refused" in r][0]
        assert "quotas changed" in refused["refused"]
    else:
        # Without a verdict to compare, the retry is validated beyond quota.
        assert categories == ["Category 3 -20%", "within quota"], results
        assert outcome["beyond"] == 1


@pytest.mark.parametrize("mode", ["shown", "plain"])
def test_on_sqlite(repository, tmp_path, mode):
    instance = Instance(repository, tmp_path)
    instance.prepare()
    check(instance.script("tests.requests.race", mode), mode)


@pytest.mark.parametrize("mode", ["shown", "plain"])
def test_on_postgresql(repository, tmp_path, database, mode):
    instance = Instance(repository, tmp_path, "production", {"PLEIADES_DSN": database})
    instance.prepare()
    check(instance.script("tests.requests.race", mode), mode)
