"""Files uploaded to the back office's imports (core.admin_impex), waiting between their dry run
and their confirmation, and the hourly purge of those nobody confirmed."""

from __future__ import annotations

import datetime
import io
import re
import uuid

from django.core.files.storage import default_storage
from django.utils import timezone
from import_export.tmp_storages import BaseStorage

# As long as a dry run's confirmation stays valid (its signed token's age).
IMPORT_FILE_MAX_AGE = datetime.timedelta(hours=24)

# Where uploaded files wait for their confirmation: the default storage (shared by every web
# server, unlike a local temporary folder), under names Kontor gives them.
IMPORT_FOLDER = "imports"
_IMPORT_NAME = re.compile(r"[0-9a-f]{32}")


class ImportFileStorage(BaseStorage):
    """django-import-export's temporary storage for an uploaded file, in the default storage
    under IMPORT_FOLDER. A name Kontor did not give is no file at all."""

    def _path(self) -> str:
        if not isinstance(self.name, str) or not _IMPORT_NAME.fullmatch(self.name):
            raise FileNotFoundError(self.name)
        return f"{IMPORT_FOLDER}/{self.name}"

    def save(self, data) -> None:
        if not self.name:
            self.name = uuid.uuid4().hex
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        default_storage.save(self._path(), io.BytesIO(data))

    def read(self):
        path = self._path()
        if not default_storage.exists(path):
            raise FileNotFoundError(self.name)
        with default_storage.open(path, "rb") as file:
            data = file.read()
        return data if "b" in self.read_mode else data.decode(self.encoding or "utf-8")

    def remove(self) -> None:
        default_storage.delete(self._path())


def import_files_purge(*, max_age: datetime.timedelta | None = None) -> int:
    """Delete the uploaded files nobody confirmed (their confirmation has expired): a dry run
    left open in a tab, a person who went away. Returns how many went."""
    max_age = max_age or IMPORT_FILE_MAX_AGE
    try:
        _dirs, names = default_storage.listdir(IMPORT_FOLDER)
    except FileNotFoundError:
        return 0
    oldest = timezone.now() - max_age
    purged = 0
    for name in names:
        path = f"{IMPORT_FOLDER}/{name}"
        if _IMPORT_NAME.fullmatch(name) and default_storage.get_modified_time(path) < oldest:
            default_storage.delete(path)
            purged += 1
    return purged
