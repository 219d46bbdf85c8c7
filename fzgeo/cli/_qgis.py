"""``fzgeo qgis plugin --out fzgeo_qgis.zip``: the QGIS plugin, for Plugins ▸ Install from ZIP."""

from __future__ import annotations

import argparse
from pathlib import Path

ORDER = 65


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``fzgeo qgis plugin``."""
    p = sub.add_parser("qgis", help="the QGIS plugin (Processing provider fzgeo)")
    cmds = p.add_subparsers(dest="qgis_command", required=True, metavar="COMMAND")
    plugin = cmds.add_parser(
        "plugin",
        help="write the installable QGIS plugin zip",
        description=(
            "Write the QGIS plugin (QGIS 3.22 or later) as a zip. In QGIS: Plugins > Manage and "
            "Install Plugins > Install from ZIP. It adds the Processing provider fzgeo with "
            "建设项目选址冲突检查, 加载三区三线数据, 输入数据检查 and 添加规划图层, which run this "
            "fzgeo installation in its own process (docs/qgis_plugin.md)."
        ),
    )
    plugin.add_argument(
        "--out",
        type=Path,
        default=Path("fzgeo_qgis.zip"),
        help="zip to write (default: %(default)s)",
    )
    plugin.set_defaults(func=cmd_plugin)


def cmd_plugin(args: argparse.Namespace) -> int:
    """Write the zip and say how to install it."""
    import sys

    from fzgeo.qgis.plugin_zip import build_plugin_zip

    out = build_plugin_zip(args.out)
    print(f"wrote {out}")
    print(
        "QGIS: 插件 ▸ 管理并安装插件 ▸ 从 ZIP 安装 / Plugins > Manage and Install Plugins > Install from ZIP"
    )
    script = Path(sys.executable).parent / ("fzgeo.exe" if sys.platform == "win32" else "fzgeo")
    command = str(script) if script.is_file() else f"{sys.executable} -m fzgeo"
    print(
        f"fzgeo command for the plugin (处理 ▸ 选项 ▸ 服务提供者 ▸ fzgeo ▸ fzgeo 命令): {command}"
    )
    return 0
