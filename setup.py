"""Install mmdepth-dgr (``pip install -e .``; the stack comes from tools/scripts/setup_env.sh)."""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    """Read ``__version__`` from mmdepth_dgr/version.py without importing the package."""
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'mmdepth_dgr', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/<name>.txt, comments dropped."""
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def read_readme() -> str:
    """The README, as the long description."""
    path = osp.join(osp.dirname(__file__), 'README.md')
    if not osp.exists(path):
        return ''
    with open(path, encoding='utf-8') as f:
        return f.read()


setup(
    name='mmdepth_dgr',
    version=read_version(),
    description='Depth Gradient Refinement and Optimal Transport Depth Loss for '
    'monocular depth estimation, as an MMSegmentation 1.x plugin',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmdepth_dgr', 'mmdepth_dgr.*']),
    python_requires='>=3.11',
    install_requires=read_requirements('runtime.txt') + read_requirements('mminstall.txt'),
    extras_require=dict(tests=read_requirements('tests.txt')),
    license='Apache License 2.0',
    zip_safe=False,
)
