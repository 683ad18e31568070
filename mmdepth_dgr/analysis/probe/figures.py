"""Figures of the sparse-pixel study: Fig. 5 (RMSE vs sparsity), Fig. 3 and Fig. 7 panels."""
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from mmdepth_dgr.evaluation.functional import gradient_magnitude

from .networks import ProbeNetwork
from .report import setting_tag


def plot_rmse_vs_sparsity(rows: List[dict], networks: Dict[str, ProbeNetwork],
                          path: str, setting: str = 'lambda') -> None:
    """Fig. 5: RMSE against sparsity for both networks (matplotlib, Agg backend).

    Solid lines: each network on its own masks (with the unmasked point at
    sparsity 1); dashed: each network on the other network's masks; dotted
    horizontal lines: each network's RMSE with every pixel removed.

    Args:
        rows (list[dict]): From :func:`summarize`.
        networks (dict[str, ProbeNetwork]): For the legend.
        path (str): Output PNG.
        setting (str): Name of the rows' setting in the point labels (``'lambda'`` or
            ``'lambda/gap'``).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=120)
    lam_rows = [r for r in rows if not isinstance(r['lambda'], str)]
    labelled = {r['lambda']: r for r in rows if isinstance(r['lambda'], str)}
    orig = labelled['original']
    symbol = '$\\lambda$' if setting == 'lambda' else setting.replace('lambda', '$\\lambda$')
    for key, suffix, color in (('transformer', 't', 'tab:red'), ('cnn', 'c', 'tab:blue')):
        pts = [(1.0, orig[f'rmse_{suffix}'], 'orig')] + [
            (r[f'sparsity_{suffix}'], r[f'rmse_{suffix}'], f'{r["lambda"]:g}') for r in lam_rows]
        pts = [p for p in pts if p[1] is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], 'o-', color=color,
                label=f'{networks[key].name}')
        labels: Dict[Tuple[float, float], List[str]] = {}
        for x, y, label in pts[1:]:  # one label per point, listing the lambdas that share it
            labels.setdefault((round(x, 3), round(y, 3)), []).append(label)
        for (x, y), lams in labels.items():
            ax.annotate(f'{symbol}={", ".join(lams)}', (x, y), textcoords='offset points',
                        xytext=(4, 4), fontsize=7, color=color)
        removed = labelled.get('removed', {}).get(f'rmse_{suffix}')
        if removed is not None:
            ax.axhline(removed, color=color, ls=':', lw=1,
                       label=f'{networks[key].name}, every pixel removed')
        other = 'c' if suffix == 't' else 't'
        cross = [(r[f'sparsity_{other}'], r[f'rmse_{suffix}_mask_{other}']) for r in lam_rows
                 if r[f'rmse_{suffix}_mask_{other}'] is not None]
        if cross:
            other_name = networks['cnn' if suffix == 't' else 'transformer'].name
            ax.plot([p[0] for p in cross], [p[1] for p in cross], 's--', color=color,
                    alpha=0.6, label=f'{networks[key].name} on {other_name} masks')
    ax.set_xlabel('sparsity (fraction of kept pixels)')
    ax.set_ylabel('RMSE (m)')
    ax.set_title('RMSE vs sparsity (Fig. 5)')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

def plot_edge_affinity(per_lambda: Dict[float, List[dict]], networks: Dict[str, ProbeNetwork],
                       path: str, setting: str = 'lambda') -> None:
    """Fig. 3's claim as numbers: per-image edge and boundary affinities of both networks.

    Two panels (image-gradient edges, GT depth boundaries); per lambda, one box per network
    over the test images, and a dashed line at 1 (a mask indifferent to edges).

    Args:
        per_lambda (dict[float, list[dict]]): Per-image results of each lambda (the
            ``edge_affinity_*`` / ``boundary_affinity_*`` values of ``evaluate_probe_pair``).
        networks (dict[str, ProbeNetwork]): For the legend.
        path (str): Output PNG.
        setting (str): Name of the lambda setting on the x axis.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    lambdas = sorted(per_lambda)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), dpi=120)
    for ax, kind, title in zip(axes, ('edge', 'boundary'),
                               ('kept pixels\' image gradient / all pixels\'',
                                'kept fraction on GT depth boundaries / boundary fraction'),
                               strict=True):
        for j, (key, suffix, color) in enumerate((('transformer', 't', 'tab:red'),
                                                  ('cnn', 'c', 'tab:blue'))):
            data = [[r[f'{kind}_affinity_{suffix}'] for r in per_lambda[lam]
                     if r.get(f'{kind}_affinity_{suffix}') is not None] for lam in lambdas]
            pos = [i + (j - 0.5) * 0.35 for i in range(len(lambdas))]
            keep = [(p, d) for p, d in zip(pos, data, strict=True) if d]
            if not keep:
                continue
            parts = ax.boxplot([d for _, d in keep], positions=[p for p, _ in keep],
                               widths=0.3, patch_artist=True, manage_ticks=False)
            for box in parts['boxes']:
                box.set(facecolor=color, alpha=0.4)
            ax.plot([], [], 's', color=color, alpha=0.6, label=networks[key].name)
        ax.axhline(1.0, color='k', ls='--', lw=0.8)
        ax.set_xticks(range(len(lambdas)), [f'{lam:g}' for lam in lambdas])
        ax.set_xlabel(setting)
        ax.set_ylabel(f'{kind} affinity')
        ax.set_title(title, fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _save(fig, title: str, path: str) -> str:
    """Give a panel figure its title, write it to ``path`` and close it; returns ``path``."""
    import matplotlib.pyplot as plt

    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def render_panels(panel_maps: Dict[str, Dict[float, dict]], networks: Dict[str, ProbeNetwork],
                  out_dir: str, setting: str = 'lambda') -> List[str]:
    """Fig. 3 (per image and lambda) and Fig. 7 (per image) pictures.

    Fig. 3: RGB | image gradient | Transformer mask | CNN mask | N_t(I*M_t) |
    N_c(I*M_c). Fig. 7: per network row, RGB | GT | N(I) | masks of every lambda.

    Args:
        panel_maps (dict): ``{name: {lambda: maps}}`` with the ``maps`` of
            :func:`evaluate_probe_pair` (the first lambda also has ``t_full``/``c_full``).
        networks (dict[str, ProbeNetwork]): For the titles.
        out_dir (str): Output folder.
        setting (str): Name of the lambda setting in titles (``'lambda'``, ``'lambda/gap'``).

    Returns:
        list[str]: Written files.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    t_name, c_name = networks['transformer'].name, networks['cnn'].name
    written = []
    for name, by_lambda in sorted(panel_maps.items()):
        lambdas = sorted(by_lambda)
        first = by_lambda[lambdas[0]]
        gt = first['gt']
        depths = [first[k] for k in ('t_full', 'c_full') if k in first]
        depths += [m[k] for m in by_lambda.values() for k in ('t', 'c')]
        valid_gt = gt[gt > 0] if gt is not None else np.zeros(0)
        vmax = float(np.percentile(valid_gt, 99)) if valid_gt.size else float(
            np.max([d.max() for d in depths]))
        depth_kw = dict(cmap='magma_r', vmin=0.0, vmax=max(vmax, 1e-3))
        grad = gradient_magnitude(first['rgb'])
        grad_kw = dict(cmap='gray', vmin=0.0, vmax=max(float(np.percentile(grad, 99)), 1e-6))
        mask_kw = dict(cmap='gray', vmin=0.0, vmax=1.0)

        for lam in lambdas:
            maps = by_lambda[lam]
            cols = [(first['rgb'], 'RGB', {}), (grad, 'image gradient', grad_kw),
                    (maps['mask_t'], f'{t_name} mask ({maps["mask_t"].mean():.2f})', mask_kw),
                    (maps['mask_c'], f'{c_name} mask ({maps["mask_c"].mean():.2f})', mask_kw),
                    (maps['t'], f'{t_name}: N(I*M)', depth_kw),
                    (maps['c'], f'{c_name}: N(I*M)', depth_kw)]
            fig, axes = plt.subplots(1, len(cols), figsize=(2.6 * len(cols), 2.4), dpi=110)
            for ax, (img, title, kw) in zip(axes, cols, strict=True):
                ax.imshow(img, **kw)
                ax.set_title(title, fontsize=7)
                ax.axis('off')
            tag = setting_tag(setting != 'lambda')
            written.append(_save(fig, f'{name}, {setting}={lam:g} (Fig. 3)',
                                 osp.join(out_dir, f'fig3_{name}_{tag}{lam:g}.png')))

        ncols = 3 + len(lambdas)
        fig, axes = plt.subplots(2, ncols, figsize=(2.3 * ncols, 4.4), dpi=110, squeeze=False)
        for row, (suffix, net_name) in enumerate((('t', t_name), ('c', c_name))):
            cols = [(first['rgb'], 'RGB', {}),
                    (gt if gt is not None else np.zeros_like(grad), 'ground truth', depth_kw),
                    (first.get(f'{suffix}_full', np.zeros_like(grad)), f'{net_name}: N(I)',
                     depth_kw)]
            cols += [(by_lambda[lam][f'mask_{suffix}'],
                      f'{setting}={lam:g} ({by_lambda[lam][f"mask_{suffix}"].mean():.2f})',
                      mask_kw)
                     for lam in lambdas]
            for ax, (img, title, kw) in zip(axes[row], cols, strict=True):
                ax.imshow(img, **kw)
                ax.set_title(title, fontsize=7)
                ax.axis('off')
            axes[row][0].text(-0.1, 0.5, net_name, transform=axes[row][0].transAxes,
                              rotation=90, va='center', ha='right', fontsize=8)
        written.append(_save(fig, f'{name}: masks per lambda (Fig. 7)',
                             osp.join(out_dir, f'fig7_{name}.png')))
    return written
