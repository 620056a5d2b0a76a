"""Why an export package is not written."""


class ExportRefused(RuntimeError):
    """The package cannot be written; the message is German. Nothing is left behind."""


class PackageExists(ExportRefused, FileExistsError):
    """A package of this name exists already; it is never overwritten."""
