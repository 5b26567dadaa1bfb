"""Person-level download files answer only the requests of their click (ui/single_use_downloads.py), on Streamlit's
in-memory media store: building the URL is not a fetch, the button's check and download are served, a further
request is refused (the /media route turns that into 404), and so is a file not fetched in time."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from ui.single_use_downloads import FETCHES_PER_CLICK, once

pytestmark = pytest.mark.unit


def _click(storage: MemoryMediaFileStorage, content: bytes, **options: float) -> str:
    """What a click does: run the button's callable, store its bytes, build the URL; return the URL's file name."""
    made = once(lambda: content, storage=storage, **options)()
    file_id = storage.load_and_get_id(made, "text/csv", MediaFileKind.DOWNLOADABLE, "list.csv")
    return storage.get_url(file_id).rsplit("/", 1)[1]


def test_the_url_serves_its_click_and_then_not_found() -> None:
    storage = MemoryMediaFileStorage("/media")
    name = _click(storage, b"person_id\n0001\n")
    assert FETCHES_PER_CLICK == 2  # Streamlit 1.67's button: a fetch() check, then the download
    for _ in range(FETCHES_PER_CLICK):
        assert storage.get_file(name).content == b"person_id\n0001\n"
    with pytest.raises(MediaFileStorageError):
        storage.get_file(name)


def test_the_same_list_clicked_twice_is_served_for_each_click() -> None:
    storage = MemoryMediaFileStorage("/media")
    first = _click(storage, b"person_id\n0002\n")
    second = _click(storage, b"person_id\n0002\n")
    assert first == second  # the same bytes: Streamlit stores them once
    for _ in range(2 * FETCHES_PER_CLICK):
        storage.get_file(first)
    with pytest.raises(MediaFileStorageError):
        storage.get_file(first)


def test_a_file_not_fetched_in_time_is_refused() -> None:
    storage = MemoryMediaFileStorage("/media")
    name = _click(storage, b"person_id\n0003\n", lifetime=-1.0)
    with pytest.raises(MediaFileStorageError):
        storage.get_file(name)
    with pytest.raises(MediaFileStorageError):  # and it is gone
        storage.get_file(name)


def test_other_downloads_are_left_alone() -> None:
    storage = MemoryMediaFileStorage("/media")
    _click(storage, b"person_id\n0004\n")  # installs the wrapper on this store
    file_id = storage.load_and_get_id(b"data,table\n", "text/csv", MediaFileKind.DOWNLOADABLE, "aggregates.csv")
    name = storage.get_url(file_id).rsplit("/", 1)[1]
    for _ in range(5):
        assert storage.get_file(name).content == b"data,table\n"
