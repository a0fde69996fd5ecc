"""Reading the plain-text lists that ``ImageData`` and ``HDF5Data`` layers open, as Caffe does,
streamed (a list of millions of lines costs no more memory than a short one) and without
opening any image.

- ``ImageDataLayer::DataLayerSetUp`` (``src/caffe/layers/image_data_layer.cpp``) reads
  ``source`` line by line (``std::getline``); the label is ``atoi`` of the text after the
  line's last space, the file name the text before it; images are opened as
  ``root_folder + name`` relative to the directory ``caffe`` runs from.
- ``HDF5DataLayer::LayerSetUp`` (``src/caffe/layers/hdf5_data_layer.cpp``) reads ``source``
  as whitespace-separated file names (``source_file >> line``), each opened with ``H5Fopen``
  relative to that directory too.

Sources are only read when they exist where Caffe would open them: relative to the data root
(``--data-root``, the configuration's ``data-root``, else the current directory).
"""

from __future__ import annotations

import os
import re
import stat
from functools import lru_cache

from prototxt_lint.engine import external_reads

#: files a list names whose existence is checked, at most (the first ones of the list)
MAX_CHECKED = 100_000
#: missing files kept as a sample for the message
SAMPLE = 3
#: distinct labels counted, at most (a list with more is not a classifier's)
MAX_LABELS = 100_000

_ATOI = re.compile(r"\s*([+-]?\d+)")


def atoi(text: str) -> int:
    """C's ``atoi``: leading blanks, a sign, digits; 0 when there are none."""
    match = _ATOI.match(text)
    return int(match.group(1)) if match else 0


def resolve(source: str, data_root: str | None) -> str | None:
    """Where Caffe opens ``source`` (relative to the data root), when that file exists."""
    if not source:
        return None
    path = source if os.path.isabs(source) else os.path.join(data_root or os.getcwd(), source)
    return path if os.path.isfile(path) else None


class ImageList:
    """What an ``ImageData`` list holds: line count, label range and counts, order, and the
    files it names that do not exist (checked for the first :data:`MAX_CHECKED` lines)."""

    __slots__ = ("checked", "empty", "empty_sample", "first_lines", "labels", "lines", "missing",
                 "missing_sample", "path", "runs")

    def __init__(self, path: str) -> None:  # filled while the list is read
        self.path = path
        self.lines = 0
        self.labels: dict[int, int] = {}  # label -> lines (up to MAX_LABELS labels)
        self.runs = 0  # maximal blocks of consecutive lines with the same label
        self.checked = 0
        self.missing = 0
        self.missing_sample: list[tuple[int, str]] = []  # (line number, file name)
        self.empty = 0  # files of 0 bytes: OpenCV's imread returns no image for them either
        self.empty_sample: list[tuple[int, str]] = []
        self.first_lines: list[tuple[int, int]] = []  # (line number, label) where runs start

    @property
    def smallest(self) -> int | None:
        return min(self.labels) if self.labels else None

    @property
    def largest(self) -> int | None:
        return max(self.labels) if self.labels else None

    def class_sorted(self) -> bool:
        """Every label's lines are one block, and there are at least two labels: the order
        of a list written by walking class folders."""
        return len(self.labels) >= 2 and self.runs == len(self.labels)


def read_image_list(path: str, root: str, root_folder: str = "",
                    check_files: bool = True) -> ImageList:
    """Stream the list at ``path``; image names are checked as ``root_folder + name``
    relative to ``root`` (Caffe's working directory)."""
    external_reads.note(path)
    return _read_image_list(path, root, root_folder, check_files, *_stamp(path))


def forget() -> None:
    """Drop the lists read so far: each lint reads them afresh (the files they name may have
    appeared since; the language server lints for hours)."""
    _read_image_list.cache_clear()


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=32)
def _read_image_list(path: str, root: str, root_folder: str, check_files: bool,
                     mtime: int, size: int) -> ImageList:
    out = ImageList(path)
    previous: int | None = None
    with open(path, encoding="utf-8", errors="replace", newline="\n") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw[:-1] if raw.endswith("\n") else raw
            pos = line.rfind(" ")
            name, label = (line[:pos], atoi(line[pos + 1:])) if pos >= 0 else (line, atoi(line))
            out.lines += 1
            if label in out.labels or len(out.labels) < MAX_LABELS:
                out.labels[label] = out.labels.get(label, 0) + 1
            if label != previous:
                out.runs += 1
                if len(out.first_lines) < 8:
                    out.first_lines.append((number, label))
                previous = label
            if check_files and out.checked < MAX_CHECKED:
                out.checked += 1
                image = root_folder + name
                full = image if os.path.isabs(image) else os.path.join(root, image)
                external_reads.note(full)
                nbytes = _file_size(full)
                if nbytes is None:
                    out.missing += 1
                    if len(out.missing_sample) < SAMPLE:
                        out.missing_sample.append((number, name))
                elif nbytes == 0:
                    out.empty += 1
                    if len(out.empty_sample) < SAMPLE:
                        out.empty_sample.append((number, name))
    return out


def _file_size(path: str) -> int | None:
    """The size of the regular file at ``path``; None when there is none (one ``stat``)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


class FileList:
    """An ``HDF5Data`` list: the files it names and the ones missing."""

    __slots__ = ("missing", "missing_sample", "names", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.names = 0
        self.missing = 0
        self.missing_sample: list[str] = []


def read_hdf5_list(path: str, root: str) -> FileList:
    """The ``.h5`` files ``path`` names, checked relative to ``root``."""
    external_reads.note(path)
    out = FileList(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            for name in raw.split():
                out.names += 1
                if out.names > MAX_CHECKED:
                    continue
                full = name if os.path.isabs(name) else os.path.join(root, name)
                external_reads.note(full)
                if not os.path.isfile(full):
                    out.missing += 1
                    if len(out.missing_sample) < SAMPLE:
                        out.missing_sample.append(name)
    return out
