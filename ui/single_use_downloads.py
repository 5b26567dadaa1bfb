"""Person-level files served for one click only: the URL a download button is given stops working after it.

``st.download_button`` with a callable ``data`` runs the callable when the button is clicked (over the session's
own websocket, so only that session can ask for it), stores the bytes in Streamlit's in-memory media store and
hands the browser a ``/media/<id>.csv`` URL. Streamlit keeps that file, fetchable by anyone who has the URL and
without a session, until two later script runs have ended. ``once`` marks the bytes its callable returns so that
their URL answers only the requests of that click (Streamlit 1.67's button makes two: a check with fetch() and the
download itself) within ``LIFETIME_SECONDS``; then the file is taken out of the store and any further request gets
404 (Not Found). Each download is then one click, one audit row (written by the callable) and one transfer.

This wraps the media store's ``get_file`` and ``get_url`` on the running server's instance (the store the
``/media`` route reads); tests/e2e/test_person_level_download_browser.py checks it against the Streamlit in use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable

from streamlit import runtime
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryFile, MemoryMediaFileStorage

LOGGER = logging.getLogger(__name__)
#: How long a generated file waits for its fetches (the browser asks for it at once).
LIFETIME_SECONDS = 30.0
#: Streamlit's download button fetches the URL twice per click: once with fetch() to check it answers, once to
#: download it. A third request for the same URL gets 404 (Not Found).
FETCHES_PER_CLICK = 2
_INSTALLED = "_phm_serve_once_installed"
_LOCK = threading.Lock()
# SHA-256 of the bytes waiting to be fetched -> one [time.monotonic() after which it is refused, fetches left] a click.
_PENDING: dict[str, list[list]] = {}
_PUBLISHING = threading.local()


def once(
    make: Callable[[], bytes],
    *,
    lifetime: float = LIFETIME_SECONDS,
    storage: MemoryMediaFileStorage | None = None,
) -> Callable[[], bytes]:
    """A download button's ``data`` callable: ``make``'s bytes, in a media file served to its click's requests only.

    The media store is checked before ``make`` runs, so a server that cannot serve a file once refuses the
    download before ``make`` writes its audit row. Without a running server (AppTest, bare mode) there is no media
    store and ``make``'s bytes are returned as they are. ``storage`` is the running server's store unless given.
    """

    def _make() -> bytes:
        store = storage or _storage()
        content = make()
        if store is not None:
            _install(store)
            digest = hashlib.sha256(content).hexdigest()
            now = time.monotonic()
            with _LOCK:
                for stale in [key for key, clicks in _PENDING.items() if max(c[0] for c in clicks) < now]:
                    del _PENDING[stale]  # never fetched; Streamlit removes the file itself later
                _PENDING.setdefault(digest, []).append([now + lifetime, FETCHES_PER_CLICK])
        return content

    return _make


def _storage() -> MemoryMediaFileStorage | None:
    if not runtime.exists():
        return None
    storage = getattr(runtime.get_instance().media_file_mgr, "_storage", None)
    if not isinstance(storage, MemoryMediaFileStorage):
        # Another store serves its files itself: we cannot take a file out after one fetch, so say so loudly.
        LOGGER.error("person-level downloads: media store %r is not Streamlit's in-memory store", storage)
        raise RuntimeError("This server's media store cannot serve a person-level file once; the download is off.")
    return storage


def _install(storage: MemoryMediaFileStorage) -> None:
    """Wrap this store's ``get_file`` (read by the /media route) and ``get_url`` (read when the file is stored)."""
    with _LOCK:
        if getattr(storage, _INSTALLED, False):
            return
        get_file = storage.get_file
        get_url = storage.get_url

        def _get_url(file_id: str) -> str:
            # Building the URL reads the file: that is not the fetch.
            _PUBLISHING.active = True
            try:
                return get_url(file_id)
            finally:
                _PUBLISHING.active = False

        def _get_file(filename: str) -> MemoryFile:
            with _LOCK:
                file = get_file(filename)
                if getattr(_PUBLISHING, "active", False) or file.kind != MediaFileKind.DOWNLOADABLE or not _PENDING:
                    return file
                digest = hashlib.sha256(file.content).hexdigest()
                if digest not in _PENDING:
                    return file
                now = time.monotonic()
                # One entry per click of a button with these bytes (the same cohort clicked twice makes them again).
                clicks = [click for click in _PENDING.pop(digest) if click[0] >= now]
                file_id = os.path.splitext(filename)[0]
                if not clicks:
                    storage.delete_file(file_id)
                    raise MediaFileStorageError(f"File {filename} was not fetched in time and has been removed")
                clicks[0][1] -= 1
                if clicks[0][1] == 0:
                    clicks.pop(0)
                if clicks:
                    _PENDING[digest] = clicks
                else:
                    storage.delete_file(file_id)
                return file

        storage.get_file = _get_file  # type: ignore[method-assign]
        storage.get_url = _get_url  # type: ignore[method-assign]
        setattr(storage, _INSTALLED, True)
