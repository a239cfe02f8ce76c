"""The source CNNs DeepMag ascends (Chen & McDuff 2020, after DeepPhys's motion branch).

:class:`PulseNet` reads one normalised frame difference of 36x36 frames
(:func:`vmag.deepmag.representation.normalized_difference`) and predicts the PPG's
derivative over that step: two 3x3 convolutions (stride 1), 2x2 average pooling, two more
convolutions and pooling, then a dense head. ReLU throughout, not DeepPhys's tanh: a
bounded activation saturates and would cap the gradient ascent.
"""

from __future__ import annotations

from torch import Tensor, nn

from vmag.deepmag.representation import PULSE_SIZE


class PulseNet(nn.Module):
    """``(B, 3, 36, 36)`` normalised differences -> ``(B,)`` PPG derivatives."""

    def __init__(self, channels: int = 32, hidden: int = 128, dropout: float = 0.25) -> None:
        super().__init__()
        c = channels
        self.features = nn.Sequential(
            nn.Conv2d(3, c, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1), nn.ReLU(),
            nn.AvgPool2d(2), nn.Dropout(dropout),
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(),
            nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.ReLU(),
            nn.AvgPool2d(2), nn.Dropout(dropout),
        )  # fmt: skip
        side = PULSE_SIZE // 4
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(2 * c * side * side, hidden), nn.ReLU(),
            nn.Dropout(2 * dropout), nn.Linear(hidden, 1),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(-1)
