"""Install mmdepth-dgr (``pip install -e .``; the full stack comes from tools/setup_env.sh)."""
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


setup(
    name='mmdepth_dgr',
    version=read_version(),
    description='Depth Gradient Refinement and Optimal Transport Depth Loss for '
    'monocular depth estimation, as an MMSegmentation 1.x plugin',
    long_description=open('README.md', encoding='utf-8').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmdepth_dgr', 'mmdepth_dgr.*']),
    python_requires='>=3.11',
    install_requires=read_requirements('runtime.txt') + read_requirements('mminstall.txt'),
    extras_require=dict(tests=read_requirements('tests.txt')),
    license='Apache License 2.0',
    zip_safe=False,
)
