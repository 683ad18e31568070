"""Procedural synthetic depth data written in the NYU-Depth-v2 and KITTI layouts.

Scenes are rendered with a tiny vectorised ray caster: one ray per pixel from a
pinhole camera (x right, y down, z forward), intersected with analytic
primitives (planes, axis-aligned boxes, spheres and vertical cylinders). The
nearest hit is shaded (procedural textures, Lambertian lighting, ambient term)
and its exact z-depth is stored as ground truth, so the data can exercise a
depth-estimation pipeline end to end without downloading the real datasets.

Two generators are provided:

* :func:`generate_nyu` - indoor rooms with furniture, written like the BTS
  ``sync`` training set plus the official test split (JPEG images, uint16 PNG
  depth in millimetres, dense ground truth with small Kinect-like holes).
* :func:`generate_kitti` - street scenes, written like the KITTI raw data plus
  the annotated depth maps of the Eigen split (PNG images, uint16 PNG depth
  times 256, sparse LiDAR-like ground truth, some test lines without GT).

Both also write, next to each depth map (``foo.png`` -> ``foo_edges.png``), the
exact occlusion boundaries the renderer knows (:func:`occlusion_edges`: pixels
on the near side of a neighbour on another primitive with a depth jump of over
5 %), as 8-bit PNGs (0/255). Both run through :func:`generate_dataset` with a
:class:`DatasetSpec`.
World coordinates are metric with the Y axis pointing up. Everything is
deterministic given the seed.

Modules, bottom-up: :mod:`.formats` (dataset constants), :mod:`.raycast`
(geometry and rendering), :mod:`.edges` (occlusion boundaries),
:mod:`.materials` (lighting and textures),
:mod:`.sensors` (camera and depth-sensor effects), :mod:`.indoor` and
:mod:`.street` (scenes), :mod:`.writers` (file layouts) and
:mod:`.generator` (public generators).

This package depends only on numpy, OpenCV and the standard library and is
not imported by ``mmdepth_dgr`` itself; its modules import each other
relatively, so it also works when loaded from its path without the rest of
the package.
"""

from .edges import EDGE_REL_DEPTH_JUMP, occlusion_edges
from .formats import (
    EDGE_MAP_SUFFIX,
    KITTI_FOCAL,
    KITTI_MAX_DEPTH,
    NYU_FOCAL,
    NYU_MAX_DEPTH,
    edge_map_name,
    kitti_focal,
    nyu_focal,
)
from .generator import (
    KITTI_SPEC,
    NYU_SPEC,
    DatasetSpec,
    GenerationResult,
    generate_dataset,
    generate_kitti,
    generate_nyu,
    make_progress_printer,
)
from .indoor import (
    IndoorScene,
    build_indoor_scene,
    render_nyu_frame,
    render_nyu_frame_with_edges,
    sample_indoor_camera,
)
from .materials import (
    box_material,
    checker_material,
    point_light_shader,
    room_ao,
    solid_material,
    stripes_material,
    sun_shader,
    value_noise,
    wood_material,
)
from .raycast import (
    Camera,
    Primitive,
    Scene,
    camera_rays,
    look_rotation,
    ray_box,
    ray_plane,
    ray_sphere,
    ray_vertical_cylinder,
    render_scene,
)
from .sensors import kinect_hole_mask, lidar_beam_mask
from .street import (
    StreetScene,
    build_street_scene,
    render_kitti_frame,
    render_kitti_frame_with_edges,
    sample_street_frame,
)
from .writers import encode_kitti_depth, encode_nyu_depth, write_edge_map

__all__ = [
    'EDGE_MAP_SUFFIX', 'EDGE_REL_DEPTH_JUMP', 'KITTI_FOCAL', 'KITTI_MAX_DEPTH', 'KITTI_SPEC',
    'NYU_FOCAL', 'NYU_MAX_DEPTH', 'NYU_SPEC', 'Camera', 'DatasetSpec', 'GenerationResult',
    'IndoorScene', 'Primitive', 'Scene', 'StreetScene', 'box_material', 'build_indoor_scene',
    'build_street_scene', 'camera_rays', 'checker_material', 'edge_map_name', 'encode_kitti_depth',
    'encode_nyu_depth', 'generate_dataset', 'generate_kitti', 'generate_nyu', 'kinect_hole_mask',
    'kitti_focal', 'lidar_beam_mask', 'look_rotation', 'make_progress_printer', 'nyu_focal',
    'occlusion_edges', 'point_light_shader', 'ray_box', 'ray_plane', 'ray_sphere',
    'ray_vertical_cylinder', 'render_kitti_frame', 'render_kitti_frame_with_edges',
    'render_nyu_frame', 'render_nyu_frame_with_edges', 'render_scene', 'room_ao',
    'sample_indoor_camera', 'sample_street_frame', 'solid_material', 'stripes_material',
    'sun_shader', 'value_noise', 'wood_material', 'write_edge_map'
]
