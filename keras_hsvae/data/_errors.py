"""Exceptions raised by `keras_hsvae.data`."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset could be found neither in local files nor through tfds.

    The message lists every folder and file name that was tried, what
    tensorflow-datasets answered, and how to provide the data.
    """


class DatasetCorruptError(ValueError):
    """A local dataset file exists but cannot be what its name says.

    Raised for a wrong IDX magic number, a size that does not match the
    header, a truncated gzip member (gzip checks its CRC-32 on reading),
    pixel values out of range, or inconsistent image and label counts. The
    message names the file and the check that failed.
    """
