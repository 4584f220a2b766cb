"""A named `data_dir` is where the data is: never a download instead."""

import pytest

from keras_hsvae import data
from keras_hsvae.data import _sources


def test_missing_data_dir_fails_at_once(tmp_path):
    # Issue #10: a missing --data-dir offline cost 3.5 minutes of download
    # retries and left partial files in ~/tensorflow_datasets.
    missing = tmp_path / "nope"
    with pytest.raises(data.DatasetNotFoundError, match=r"`data_dir` is not a folder"):
        data.load("mnist", "test", data_dir=missing, as_numpy=True)


def test_data_dir_without_the_files_does_not_download(tmp_path, monkeypatch):
    asked = []

    def tfds_source(spec, split, download, *args):
        asked.append(download)
        raise RuntimeError("not prepared")

    monkeypatch.setattr(_sources, "_tfds_source", tfds_source)
    with pytest.raises(data.DatasetNotFoundError):
        data.load("mnist", "test", data_dir=tmp_path, as_numpy=True)
    assert asked == [False]
