"""The Processing provider "fzgeo" and its settings (Processing ▸ Options ▸ Providers ▸ fzgeo).

Loading the provider imports QGIS and the plugin's own modules only: it works whether or not
fzgeo is installed. Each algorithm looks for fzgeo when it runs and says what to install.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from . import runner
from .algorithms import ALGORITHMS

HERE = Path(__file__).resolve().parent


def _config() -> Any:
    """Processing's settings registry, or None outside the Processing plugin."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
    except ImportError:
        return None, None
    return ProcessingConfig, Setting


class FzgeoProvider(QgsProcessingProvider):
    """Provider id ``fzgeo``: 建设项目选址冲突检查, 加载三区三线数据, 输入数据检查, 添加规划图层."""

    def id(self) -> str:
        return "fzgeo"

    def name(self) -> str:
        return "fzgeo 抚州规划"

    def longName(self) -> str:  # noqa: N802 (Qt API)
        return "fzgeo：抚州市“十四五”规划与三区三线选址检查"

    def icon(self) -> Any:
        return QIcon(str(HERE / "icon.png"))

    def load(self) -> bool:
        config, setting = _config()
        if config is not None:
            config.settingIcons[self.name()] = self.icon()
            config.addSetting(
                setting(
                    self.name(),
                    runner.SETTING_COMMAND,
                    "fzgeo 命令（留空则自动查找 PATH 中的 fzgeo 或 python3 -m fzgeo）"
                    " / fzgeo command (empty: auto-detect)",
                    "",
                )
            )
            config.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:
        config, _setting = _config()
        if config is not None:
            config.removeSetting(runner.SETTING_COMMAND)

    def loadAlgorithms(self) -> None:  # noqa: N802 (Qt API)
        for algorithm in ALGORITHMS:
            self.addAlgorithm(algorithm())
