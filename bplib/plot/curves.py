"""Training curves, kernels, feature maps and confusion matrices (filled by the core library work)."""

__all__: list[str] = []
