"""Version of mmdepth-dgr."""

__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Split a version string such as ``'0.1.0'`` into a tuple of ints and strs."""
    return tuple(int(x) if x.isdigit() else x for x in version_str.split('.'))


version_info = parse_version_info(__version__)
