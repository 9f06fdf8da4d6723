"""BagIt export: bags that validate, hold the delivered files, or are refused."""

from belspo.pleiades.cli.export_bag import BagRefused
from belspo.pleiades.cli.export_bag import ProductRecord
from belspo.pleiades.cli.export_bag import write_bag
from belspo.pleiades.ingest.package import build_package
from belspo.pleiades.ingest.package import folder_sources
from belspo.pleiades.ingest.synthetic import write_delivery
from pathlib import Path
from tests.instance import BIN
from tests.instance import Instance

import bagit
import hashlib
import json
import pytest
import subprocess
import zipfile


def delivered_files(delivery: Path) -> dict[str, bytes]:
    """Every file of a delivery (folder or zip) by its path in the package."""
    if delivery.is_dir():
        return {name: opener().read() for name, opener in folder_sources(delivery)}
    with zipfile.ZipFile(delivery) as archive:
        return {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if not info.is_dir()
        }


def payload(bag: Path) -> dict[str, bytes]:
    """The bag's package files (data/ without data/metadata/)."""
    data = bag / "data"
    return {
        path.relative_to(data).as_posix(): path.read_bytes()
        for path in data.rglob("*")
        if path.is_file() and path.relative_to(data).parts[0] != "metadata"
    }


def validate_with_console_script(bag: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "bagit.py", "--validate", bag], capture_output=True, text=True
    )


# The bag writer on its own: a package built as the ingest builds it


@pytest.fixture
def record(tmp_path) -> ProductRecord:
    delivery = write_delivery(tmp_path / "inbox", count=1, seed=7)
    package = build_package(
        list(folder_sources(delivery.path)), tmp_path / "package.zip"
    )
    return ProductRecord(
        dataset_name=delivery.specs[0].dataset_name,
        package=package.path,
        package_sha256=package.sha256,
        manifest=[entry.as_dict() for entry in package.manifest],
        metadata={"fields": {"dataset_name": delivery.specs[0].dataset_name}},
        provenance={"fixity_history": [{"event": "ingest", "ok": True}]},
        bag_info={"Internal-Sender-Identifier": "/Plone/catalogue/x"},
    )


@pytest.fixture
def output(tmp_path) -> Path:
    folder = tmp_path / "bags"
    folder.mkdir()
    return folder


