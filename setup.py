"""Install mmdepth-dgr (the stack and the editable install come from tools/scripts/setup_env.sh).

The configs, tools and ``model-index.yml`` of the checkout ship inside the package as
``mmdepth_dgr/.mim/``, the OpenMMLab layout that mmengine reads for ``mmdepth_dgr::<path>`` in
``_base_`` (``<installed mmdepth_dgr>/.mim/configs/<path>``):

* ``develop`` (``pip install --no-use-pep517 -e .``): ``mmdepth_dgr/.mim/{configs,tools,
  model-index.yml}`` are relative symlinks to the checkout's, so config edits take effect at once;
* ``build_py`` (wheels, ``pip install .``): the three are copied into the build directory (not the
  checkout, whose develop symlinks stay), so the wheel holds ``mmdepth_dgr/.mim/...``;
* ``sdist``: the three (and ``requirements/``, which this file reads) are in the archive, as the
  ``build_py`` sources.
"""
import os
import os.path as osp
import shutil
from typing import Iterator, List

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop

ROOT = osp.dirname(osp.abspath(__file__))
PACKAGE = 'mmdepth_dgr'
#: checkout paths (relative to ROOT) shipped as mmdepth_dgr/.mim/<same path>
MIM_FILES = ('configs', 'tools', 'model-index.yml')
#: what never ships from those folders
IGNORED = ('__pycache__', '*.pyc', '*.pyo')


def read_version() -> str:
    """Read ``__version__`` from mmdepth_dgr/version.py without importing the package."""
    scope: dict = {}
    with open(osp.join(ROOT, PACKAGE, 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/<name>.txt, comments dropped."""
    path = osp.join(ROOT, 'requirements', name)
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def read_readme() -> str:
    """The README, as the long description."""
    path = osp.join(ROOT, 'README.md')
    if not osp.exists(path):
        return ''
    with open(path, encoding='utf-8') as f:
        return f.read()


def _remove(path: str) -> None:
    """Remove a file, a symlink (not its target) or a folder, if there is one at ``path``."""
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


def _walk_files(path: str) -> Iterator[str]:
    """Files under ``path`` (or ``path`` itself), skipping :data:`IGNORED` (sorted)."""
    if osp.isfile(path):
        yield path
        return
    for dirpath, dirnames, filenames in os.walk(path):
        ignored = shutil.ignore_patterns(*IGNORED)(dirpath, dirnames + filenames)
        dirnames[:] = sorted(d for d in dirnames if d not in ignored)
        for name in sorted(filenames):
            if name not in ignored:
                yield osp.join(dirpath, name)


def add_mim_extension(mim_dir: str, mode: str) -> None:
    """Put the checkout's :data:`MIM_FILES` into ``mim_dir`` (a package's ``.mim`` folder).

    Args:
        mim_dir (str): The ``.mim`` folder to fill (created if missing); what it holds under
            the names of :data:`MIM_FILES` is replaced.
        mode (str): ``'symlink'`` (relative links to the checkout, for develop installs) or
            ``'copy'`` (copies without ``__pycache__``, for wheels).

    Raises:
        ValueError: If ``mode`` is neither.
        FileNotFoundError: If one of :data:`MIM_FILES` is missing in the checkout.
    """
    if mode not in ('symlink', 'copy'):
        raise ValueError(f"add_mim_extension: mode must be 'symlink' or 'copy', not {mode!r}")
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(ROOT, name)
        if not osp.exists(src):
            raise FileNotFoundError(f'add_mim_extension: {src} is missing')
        target = osp.join(mim_dir, name)
        _remove(target)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, osp.dirname(target)), target)
        elif osp.isdir(src):
            shutil.copytree(src, target, ignore=shutil.ignore_patterns(*IGNORED))
        else:
            shutil.copyfile(src, target)


class DevelopWithMim(develop):
    """``develop`` that first links ``mmdepth_dgr/.mim/*`` to the checkout."""

    def run(self) -> None:
        """Link the ``.mim`` files, then install for development."""
        if not self.uninstall:
            add_mim_extension(osp.join(ROOT, PACKAGE, '.mim'), mode='symlink')
        super().run()


class BuildPyWithMim(build_py):
    """``build_py`` that copies the ``.mim`` files into ``<build_lib>/mmdepth_dgr/.mim``."""

    def _mim_build_dir(self) -> str:
        return osp.join(self.build_lib, PACKAGE, '.mim')

    def run(self) -> None:
        """Build the package, then copy the ``.mim`` files next to it."""
        super().run()
        if not self.editable_mode:
            add_mim_extension(self._mim_build_dir(), mode='copy')

    def get_outputs(self, include_bytecode: bool = True) -> List[str]:
        """The package's outputs and the copied ``.mim`` files (for ``install --record``)."""
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs += [osp.join(self._mim_build_dir(), osp.relpath(path, ROOT))
                        for name in MIM_FILES for path in _walk_files(osp.join(ROOT, name))]
        return outputs

    def get_source_files(self) -> List[str]:
        """The package's sources, the ``.mim`` sources and the requirement files (the sdist)."""
        extra = [osp.relpath(path, ROOT) for name in (*MIM_FILES, 'requirements')
                 for path in _walk_files(osp.join(ROOT, name))]
        return list(super().get_source_files()) + extra


setup(
    name=PACKAGE,
    version=read_version(),
    description='Depth Gradient Refinement and Optimal Transport Depth Loss for '
    'monocular depth estimation, as an MMSegmentation 1.x plugin',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=[PACKAGE, f'{PACKAGE}.*']),
    python_requires='>=3.11',
    install_requires=read_requirements('runtime.txt') + read_requirements('mminstall.txt'),
    extras_require=dict(tests=read_requirements('tests.txt')),
    cmdclass=dict(develop=DevelopWithMim, build_py=BuildPyWithMim),
    license='Apache License 2.0',
    zip_safe=False,
)