class TestWriteBag:
    def test_a_valid_bag_of_the_package(self, record, output, tmp_path):
        bag_path = write_bag(record, output)
        assert bag_path == output / record.dataset_name
        bag = bagit.Bag(str(bag_path))
        bag.validate()
        assert bag.info["Source-Organization"] == "BELSPO"
        assert bag.info["External-Identifier"] == record.dataset_name
        assert bag.info["Internal-Sender-Identifier"] == "/Plone/catalogue/x"
        assert bag.info["Payload-Oxum"].endswith(f".{len(record.manifest) + 2}")
        assert bag.algorithms == ["sha256"]
        (delivery,) = (tmp_path / "inbox").iterdir()
        assert payload(bag_path) == delivered_files(delivery)
        metadata = json.loads((bag_path / "data/metadata/product.json").read_text())
        assert metadata == record.metadata
        assert list(output.iterdir()) == [bag_path]

    def test_a_corrupted_package_is_refused(self, record, output):
        data = bytearray(record.package.read_bytes())
        data[len(data) // 2] ^= 0xFF
        record.package.write_bytes(bytes(data))
        with pytest.raises(BagRefused, match="package SHA-256 is"):
            write_bag(record, output)
        assert list(output.iterdir()) == []

    def test_a_file_differing_from_the_manifest_is_refused(self, record, output):
        record.manifest[-1] = {**record.manifest[-1], "sha256": "0" * 64}
        with pytest.raises(BagRefused, match=record.manifest[-1]["path"]):
            write_bag(record, output)
        assert list(output.iterdir()) == []  # no half-written bag, no temporary

    def test_a_file_missing_from_the_manifest_is_refused(self, record, output):
        del record.manifest[0]
        with pytest.raises(BagRefused, match="not in the manifest"):
            write_bag(record, output)
        assert list(output.iterdir()) == []

    def test_an_existing_bag_is_not_overwritten(self, record, output):
        (output / record.dataset_name).mkdir()
        with pytest.raises(BagRefused, match="exists already"):
            write_bag(record, output)
        assert list((output / record.dataset_name).iterdir()) == []

    @pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden"])
    def test_an_unsafe_dataset_name_is_refused(self, record, output, name):
        record.dataset_name = name
        with pytest.raises(BagRefused, match="not a safe directory name"):
            write_bag(record, output)
        assert list(output.iterdir()) == []


# pleiades-export-bag on a real instance


@pytest.fixture(scope="module")
def archive(repository, tmp_path_factory):
    """An instance with three ingested products, and copies of their deliveries."""
    root = tmp_path_factory.mktemp("archive")
    instance = Instance(repository, root)
    instance.prepare()
    inbox = root / "inbox"
    deliveries = [
        write_delivery(inbox, count=2, seed=51),
        write_delivery(inbox, count=1, seed=52, as_zip=True),
    ]
    delivered = {}
    for delivery in deliveries:
        files = delivered_files(delivery.path)
        for folder, spec in zip(delivery.folders, delivery.specs, strict=True):
            # A product's package: its folder and the volume documents; a
            # single-product zip is archived whole.
            delivered[spec.dataset_name] = {
                name: data
                for name, data in files.items()
                if len(delivery.specs) == 1 or name.startswith((f"{folder}/", "VOL_"))
            }
    result = instance.ingest("--no-progress", inbox)
    assert result.returncode == 0, result.stdout + result.stderr
    return instance, delivered


def export(instance: Instance, output: Path, *names):
    return instance.run(
        "pleiades-export-bag", "--output", output, "--no-progress", *names
    )


@pytest.mark.slow
class TestExportCommand:
    @pytest.fixture(autouse=True)
    def _setup(self, archive, tmp_path):
        self.instance, self.delivered = archive
        self.output = tmp_path / "bags"

    def test_every_product_bagged_and_valid(self):
        result = export(self.instance, self.output)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "3 bags written" in result.stdout
        bags = sorted(self.output.iterdir())
        assert [bag.name for bag in bags] == sorted(self.delivered)
        for bag_path in bags:
            checked = validate_with_console_script(bag_path)
            assert checked.returncode == 0, checked.stderr
            assert "is valid" in checked.stderr
            bag = bagit.Bag(str(bag_path))
            bag.validate()
            assert bag.info["External-Identifier"] == bag_path.name
            assert bag.info["Source-Organization"] == "BELSPO"
            assert "Bagging-Date" in bag.info and "Payload-Oxum" in bag.info
            assert payload(bag_path) == self.delivered[bag_path.name]
            product = json.loads((bag_path / "data/metadata/product.json").read_text())
            fields = product["fields"]
            assert fields["dataset_name"] == bag_path.name
            assert fields["mission"] and fields["acquisition_date"]
            assert fields["footprint"]["type"] == "Polygon"
            assert fields["package"]["content_type"] == "application/zip"
            assert bag.info["Pleiades-Package-SHA256"] == fields["package_sha256"]
            assert product["object"]["review_state"] == "ingested"
            provenance = json.loads(
                (bag_path / "data/metadata/provenance.json").read_text()
            )
            assert [e["event"] for e in provenance["ingest"]["events"]] == ["ingest"]
            assert provenance["fixity_history"] == fields["fixity_history"]
            assert provenance["verifications"] == provenance["repairs"] == []
            assert provenance["request"] is None  # no request in this archive
            assert provenance["ingest"]["warnings"]  # which says so

    def test_products_named_by_dataset_name_or_id(self):
        first, second = sorted(self.delivered)[:2]
        result = export(self.instance, self.output, first, second.lower())
        assert result.returncode == 0, result.stdout + result.stderr
        assert sorted(p.name for p in self.output.iterdir()) == [first, second]

    def test_an_unknown_product_is_an_error(self):
        result = export(self.instance, self.output, "NO_SUCH_PRODUCT")
        assert result.returncode == 2
        assert "no product with id or dataset name NO_SUCH_PRODUCT" in result.stderr
        assert list(self.output.iterdir()) == []

    def test_a_corrupted_package_is_refused(self):
        check = self.instance.check()["products"]
        victim = check[0]
        blobs = self.instance.path / "var" / "blobstorage"
        blob = next(
            b
            for b in blobs.rglob("*.blob")
            if hashlib.sha256(b.read_bytes()).hexdigest() == victim["sha256_recorded"]
        )
        original = blob.read_bytes()
        blob.chmod(0o644)
        damaged = bytearray(original)
        damaged[len(damaged) // 2] ^= 0xFF
        blob.write_bytes(bytes(damaged))
        try:
            result = export(self.instance, self.output)
        finally:
            blob.write_bytes(original)
            blob.chmod(0o444)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"REFUSED {victim['dataset_name']}: package SHA-256 is" in result.stdout
        assert "2 bags written" in result.stdout
        names = sorted(p.name for p in self.output.iterdir())
        assert names == sorted(set(self.delivered) - {victim["dataset_name"]})
